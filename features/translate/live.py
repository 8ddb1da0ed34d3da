"""Translate page: "Train a small model now" -- a date translator trained on the server while the
class watches (at most a minute, one job per server, a queue for the rest; :mod:`training.live`).

The only feature module allowed to import ``training`` (``training.live`` and nothing else:
training a model live is training by definition; see docs/ARCHITECTURE.md).  The section is a
lazy expander: nothing runs (and no job can start) until it is opened.  While this session's
job is queued or running, a fragment re-draws the progress every :data:`POLL_S` seconds
(only the fragment reruns, not the page); when it ends the page reruns once and polling stops.
"""
from __future__ import annotations


import numpy as np
import streamlit as st

from attention.models.seq2seq import VARIANTS
from figures import replay as F
import training.live as L
from ui import charts, page

JOB = "_live_job"            # session state: this session's job id
WAS_ACTIVE = "_live_active"  # session state: the job was active at the last poll
POLL_S = 2.0
LABELS = VARIANTS.labels()


def section(colorscale: str) -> None:
    """The "Train a small model now" expander (see the module docstring)."""
    with page.lazy_section("Train a small model now (live, at most a minute)", "live",
                           icon=":material/model_training:") as is_open:
        if not is_open:
            return
        with page.guard("train a model live"):
            _body(colorscale)


def _body(colorscale: str) -> None:
    s = st.session_state
    r = L.runner()
    status = r.status(s.get(JOB))
    busy = status is not None and status.active
    st.caption(f"A fresh model (random weights, the same architecture as the models above) learns "
               f"to translate dates for at most {r.limit:.0f} s, here on the server; every few seconds "
               f"it translates the lesson input and you see where it looks. One model trains at a "
               f"time (at a lower CPU priority than the pages); nothing is saved.")
    a, b, c = st.columns([1.3, 1.1, 1], vertical_alignment="bottom")
    a.selectbox("Attention type", VARIANTS.names(), key="live_variant", format_func=LABELS.get,
                disabled=busy)
    b.selectbox("Lesson input", list(L.LESSONS), key="live_lesson", disabled=busy)
    if c.button("Train a small model now", key="live_start", type="secondary", disabled=busy,
                icon=":material/play_arrow:", width="stretch") and not busy:
        try:
            s[JOB] = r.submit(s["live_variant"], s["live_lesson"])
            s[WAS_ACTIVE] = True
            st.rerun()
        except ValueError as e:
            st.warning(str(e))
    _watch(r, colorscale, busy)


def _watch(r: L.Runner, colorscale: str, active: bool) -> None:
    s = st.session_state

    @st.fragment(run_every=POLL_S if active else None)
    def progress():
        status = r.status(s.get(JOB))
        if status is None:
            _idle(r)
            return
        if not status.active and s.get(WAS_ACTIVE):
            s[WAS_ACTIVE] = False                  # it just ended: redraw the page, stop polling
            st.rerun(scope="app")
        s[WAS_ACTIVE] = status.active
        _state(r, status)
        if status.snapshots:
            _result(status, colorscale)
    progress()


def _idle(r: L.Runner) -> None:
    waiting = r.queue_length() + (1 if r.busy() else 0)
    if waiting:
        st.caption(f"{waiting} request(s) from others ahead: yours would wait at most about "
                   f"{waiting * r.limit:.0f} s.")


def _state(r: L.Runner, status: L.Status) -> None:
    s = st.session_state
    label = LABELS.get(status.variant, status.variant)
    if status.state == "queued":
        st.info(f"Waiting: your request ({label}) is **number {status.position}** in the queue; it "
                f"starts within about {status.ahead:.0f} s. One model trains at a time on this "
                f"server so that the pages stay quick for everyone.", icon=":material/hourglass_top:")
    elif status.active:
        snap = status.latest
        text = (f"{status.seconds:.0f} s of {status.limit:.0f} s" +
                (f" · step {snap.step} · loss {snap.loss:.3f}" if snap and snap.step else
                 " · starting the training process"))
        st.progress(min(1.0, max(0.0, status.seconds / status.limit)), text=text)
    elif status.state == "done":
        st.success(f"{label}: {status.message}.", icon=":material/check_circle:")
    elif status.state == "cancelled":
        st.info(f"{label}: {status.message}.", icon=":material/cancel:")
    else:
        st.error(f"{label}: {status.message}")
    if status.active and st.button("Cancel", key="live_cancel", icon=":material/stop:"):
        r.cancel(status.job)
        s[WAS_ACTIVE] = False
        st.rerun(scope="app")


def summary(status: L.Status) -> str:
    """The text alternative of the live charts: the latest snapshot's numbers in one line."""
    snap = status.latest
    target = "".join(status.target[:-1]) if status.target else ""
    verdict = " (right)" if snap.output == target and target else (" (not yet right)" if target else "")
    exact = "" if not np.isfinite(snap.exact) else f"; exact match on {L.N_HELD} held-out dates {snap.exact:.0%}"
    loss = "" if not np.isfinite(snap.loss) else f"; training loss {snap.loss:.3f}"
    return (f"Step {snap.step} after {snap.seconds:.0f} s: {page.inline_code(status.lesson)} → "
            f"{page.inline_code(snap.output or '(nothing)')}{verdict}; {snap.share:.2f} of each output "
            f"step's weight on the right characters, peak in the span on {snap.peak:.0%} of the "
            f"steps{loss}{exact}.")


def frames(status: L.Status, last_only: bool) -> tuple[np.ndarray, list, list, list]:
    """The snapshots as ``(K, T, S)`` maps padded with zeros to the longest output (>= the
    target's rows), their steps, row labels and captions."""
    snaps = [status.latest] if last_only else list(status.snapshots)
    S = snaps[-1].weights.shape[1]
    T = max([len(status.target)] + [x.weights.shape[0] for x in snaps])
    maps = np.zeros((len(snaps), T, S), dtype=np.float32)
    rows, caps = [], []
    for k, x in enumerate(snaps):
        maps[k, :x.weights.shape[0]] = x.weights                        # (T_k, S) into (T, S)
        n = x.weights.shape[0]
        rows.append([x.output[t] if t < len(x.output) else ("end" if t < n else "·") for t in range(T)])
        caps.append(f"step {x.step} ({x.seconds:.0f} s) · weight on the true span {x.share:.2f}")
    return maps, [x.step for x in snaps], rows, caps


def _result(status: L.Status, colorscale: str) -> None:
    st.markdown(summary(status))
    left, right = st.columns([1.5, 1], gap="medium")
    with left:
        maps, steps, rows, caps = frames(status, last_only=status.active)
        fig = F.alignment_frames(maps, steps, list(status.keys), rows, status.truth,
                                 start=len(steps) - 1, colorscale=colorscale, captions=caps,
                                 key_title="source character", row_title="what it wrote")
        charts.plot(fig, key="live_map", name=f"live_{status.variant}")
    with right:
        pts = np.asarray(status.losses, dtype=np.float64).reshape(-1, 2)
        if len(pts):
            charts.plot(F.live_loss(pts[:, 0], pts[:, 1]), key="live_loss", name="live_loss")
        if not status.active and len(status.snapshots) > 1:
            st.caption("Press ▶ Play under the map to replay the run.")
