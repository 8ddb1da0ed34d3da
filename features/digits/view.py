"""Read digits page layout: input (draw / upload / test image) and what the model sees on the
left, the caption and one map per digit on the right; below, one digit's map large with every
cell's score and weight, the accuracy table and how it works."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
import streamlit as st

from attention.models.captioner import VARIANTS
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
    """Where the picture comes from, and which model reads it."""
    P.widget(BY["source"], radio=True)
    P.widget(BY["variant"], radio=True)
    P.widget(BY["order"], radio=True)


def _test_shown(k: int, kind: str = "test") -> Shown:
    imgs, truths = compute.test_images(st.session_state.order)
    k = int(np.clip(k, 0, len(imgs) - 1))
    label = f"test image #{k}" if kind == "test" else f"an example (test image #{k})"
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


def hints() -> None:
    """One line on how to use the chosen input."""
    st.caption({
        "draw": "Draw 3 to 6 digits in one row with the mouse or a finger; the bin icon above the "
                "canvas clears it, the arrow undoes a stroke.",
        "upload": "A photo of 3 to 6 digits written in one row on plain paper, dark ink on light.",
        "test": "Generated strings of 3 to 6 digits, built only from source digits the models never saw.",
    }[st.session_state.source])


def strip(shown: Shown) -> None:
    """What the model sees: grayscale → ink → crop → model input."""
    if len(shown.stages) <= 1:
        if shown.kind == "example":
            st.image(np.clip(1.0 - shown.image, 0, 1), clamp=True, width=240, alt=f"{shown.label}: handwritten digits")
        st.caption(f"Reading {shown.label}: a generated 32 × 96 image, already what the model reads.")
        return
    st.caption(f"What the model sees (reading {shown.label}):")
    names = [n for n, _ in shown.stages]
    imgs = [np.clip(1.0 - a, 0, 1) for _, a in shown.stages]      # ink dark, as drawn
    st.image(imgs, caption=names, width=70, clamp=True, alt=[f"{shown.label}, {n}" for n in names])


# ------------------------------------------------------------------ results
def _title(r: compute.Reading, i: int) -> str:
    unsure = " (unsure)" if i in r.unsure else ""
    return f"{ORDINAL[i]} digit: {r.digits[i]} · p = {r.confidence[i]:.2f}{unsure}"


def marks(r: compute.Reading, i: int) -> dict:
    gh, gw = r.grid
    if r.hard:
        c = int(r.cells[i])
        return {"argmax": (c // gw, c % gw), "samples": r.samples[i] if i < len(r.samples) else ()}
    if r.windowed:
        return {"centre": tuple(r.centres[i]), "window": compute.window_box(r.mask[i], r.grid)}
    return {}


def overlay_values(r: compute.Reading) -> tuple[np.ndarray, str]:
    """What the small multiples colour: the weights used (soft, local) or, for hard, α (the
    one-hot cell used is starred)."""
    return (r.alpha, "α") if r.hard else (r.maps, "α")


def caption(r: compute.Reading, shown: Shown) -> None:
    """The string read, with low confidence labelled."""
    if not r.digits:
        st.warning("The model read no digit here.")
        return
    read = " ".join(f"{d}?" if i in r.unsure else str(d) for i, d in enumerate(r.digits))
    how = "reads" if r.order == "left_to_right" else "lists, largest digit first"
    st.markdown(f"#### {MODEL_LABELS[r.variant]} model {how}: `{read}`")
    notes = []
    if r.unsure:
        notes.append("**Low confidence**: the digits marked ? were read with probability below "
                     f"{compute.LOW_CONFIDENCE:g}.")
    if not r.finished:
        notes.append("The model did not finish: the picture seems to hold more digits than it reads (3–6).")
    if shown.truth is not None:
        ok = "✓ right" if shown.truth == r.caption else "✗ wrong"
        notes.append(f"True string: `{shown.truth}` ({ok}).")
    if r.hard and r.sample_captions:
        same = sum(c == r.caption for c in r.sample_captions)
        notes.append(f"{same} of {len(r.sample_captions)} stochastic samples read the same string.")
    if notes:
        if r.unsure or not r.finished:
            st.warning("  \n".join(notes))
        else:
            st.caption(" · ".join(notes))


def small_multiples(r: compute.Reading, shown: Shown, colorscale: str) -> None:
    vals, name = overlay_values(r)
    titles = [_title(r, i) for i in range(len(r.digits))]
    sel = _selected(r)
    fig = figures.maps_grid(shown.image, vals, titles, r.grid, colorscale=colorscale,
                      marks=[marks(r, i) for i in range(len(r.digits))], selected=sel, value_name=name,
                      cols=3)
    charts.plot(fig, key="maps", name=f"digit_maps_{r.variant}")
    st.caption(VARIANTS[r.variant].caption.format(window=r.window) + ("" if r.order == "left_to_right" else
                    " Largest digit first: the maps follow the digits in the order they are emitted, "
                    "so the attention jumps along the string instead of sweeping it."))
    if r.order == "largest_first" and r.windowed:
        exact = compute.cards(r.order).get(r.variant, {}).get("test", {}).get("exact")
        st.warning(f"This model gets only {exact:.0%} of the test strings right: its window is placed "
                   "(from the decoder's state) before it looks, so it must already know where the "
                   "next-largest digit stands, and its window (5 of the 12 columns) sees less than half of the "
                   "string. Soft and hard attention can look everywhere first." if exact is not None else
                   "This model reads few test strings right (its card has no accuracy).")


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
        shown_vals = r.maps[i]
        name = "α"
        if r.hard:
            shown_vals, name = r.alpha[i], "α (drawn from)"
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
    rows = compute.accuracy_rows()
    if not rows:
        return
    st.markdown("**How well each model reads** (test split: strings built only from source digits "
                "never used in training)")
    df = pd.DataFrame(rows)
    st.dataframe(df, hide_index=True, width="stretch",
                 column_config={k: st.column_config.NumberColumn(format="percent")
                                for k in ("exact string", "per digit", "exact, 4-digit strings")})
    st.caption("Exact string: every digit right and nothing extra. Per digit: share of true digits read "
               "right at their position. Training: CPU seconds (= wall time on an idle core) and wall "
               "seconds on the machine as it was (shared), with the number of torch threads shown. "
               "Retrain with `python -m training caption --variant all --order all` (deterministic by seed).")


def explain(r: compute.Reading) -> None:
    with st.expander("How it works (Show, Attend and Tell, Xu et al. 2015)", icon=":material/school:"):
        st.markdown(
            "A small CNN turns the 32 × 96 input into a 4 × 12 grid of feature vectors a_i (one per "
            "8 × 8-pixel cell). A GRU decoder emits one digit per step; before each digit its state "
            "h scores every cell and attends:")
        st.latex(VARIANTS[r.variant].formula)
        st.caption(f"{VARIANTS[r.variant].label}: {VARIANTS[r.variant].paper}.")
        st.markdown(
            "Training data: strings of 3–6 handwritten digits from scikit-learn's bundled set (8 × 8 "
            "pixels each), placed with varied size, spacing, slant, stroke thickness and noise; test "
            "strings use only source digits never seen in training. A second set of models (same "
            "architecture, same images) was trained to list the digits from the largest to the "
            "smallest, so where it must look next depends on the digits it has not emitted yet. "
            "The hard model learns where to "
            "look by REINFORCE (reward: the log-probability of the right digit, a moving-average "
            "baseline and an entropy bonus). No doubly-stochastic regularizer is used (most of the 48 "
            "cells are blank paper, so asking each to receive a total attention of 1 would be wrong).\n\n"
            "Your picture is prepared like the training digits: grayscale (dark ink turned bright), "
            "paper removed (also uneven light), thin pen strokes thickened to about 15 % of the "
            "digit height (the training digits' strokes are thick), cropped to the ink, averaged "
            "down to 8 pixels tall (how the scikit-learn digits were made) and smoothly enlarged "
            "into 32 × 96.\n\n"
            "Known limits: the training digits are scikit-learn's (13 writers), so styles they lack "
            "read badly -- e.g. a 1 drawn as a bare thin line can read as 8, a 7 without a bar is "
            "less sure than a crossed 7.")
