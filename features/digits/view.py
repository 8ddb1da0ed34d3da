"""Read digits page layout: input (draw / upload / test image) and what the model sees on the
left, the caption and one map per digit on the right; below, one digit's map large with every
cell's score and weight, the accuracy table and how it works."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
import streamlit as st

from attention.models.captioner import MNIST_CREDIT, VARIANTS
from ui import charts, page, params as P, uploads

from . import compute, figures
from .state import BY, MODEL_LABELS

LAST = "_digits_last"          # the last input that could be read (kept when new input is bad)
CANVAS_W, CANVAS_H = 440, 150
ORDINAL = ("1st", "2nd", "3rd", "4th", "5th", "6th", "7th")


@dataclass(frozen=True)
class Shown:
    """The input being read: the model input ``image (32, 96)`` and the stages that made it."""
    kind: str                  # draw | upload | test | example
    label: str
    image: np.ndarray = field(repr=False)
    stages: tuple = ()         # ((name, array), ...)
    truth: Optional[str] = None


# ------------------------------------------------------------------ input
def controls() -> None:
    """Where the picture comes from, and which model reads it (hard: which map to colour)."""
    P.widget(BY["source"], radio=True)
    P.widget(BY["variant"], radio=True)
    P.widget(BY["order"], radio=True)
    if st.session_state.variant in VARIANTS and VARIANTS[st.session_state.variant].hard:
        P.widget(BY["hard_view"], radio=True)


def _test_shown(k: int, kind: str = "test") -> Shown:
    imgs, truths = compute.test_images(st.session_state.order)
    k = int(np.clip(k, 0, len(imgs) - 1))
    what = compute.test_image_info()[0][k]
    label = (f"test image #{k} ({what})" if kind == "test" else f"an example (test image #{k}: {what})")
    return Shown(kind, label, imgs[k], (("model input", imgs[k]),), truths[k])


def _from_picture(raw: np.ndarray, kind: str, label: str) -> tuple[Optional[Shown], Optional[str]]:
    prep = compute.prepare(raw)
    problem = compute.check_input(prep)
    if problem:
        return None, problem
    return Shown(kind, label, prep.image, tuple(prep.stages.items())), None


def _canvas() -> Optional[np.ndarray]:
    from streamlit_drawable_canvas import st_canvas
    res = st_canvas(stroke_width=12, stroke_color="#000000", background_color="#ffffff",
                    height=CANVAS_H, width=CANVAS_W, drawing_mode="freedraw", key="canvas",
                    return_image_data=True)
    try:
        return res.image_data
    except Exception:  # noqa: BLE001 - no data yet (first run, or outside a browser)
        return None


def picture() -> tuple[Shown, Optional[str]]:
    """Draw the input widget of the chosen source; return what to read and, when the new input
    can't be read, why (then the previous input is shown again)."""
    s = st.session_state
    last: Optional[Shown] = s.get(LAST)
    if s.source == "test":
        P.widget(BY["test_image"])
        got = _test_shown(s.test_image)
        st.image(np.clip(1.0 - got.image, 0, 1), clamp=True, width=330, alt=f"{got.label}: handwritten digits")
        s[LAST] = got
        return got, None
    if s.source == "draw":
        raw = _canvas()
        if raw is None or raw.ndim != 3 or float(np.asarray(raw)[..., :3].min()) > 250:
            if last is None:
                return _test_shown(s.test_image, "example"), None
            return last, ("The canvas is empty: draw 3 to 6 digits." if last.kind == "draw" else None)
        got, problem = _from_picture(raw, "draw", "your drawing")
    else:
        up, problem = uploads.image_uploader("A photo of digits written on paper", key="upload")
        if up is None:
            if problem is None and last is None:
                return _test_shown(s.test_image, "example"), None
            return (last or _test_shown(s.test_image, "example")), problem
        d = uploads.decode_image(up.getvalue(), max_side=1024)
        if not d.ok:
            return (last or _test_shown(s.test_image, "example")), d.error
        got, problem = _from_picture(np.asarray(d.image), "upload", f"your photo {page.inline_code(up.name)}")
    if problem:
        return (last or _test_shown(s.test_image, "example")), problem
    s[LAST] = got
    return got, None


HINTS = {
    "draw": "Draw 3 to 6 digits in one row with the mouse or a finger; the bin icon above the canvas "
            "clears it, the arrow undoes a stroke.",
    "upload": "A photo of 3 to 6 digits written in one row on plain paper, dark ink on light.",
    "test": "Strings of 3 to 6 digits the models never saw, drawn and preprocessed like the training "
            "data (validation images and pen strokes).",
}


def hints(shown: Shown) -> None:
    """One line on how to use the chosen input (with a test image or an example it is part of
    :func:`strip`'s line instead)."""
    if shown.kind not in ("test", "example"):
        st.caption(HINTS[st.session_state.source])


def _is_mnist(k: int) -> bool:
    kinds = compute.test_image_info()[1]
    return bool(kinds[int(k) % len(kinds)])


def strip(shown: Shown) -> None:
    """What the model sees: grayscale → ink → crop → model input."""
    if len(shown.stages) <= 1:
        if shown.kind == "example":
            st.image(np.clip(1.0 - shown.image, 0, 1), clamp=True, width=240, alt=f"{shown.label}: handwritten digits")
        # one paragraph (what it is, where it comes from, whose digits): the maps stay on screen
        text = f"Reading {shown.label}: the 32 × 96 model input its picture was turned into."
        if shown.kind == "test":
            text += " " + HINTS["test"]
        elif shown.kind == "example":       # nothing drawn or uploaded yet
            text = HINTS[st.session_state.source] + " Until then: " + text[0].lower() + text[1:]
        if shown.kind in ("test", "example") and _is_mnist(st.session_state.test_image):
            text += " " + MNIST_CREDIT + "."
        st.caption(text)
        return
    st.caption(f"What the model sees (reading {shown.label}):")
    names = [n for n, _ in shown.stages]
    imgs = [np.clip(1.0 - a, 0, 1) for _, a in shown.stages]      # ink dark, as drawn
    st.image(imgs, caption=names, width=70, clamp=True, alt=[f"{shown.label}, {n}" for n in names])


# ------------------------------------------------------------------ results
def _title(r: compute.Reading, i: int) -> str:
    unsure = " (unsure)" if i in r.unsure else ""
    gate = f" · β = {r.beta[i]:.2f}" if r.beta is not None else ""
    return f"{ORDINAL[i]} digit: {r.digits[i]} · p = {r.confidence[i]:.2f}{gate}{unsure}"


def marks(r: compute.Reading, i: int) -> dict:
    gh, gw = r.grid
    if r.hard:
        c = int(r.cells[i])
        return {"argmax": (c // gw, c % gw), "samples": r.samples[i] if i < len(r.samples) else ()}
    if r.windowed:
        return {"centre": tuple(r.centres[i]), "window": compute.window_box(r.mask[i], r.grid)}
    return {}


def overlay_values(r: compute.Reading) -> tuple[np.ndarray, str]:
    """What the maps colour: the weights used to decode (soft, local; hard: the one-hot cell
    used, starred) or, for hard with ``hard_view=alpha``, α, the distribution it was taken from."""
    if r.hard and st.session_state.get("hard_view") == "alpha":
        return r.alpha, "α (drawn from)"
    return r.maps, ("weight used" if r.hard else "α")


def caption(r: compute.Reading, shown: Shown) -> None:
    """The string read (low confidence marked ``?``) and, for a test image, the true string: one
    line, so the maps follow straight under it on the first screen."""
    if not r.digits:
        st.warning("The model read no digit here.")
        return
    read = " ".join(f"{d}?" if i in r.unsure else str(d) for i, d in enumerate(r.digits))
    how = "reads" if r.order == "left_to_right" else "lists, largest digit first"
    # bold, not a heading: a result line under the page's h1 must not skip heading levels (a11y)
    line = f"**{MODEL_LABELS[r.variant]} model {how}: `{read}`**"
    if shown.truth is not None:
        ok = "✓ right" if shown.truth == r.caption else "✗ wrong"
        line += f" · True string: `{shown.truth}` ({ok})"
    st.markdown(line)


def notes(r: compute.Reading) -> None:
    """Under the maps: what "unsure" means and how good it is, an unfinished reading, and how
    often hard attention's stochastic samples agree."""
    out = []
    if r.unsure:
        q = compute.unsure_quality(r.variant, r.order)
        how = ""
        if q:
            p = [x["precision"] for x in q.values() if x.get("precision") is not None]
            c = [x["recall"] for x in q.values() if x.get("recall") is not None]
            if p and c:
                how = (f"; on the independent test sets it marks {min(c):.0%}–{max(c):.0%} of the wrong "
                       f"readings, and {min(p):.0%}–{max(p):.0%} of what it marks is wrong")
        out.append(f"**Unsure** (?): calibrated probability below {r.threshold:.2f}, fitted on "
                   f"validation strings{how}.")
    if r.digits and not r.finished:
        out.append("The model did not finish: the picture seems to hold more digits than it reads (3–6).")
    if r.hard and r.sample_captions:
        same = sum(c == r.caption for c in r.sample_captions)
        out.append(f"{same} of {len(r.sample_captions)} stochastic samples read the same string.")
    if out:
        if r.unsure or (r.digits and not r.finished):
            st.warning(" · ".join(out))
        else:
            st.caption(" · ".join(out))


def maps_summary(r: compute.Reading, vals: np.ndarray, name: str) -> str:
    """The small multiples in words: for each digit read, the cell holding the most of ``vals``
    ``(n, N)`` and how much (a screen reader's view of the maps)."""
    gw = r.grid[1]
    parts = []
    for i, d in enumerate(r.digits):
        k = int(np.argmax(vals[i]))
        parts.append(f"{ORDINAL[i]} digit {d}: cell (row {k // gw}, column {k % gw}), {name} "
                     f"{float(vals[i][k]):.2f}")
    return (f"One {r.grid[0]} × {gw} map per digit read; where each map is largest — "
            + "; ".join(parts) + "." if parts else "")


def small_multiples(r: compute.Reading, shown: Shown, colorscale: str) -> None:
    """One map per digit read, their caption, the reading's :func:`notes`, and a note when the
    model's maps are often not on the digit being read."""
    vals, name = overlay_values(r)
    titles = [_title(r, i) for i in range(len(r.digits))]
    sel = _selected(r)
    fig = figures.maps_grid(shown.image, vals, titles, r.grid, colorscale=colorscale,
                      marks=[marks(r, i) for i in range(len(r.digits))], selected=sel, value_name=name,
                      cols=3)
    charts.plot(fig, key="maps", name=f"digit_maps_{r.variant}", summary=maps_summary(r, vals, name))
    st.caption(VARIANTS[r.variant].caption.format(window=r.window) + ("" if r.order == "left_to_right" else
                    " Largest digit first: the maps follow the digits in the order they are emitted, "
                    "so the attention jumps along the string instead of sweeping it."))
    notes(r)
    pad = compute.points_at_digit(r.variant, r.order)
    if pad is not None and min(pad["argmax"]) < compute.POINTS_BAR:
        steps = ", ".join(f"{ORDINAL[i]} {x:.0%}" for i, x in enumerate(pad["argmax"]))
        text = (f"This model's map is not always where the digit is. On {pad['n']} validation strings "
                f"of {pad['length']} digits, the brightest cell lies on the digit being read in only "
                f"{min(pad['argmax']):.0%} of the strings at its worst step ({steps}). It reads partly "
                "from the decoder's state and the cells' position embedding, so a map shows where the "
                "model looked, which need not be where the digit is.")
        if min(pad["argmax"]) >= compute.POINTS_WARN:     # mostly on the digit: a note for the lesson
            st.info(text, icon=":material/info:")
        else:                                    # mostly elsewhere
            st.warning(text)
    if r.order == "largest_first" and r.windowed:
        ev = compute.cards(r.order).get(r.variant, {}).get("eval", {}).get("results", {})
        exact = [x["exact"] for x in ev.values() if x.get("exact") is not None]
        if not exact:
            st.warning("This model's card has no accuracy on the evaluation sets.")
        elif max(exact) < 0.8:
            st.warning(f"This model reads only {min(exact):.0%}–{max(exact):.0%} of the evaluation "
                       "strings right: its window is placed (from the decoder's state) before it looks, "
                       "so it must already know where the next-largest digit stands, and its window "
                       "(5 of the 12 columns) sees less than half of the string. Soft and hard attention "
                       "can look everywhere first.")


def _selected(r: compute.Reading) -> int:
    s = st.session_state
    n = max(1, len(r.digits))
    step = s.get("step") or 1
    return int(min(max(1, step), n)) - 1


def inspect(r: compute.Reading, shown: Shown, colorscale: str) -> None:
    """Click an emitted digit: its map large, every cell's score and weight."""
    s = st.session_state
    if not r.digits:
        return
    n = len(r.digits)
    if not s.get("step") or s.step > n:
        s.step = 1
    st.segmented_control("Click a digit to see its map large", list(range(1, n + 1)), key="step",
                         format_func=lambda k: f"{ORDINAL[k - 1]}: {r.digits[k - 1]}")
    i = _selected(r)
    tab = compute.cell_table(r, i)
    mark = marks(r, i)
    a, b = st.columns([1.6, 1], gap="medium")
    with a:
        vals, name = overlay_values(r)
        shown_vals = vals[i]
        fig = figures.cell_map(shown.image, shown_vals, r.grid, title=_title(r, i), colorscale=colorscale,
                               marks=mark, value_name=name, mask=r.mask[i] if r.windowed else None)
        charts.plot(fig, key="large", name=f"digit_{i + 1}_{r.variant}")
        gh, gw = r.grid
        cols = [f"({k // gw}, {k % gw})" for k in range(gh * gw)]
        charts.downloads(r.maps, [f"{ORDINAL[j]} digit: {d}" for j, d in enumerate(r.digits)], cols,
                         f"digit_maps_{r.variant}", "dl_maps",
                         meta={"model": r.variant, "caption": r.caption, "rows": "emitted digit",
                               "columns": "cell (row, col) of the 4 x 12 grid",
                               "values": "attention weights used to decode"})
    with b:
        st.markdown(f"**{ORDINAL[i]} digit `{r.digits[i]}`**: every cell's score and weight, largest "
                    f"weight first (sum of weights = {float(np.sum(r.maps[i])):.4f}).")
        df = pd.DataFrame(tab)
        df = df.iloc[np.argsort(-df[[c for c in df.columns if c.startswith("weight")][0]].to_numpy(),
                                kind="stable")]                       # the cells that matter first
        st.dataframe(df, hide_index=True, width="stretch", height=300,
                     column_config={k: st.column_config.NumberColumn(format="%.4f")
                                    for k in tab if k not in ("cell (row, col)", "in window")})


def accuracy() -> None:
    """The cards' table: exact match on 4-digit strings of each independent evaluation set."""
    rows = compute.accuracy_rows()
    if not rows:
        return
    st.markdown("**How well each model reads** 4-digit strings it was never trained on, through the "
                "page's whole path (picture → preprocessing → model): real MNIST handwriting by writers "
                "held out of training, canvas drawings in stroke shapes training never used, simulated "
                "phone photos; last, the training generator's own validation strings")
    keys = ("captions", "attention")
    reading = [c for c in rows[0] if c not in (*keys, *compute.TRAINING_COLUMNS)]
    page.model_tables(rows, keys, [(None, reading), ("How each was trained", compute.TRAINING_COLUMNS)],
                      percent=reading, headers={
                          "captions": "order", "MNIST, held-out writers": "MNIST",
                          "canvas strokes (other shapes)": "canvas strokes",
                          "phone photos (simulated)": "phone photos", compute.MORE_PHOTOS: "more photos",
                          "validation (same generator)": "validation",
                          "map on the digit read (worst step)": "map on digit", "trained on": "trained on pictures",
                          "training CPU (s)": "CPU (s)", "training wall (s)": "wall (s)"})
    st.caption("Exact: every digit right and nothing extra; a picture the page refuses counts as wrong. "
               "Evaluation sets: tests/digit_eval.py (built independently of the training generator), "
               "scored by benchmarks/digits_eval.py. Phone photos: 115 four-digit strings, so one "
               "standard error is about 2 points; more photos: a larger draw from the same photo "
               "generator (553 four-digit strings, about 1 point), the better measure. Map on digit: of the validation strings read right, "
               "how often the brightest cell lies on the digit being read, at the model's worst step. "
               "Training: CPU seconds (= wall time on an idle core) "
               "and wall seconds on the shared machine. Trained on: every model is measured through "
               "today's preprocessing; one whose pictures were “" + compute.EARLIER_PICTURES + "” learnt from "
               "pictures made before the paper's estimate was taught to follow light that falls off "
               "at an edge (it changes only such pictures; README, “The border fix”). Retrain with "
               "`python -m training caption --variant all --order all` (deterministic by seed).")


def model_card(variant: str, order: str, colorscale: str) -> None:
    """The chosen model's confusion matrix on the evaluation sets and its unsure flag's
    precision / recall (lazy: drawn only while open)."""
    with page.lazy_section("Model card: which digits it confuses, and how good “unsure” is",
                           "_digits_card", icon=":material/table_chart:") as is_open:
        if not is_open:
            return
        m = compute.confusion(variant, order)
        if m is None:
            st.info("This model's card has no evaluation yet (run benchmarks/digits_eval.py --write-cards).")
            return
        labels = [str(d) for d in range(10)] + ["none"]
        st.markdown(f"**{MODEL_LABELS[variant]}, {compute.ORDER_LABELS[order].lower()}**: digits read "
                    "(columns) for each true digit (rows), summed over the three evaluation sets; "
                    "“none” = a digit missed (column) or one too many (row).")
        fig = figures.confusion(m, labels, colorscale=colorscale)
        charts.plot(fig, key="confusion", name=f"digit_confusion_{variant}_{order}")
        a, b, ab, ba = compute.worst_pair(m)
        st.caption(f"Most confused pair: {a} read as {b} {ab} times, {b} read as {a} {ba} times. "
                   f"{MNIST_CREDIT} (the MNIST set).")
        q = compute.unsure_quality(variant, order)
        if q:
            st.markdown(charts.number_table({
                "set": [compute.EVAL_SETS[k] for k in q],
                "threshold": [x["threshold"] for x in q.values()],
                "flagged": [x["flagged"] for x in q.values()],
                "wrong": [x["wrong"] for x in q.values()],
                "precision": [x["precision"] if x["precision"] is not None else float("nan") for x in q.values()],
                "recall": [x["recall"] if x["recall"] is not None else float("nan") for x in q.values()],
            }, digits=3))
            st.caption("“Unsure” flags a reading when a digit's calibrated probability is below the "
                       "threshold. Precision: flagged readings that are wrong; recall: wrong readings "
                       "that are flagged.")
        pad = compute.points_at_digit(variant, order)
        if pad is not None:
            st.markdown(charts.number_table({
                "digit emitted": [ORDINAL[i] for i in range(len(pad["argmax"]))],
                "brightest cell on that digit": pad["argmax"],
                "weight on that digit's columns": pad["mass"],
            }, digits=3))
            st.caption(f"Does the map point at the digit being read? {pad['what'][0].upper()}{pad['what'][1:]}; "
                       f"{pad['read']} of {pad['n']} were read right.")


def explain(r: compute.Reading) -> None:
    with st.expander("How it works (Show, Attend and Tell, Xu et al. 2015)", icon=":material/school:"):
        st.markdown(
            "A small CNN turns the 32 × 96 input into a 4 × 12 grid of feature vectors a_i (one per "
            "8 × 8-pixel cell), and adds to each a **learned position embedding** (one vector per cell, "
            "so a feature also says where it is). A GRU decoder emits one digit per step; before each "
            "digit its state h scores every cell and attends:")
        st.latex(VARIANTS[r.variant].formula)
        st.caption(f"{VARIANTS[r.variant].label}: {VARIANTS[r.variant].paper}.")
        averaged = compute.averaged_weights(r.variant, r.order)
        gate = ("The gate β_t = σ(f_β(h_{t-1})) (Xu et al. sec. 4.2.1) scales the context before the "
                "decoder reads it; each map's title shows it. " if r.beta is not None else
                "This model has no gate β: Xu et al. add it to the soft model only, and the hard "
                "model's context is the one cell it reads. ")
        st.markdown(
            gate + "Training data: strings of 3–6 digits from three sources — real handwriting from "
            "MNIST (only the first 5,000 test digits, NIST SD-3, written by Census Bureau employees; "
            "the other 5,000, SD-1, written by students, are held out to test the models), "
            "scikit-learn's 8 × 8 digits (13 writers) and procedural pen strokes in several styles "
            "per digit — drawn on this canvas or on simulated phone photos of paper (ruled lines, "
            "pencil, blue ink, shadows, blur, JPEG), and passed through the very preprocessing this "
            "page uses. A second set of models lists the digits from the largest to the smallest, "
            "so where it must look next depends on digits not emitted yet. The hard model learns "
            "where to look by REINFORCE: the reward of the cell read at step t is the log-likelihood "
            "of that digit and every later one (the cell changes all later steps), with a "
            "moving-average baseline and an entropy bonus. No doubly-stochastic regularizer (most "
            "of the 48 cells are blank paper).\n\n"
            "Your picture: grayscale (dark ink made bright; pale ruled lines nearly vanish), paper "
            "and shadows removed, ruled lines taken out, specks dropped, the line of writing cropped, "
            "scaled without squeezing so the ink is 24 px tall, thin strokes thickened, centred in "
            "32 × 96. The probabilities are calibrated (a temperature fitted on validation strings), "
            "and “unsure” uses a threshold fitted there too.\n\n"
            + (f"{averaged}\n\n" if averaged else "") + MNIST_CREDIT + ".")
