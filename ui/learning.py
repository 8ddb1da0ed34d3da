""""How it learned": the section every trained-model page (Translate, Read digits, Listen) shares.

It replays how a model's attention formed while it trained, from the replay that training stored
beside the weights (:mod:`attention.models.replay`, ``<variant>.replay.safetensors``):

* the alignment on one lesson input at a chosen training step: a step slider (the page's state,
  in the URL) and the same snapshots as Plotly animation frames with a play button;
* the loss and validation accuracy of every variant on one chart, the chosen step marked;
* the alignment with the ground truth over training (weight on the true span, peak in the span);
* one or two sentences per variant, measured from its replay, never written by hand;
* a one-line text alternative generated from the numbers shown.

A page adds it with one call (inside its own lazy expander, so it costs nothing until opened)::

    learning.how_it_learned("translate", VARIANTS, variant=s.variant, colorscale=prefs.colorscale)

and, for share links, adds ``*learning.params()`` to its ``PARAMS`` (``learn`` = section open,
``learn_input`` = lesson input #, ``learn_step`` = training step).  A variant without a replay
(a fresh clone, a model trained before replays existed) gets a clear message; the others still
show.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import streamlit as st

from attention.models import replay as R
from figures import replay as F

from . import charts, page, params as P

#: The trained tasks: task -> the model module (``weights_dir(**options)`` says where its files are).
TASKS = {"translate": "attention.models.seq2seq", "caption": "attention.models.captioner",
         "listen": "attention.models.listener"}
#: How each task calls what its attention looks at, and what training says to retrain it.
WORDS = {"translate": ("source characters", "python -m training translate"),
         "caption": ("image cells", "python -m training caption"),
         "listen": ("audio frames", "python -m training listen")}
#: "Aligned" = at least this share of each output step's weight on its true span, from then on.
THRESHOLD = 0.5
#: The final model's span: the fewest keys holding this share of a row's weight.
COVER = 0.9
MAX_LESSONS = 10


def params(prefix: str = "learn") -> list:
    """The section's share-link parameters (URL key = widget key): ``<prefix>`` the section is
    open, ``<prefix>_input`` the lesson input #, ``<prefix>_step`` the training step shown
    (snapped to the nearest recorded step)."""
    return [P.Flag(prefix, "How it learned (open)", False),
            P.Int(f"{prefix}_input", "Lesson input #", 0, lo=0, hi=MAX_LESSONS - 1),
            P.Int(f"{prefix}_step", "Training step", 0, lo=0, hi=10_000_000)]


def folder(task: str, order: Optional[str] = None) -> Path:
    """Where ``task``'s shipped models (and their replays) are: the model module's
    ``weights_dir`` (``weights/<task>[/<order>]``)."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(map(repr, TASKS))}; got {task!r}")
    mod = importlib.import_module(TASKS[task])
    return Path(mod.weights_dir(**({"order": order} if order else {})))


@dataclass(frozen=True)
class Loaded:
    """A replay and what the section measures on it (computed once per file, read-only).

    curves: lesson name -> :class:`attention.models.replay.Curve`; mean: their mean;
    size: bytes of the file."""
    replay: R.Replay
    curves: dict
    mean: R.Curve
    size: int


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@st.cache_resource(show_spinner=False, max_entries=128)
def _read(path: str, mtime_ns: int) -> Optional[Loaded]:
    """The replay at ``path`` (a stem) as it was at ``mtime_ns`` (a retrained model's new replay
    is read again); one read-only copy per server process."""
    r = R.load(path)
    if r is None:
        return None
    for x in r.lessons:
        _frozen(x.maps)
        _frozen(x.truth)
    for a in (r.steps, r.loss, r.accuracy):
        _frozen(a)
    return Loaded(r, {x.name: R.curve(r, x.name) for x in r.lessons}, R.mean_curve(r),
                  R.size_bytes(path) or 0)


def replays(task: str, variants, order: Optional[str] = None, where: Optional[Path] = None) -> dict:
    """``{variant: Loaded or None}`` for every variant of ``variants`` (None = no replay file)."""
    base = Path(where) if where is not None else folder(task, order)
    out = {}
    for v in variants:
        stem = base / v
        p = R.replay_path(stem)
        out[v] = _read(str(stem), p.stat().st_mtime_ns) if p.is_file() else None
    return out


def alignment_scores(task: str, variants, order: Optional[str] = None,
                     where: Optional[Path] = None) -> dict:
    """``{variant: {"weight on the true span": x, "peak in the span": y}}`` of each final model
    (the last snapshot of its replay, mean over the lesson inputs): the numbers a page's model
    card (its accuracy table) can show beside accuracy; variants without a replay are left out."""
    out = {}
    for v, L in replays(task, list(variants), order, where).items():
        if L is not None:
            out[v] = {"weight on the true span": float(L.mean.share[-1]),
                      "peak in the span": float(L.mean.peak[-1])}
    return out


# ----------------------------------------------------------------------------- measured sentences
@dataclass(frozen=True)
class Measured:
    """What one variant's replay says about one lesson input (see :func:`measure`).

    first / last: :class:`attention.models.replay.Alignment` at the first and last snapshot;
    aligned_at: the step from which the share on the true spans stays >= THRESHOLD (None: never);
    settled_at: the step from which the share on the final model's own span stays >= THRESHOLD;
    slowest: the field that aligned last and its step (None if none aligned or only one field);
    total: the last training step."""
    first: R.Alignment
    last: R.Alignment
    aligned_at: Optional[int]
    settled_at: Optional[int]
    slowest: Optional[tuple]
    total: int


def measure(r: R.Replay, lesson: str, threshold: float = THRESHOLD) -> Measured:
    """The numbers the sentences are made of, for lesson ``lesson`` of replay ``r``."""
    x = r.lesson(lesson)
    fs = R.fields(x)
    at = [(f, R.field_aligned_at(r, lesson, f, threshold)) for f in fs]
    slowest = None
    if len(fs) > 1 and all(a is not None for _f, a in at):
        slowest = max(at, key=lambda fa: fa[1])
    return Measured(first=R.alignment(x.maps[0], x.truth), last=R.alignment(x.maps[-1], x.truth),
                    aligned_at=R.aligned_at(r, lesson, threshold),
                    settled_at=R.settled_at(r, lesson, threshold, COVER), slowest=slowest,
                    total=int(r.steps[-1]))


def _q(text) -> str:
    return page.inline_code(text)


def sentence(m: Measured, label: str, lesson_text: str, task: str = "translate") -> str:
    """One or two sentences for one variant, every number from :func:`measure`."""
    keys = WORDS.get(task, ("keys", ""))[0]
    head = f"**{label}**: on {_q(lesson_text)}"
    if m.last.rows == 0:
        return f"{head} no output step has a known true span, so nothing is scored."
    move = (f"the weight on the right {keys} went from {m.first.share:.2f} (step 0) to "
            f"{m.last.share:.2f} (step {m.total})")
    if m.aligned_at is not None:
        text = f"{head} {move} and stayed ≥ {THRESHOLD:g} from step **{m.aligned_at}** on."
        if m.slowest is not None:
            f, at = m.slowest
            rows = f"output {f.rows[0]}" + (f"–{f.rows[-1]}" if len(f.rows) > 1 else "")
            text += f" Slowest to align: {_q(f.label)} ({rows}), from step {at}."
        return text
    text = f"{head} {move}; it never kept {THRESHOLD:g} of its weight on the right {keys}."
    if m.settled_at is not None:
        text += (f" Its attention settled at step {m.settled_at} (≥ {THRESHOLD:g} of the weight where "
                 f"the final model looks, from then on), mostly not on the right {keys}.")
    return text


def summary_line(label: str, lesson_text: str, step: int, total: int, a: R.Alignment,
                 loss: float, accuracy: float, output: str) -> str:
    """The text alternative of the chart: what the numbers at this step say, in one line."""
    acc = "" if not np.isfinite(accuracy) else f", validation accuracy {accuracy:.0%}"
    # a replay records NaN where it has no loss: at step 0 (the untrained model, before any batch)
    lossed = (f"training loss {loss:.3g}" if np.isfinite(loss)
              else "no training step yet" if step == 0 else "no training loss recorded")
    if a.rows:
        where = (f"{a.share:.2f} of each output step's weight on the right span, peak in the span on "
                 f"{round(a.peak * a.rows)} of {a.rows} steps")
    else:
        where = "no scored output steps"
    return (f"Step {step} of {total}, {label} on {_q(lesson_text)}: wrote {_q(output or '(nothing)')}; "
            f"{where}; {lossed}{acc}.")


# ----------------------------------------------------------------------------- the section
def _snap_step(key: str, steps: list) -> None:
    """Keep the step widget's value one of ``steps`` (nearest): a share link may name any step,
    and the recorded steps differ between variants (a new option list = a new widget, which
    must come back with the page's value, see ``ui.params.ranged_slider``)."""
    s, mark = st.session_state, f"_options:{key}"
    cur = int(s.get(key, 0) or 0)
    if s.get(mark) != tuple(steps) or cur not in steps:
        s[key] = steps[int(np.argmin(np.abs(np.asarray(steps) - cur)))]
        s[mark] = tuple(steps)


def _controls(loaded: Loaded, prefix: str) -> tuple[int, int]:
    """Lesson input and training step widgets; returns (lesson index, snapshot index)."""
    s = st.session_state
    r = loaded.replay
    ikey, skey = f"{prefix}_input", f"{prefix}_step"
    n = len(r.lessons)
    if int(s.get(ikey, 0) or 0) >= n:
        s[ikey] = 0
    s.setdefault(ikey, 0)
    left, right = st.columns([1, 1.6], gap="medium")
    texts = [x.text for x in r.lessons]
    names = [t if texts.count(t) == 1 else f"{t} (#{j + 1})" for j, t in enumerate(texts)]
    with left:
        i = st.radio("Lesson input", list(range(n)), key=ikey, horizontal=True, persist_state="page",
                     format_func=lambda j: names[j])
    steps = [int(x) for x in r.steps]
    _snap_step(skey, steps)
    with right:
        step = st.select_slider("Training step", steps, key=skey, persist_state="page",
                                help="The alignment the model produced at this step of its training "
                                     "(free-running greedy decoding of the lesson input). Press ▶ Play "
                                     "on the chart to watch every recorded step.")
    return int(i), steps.index(int(step))


def _written(output) -> str:
    """What a snapshot wrote, as text (an end token is not part of it)."""
    return "".join(str(o) for o in output if str(o) not in ("</s>", "<s>", "<end>", "end"))


def _rows(x: R.Lesson) -> list:
    """Row labels per snapshot: what the model wrote ("·" past the end of its output)."""
    T = x.maps.shape[1]
    return [[str(o[t]) if t < len(o) else "·" for t in range(T)] for o in x.outputs]


def _captions(r: R.Replay, x: R.Lesson) -> list:
    caps = []
    for k in range(len(r.steps)):
        a = R.alignment(x.maps[k], x.truth)
        share = f" · weight on the true span {a.share:.2f}" if a.rows else ""
        caps.append(f"training step {int(r.steps[k])}{share}")
    return caps


def _figure(loaded: Loaded, i: int, k: int, colorscale: str, task: str):
    r = loaded.replay
    x = r.lessons[i]
    keys = WORDS.get(task, ("keys", ""))[0]
    return F.alignment_frames(x.maps, r.steps, x.keys, _rows(x), x.truth, grid=x.grid, start=k,
                              colorscale=colorscale, captions=_captions(r, x),
                              key_title=keys, row_title="what the model wrote")


def _absent(label: str, task: str, variant: str) -> str:
    return (f"No replay for **{label}**: this model was trained before training recorded replays "
            f"(or its replay file is not here). Retrain it to record one: "
            f"`{WORDS.get(task, ('', 'python -m training ' + task))[1]} --variant {variant}`.")


def _card_rows(loaded: dict, labels: dict) -> dict:
    cols = {"model": [], "weight on the true span": [], "peak in the span": [],
            "aligned at step": [], "replay (kB)": []}
    for v, L in loaded.items():
        if L is None:
            continue
        last = R.Curve(L.mean.steps[-1:], L.mean.share[-1:], L.mean.peak[-1:])
        ats = [R.aligned_at(L.replay, x.name, THRESHOLD) for x in L.replay.lessons]
        cols["model"].append(labels.get(v, v))
        cols["weight on the true span"].append(float(last.share[0]))
        cols["peak in the span"].append(float(last.peak[0]))
        cols["aligned at step"].append("never" if any(a is None for a in ats) else str(max(ats)))
        cols["replay (kB)"].append(str(round(L.size / 1000)))
    return cols


def how_it_learned(task: str, variants, key_prefix: str = "learn", *, variant: Optional[str] = None,
                   order: Optional[str] = None, colorscale: str = "Viridis",
                   where: Optional[Path] = None) -> None:
    """The "How it learned" section (a lazy expander: nothing runs until it is opened).

    task: ``translate`` / ``caption`` / ``listen``; variants: the task's ``VARIANTS`` registry;
    key_prefix: widget / URL keys (:func:`params`); variant: the page's model (default: the first
    with a replay); order: the caption order (Read digits); where: a folder of replays to read
    instead of the shipped one (tests)."""
    with page.lazy_section("How it learned: watch the attention form during training", key_prefix,
                           icon=":material/movie:") as is_open:
        if not is_open:
            return
        with page.guard("show how the models learned"):
            _body(task, variants, key_prefix, variant, order, colorscale, where)


def _body(task, variants, prefix, variant, order, colorscale, where) -> None:
    labels = dict(variants.labels()) if hasattr(variants, "labels") else {v: v for v in variants}
    loaded = replays(task, list(variants), order, where)
    have = [v for v, L in loaded.items() if L is not None]
    if not have:
        st.info("No training replays are here for these models yet. Training records one beside "
                f"each model's weights; retrain to record them: `{WORDS.get(task, ('', ''))[1]} "
                "--variant all`.", icon=":material/info:")
        return
    variant = variant if variant in loaded else have[0]
    K = len(loaded[have[0]].replay.steps)
    st.caption(f"While it trained, each model was stopped about {K} times to decode a few fixed lesson "
               "inputs; these are the attention maps it produced then. Red squares: where the "
               "evidence for each output really is (known to the data generator).")
    L = loaded[variant]
    if L is not None and L.replay.meta.get("last_frame"):
        st.caption(L.replay.meta["last_frame"][0].upper() + L.replay.meta["last_frame"][1:] + ".")
    if L is None:
        st.info(_absent(labels.get(variant, variant), task, variant), icon=":material/info:")
        step = None
    else:
        i, k = _controls(L, prefix)
        r, x = L.replay, L.replay.lessons[i]
        step = int(r.steps[k])
        a = R.alignment(x.maps[k], x.truth)
        st.markdown(summary_line(labels.get(variant, variant), x.text, step, int(r.steps[-1]), a,
                                 float(r.loss[k]), float(r.accuracy[k]), _written(x.outputs[k])))
        charts.plot(_figure(L, i, k, colorscale, task), key=f"{prefix}_map", name=f"replay_{task}_{variant}")
    _curves(loaded, labels, variant, step, prefix, task)
    _sentences(loaded, labels, variant, prefix, task)


def _curves(loaded, labels, variant, step, prefix, task) -> None:
    have = {v: L for v, L in loaded.items() if L is not None}
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**Loss and accuracy of every model while it trained**")
        series = {v: {"steps": L.replay.steps, "loss": L.replay.loss, "accuracy": L.replay.accuracy}
                  for v, L in have.items()}
        charts.plot(F.training_curves(series, labels, current=step, chosen=variant),
                    key=f"{prefix}_curves", name=f"training_curves_{task}")
    with right:
        st.markdown("**Attention on the right place, over training** (mean of the lesson inputs)")
        series = {v: {"steps": L.mean.steps, "share": L.mean.share, "peak": L.mean.peak}
                  for v, L in have.items()}
        charts.plot(F.truth_curves(series, labels, current=step, chosen=variant, threshold=THRESHOLD),
                    key=f"{prefix}_truth", name=f"alignment_with_truth_{task}")
    st.caption("Solid: the mean share of each output step's weight that falls on its true span. "
               "Dotted: the share of output steps whose largest weight is in the span. Dashed "
               "vertical line: the step shown above.")


def _sentences(loaded, labels, variant, prefix, task) -> None:
    s = st.session_state
    st.markdown(f"**What the replays show** (measured from them; *aligned* = at least "
                f"{THRESHOLD:g} of each output step's weight on its true span, from that step to the "
                f"end of training)")
    lines = []
    for v, L in loaded.items():
        if L is None:
            lines.append("- " + _absent(labels.get(v, v), task, v))
            continue
        i = min(int(s.get(f"{prefix}_input", 0) or 0), len(L.replay.lessons) - 1)
        x = L.replay.lessons[i]
        lines.append("- " + sentence(measure(L.replay, x.name), labels.get(v, v), x.text, task))
    st.markdown("\n".join(lines))
    cols = _card_rows(loaded, labels)
    if cols["model"]:
        st.markdown("**Model card: does the attention point at the right place?** (final model, mean "
                    "of the lesson inputs)\n\n" + charts.number_table(cols, digits=2))
        st.caption("Weight on the true span: mean over output steps of the attention weight inside "
                   "the span that holds that output's evidence. Peak in the span: share of output "
                   "steps whose largest weight is inside it. Aligned at step: the latest over the "
                   "lesson inputs.")
