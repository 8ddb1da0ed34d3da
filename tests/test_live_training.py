"""Issue 24, "Train one live": the runner of training/live.py (one job per process, a FIFO queue
with positions, cancel, a wall-clock limit, progress snapshots) and the Translate page's section
(features/translate/live.py) in AppTest.

Most tests run a *fake* child (a 20-line script printing the same JSON lines) so the queue logic
is tested in seconds; one test trains the real model for 8 s and checks what it reports.  No
timing thresholds except the limit itself (the runner kills its child at the limit)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from training import live as L

ROOT = Path(__file__).resolve().parent.parent

FAKE = r"""
import json, sys, time
mode = sys.argv[1]
def emit(m):
    print(json.dumps(m), flush=True)
if mode == "fail":
    print("boom: the fake child failed", file=sys.stderr, flush=True)
    sys.exit(3)
emit({"type": "ready", "keys": ["a", "b", "c"], "target": ["1", "</s>"], "truth": [[1, 0, 0], [0, 0, 0]]})
for k in range(10 ** 6):
    emit({"type": "snapshot", "step": 10 * k, "seconds": 0.3 * k, "loss": 1.0 / (k + 1), "output": "1",
          "weights": [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8]], "share": 0.6, "peak": 1.0, "exact": None,
          "losses": [[10 * k, 1.0 / (k + 1)]]})
    if mode == "quick" and k == 2:
        sys.exit(0)
    time.sleep(0.3)
"""


class FakeRunner(L.Runner):
    """The runner with a fake child: the job's variant names its behaviour (``forever`` runs
    until killed, ``quick`` ends by itself after 3 snapshots, ``fail`` exits with an error)."""

    def __init__(self, script: Path, **kw):
        super().__init__(**kw)
        self.script = script

    def _command(self, job):
        return [sys.executable, str(self.script), job.variant]


@pytest.fixture
def fake(tmp_path):
    script = tmp_path / "fake_child.py"
    script.write_text(FAKE, encoding="utf-8")
    made = []

    def make(**kw):
        kw.setdefault("limit", 4.0)
        r = FakeRunner(script, **kw)
        made.append(r)
        return r
    yield make
    for r in made:
        r.shutdown()


def wait_for(r, job, pred, timeout=20.0):
    """Poll ``r.status(job)`` (as the page's fragment does) until ``pred(status)``."""
    t = time.monotonic()
    while time.monotonic() - t < timeout:
        s = r.status(job)
        if pred(s):
            return s
        time.sleep(0.1)
    raise AssertionError(f"timed out; last status {r.status(job)}")


def test_lesson_truth_marks_the_characters_of_each_field():
    for text, (target, spans) in L.LESSONS.items():
        tr = L.truth(text, 1 + len(text))                        # a tag first, as the model reads it
        assert tr.shape == (len(L.ROW_FIELDS), 1 + len(text)) and not tr[:, 0].any()
        for t, f in enumerate(L.ROW_FIELDS):
            got = "".join(c for c, on in zip(text, tr[t, 1:]) if on)
            if f is None:
                assert got == ""
            elif f == "year":
                assert got == target[t]                  # year digit t reads that very digit
            else:
                a, b = spans[f]
                assert got == text[a:b]
    with pytest.raises(ValueError, match="lesson must be one of"):
        L.truth("nope", 10)


def test_a_job_starts_reports_progress_a_second_request_is_queued_and_both_end_within_the_limit(fake):
    r = fake(limit=3.0)
    a = r.submit("forever")
    b = r.submit("quick")
    sb = r.status(b)
    assert sb.state == "queued" and sb.position in (1, 2)      # a may not have left the queue yet
    sa = wait_for(r, a, lambda s: len(s.snapshots) >= 2)
    assert sa.state == "running" and sa.position == 0
    assert sa.keys == ("a", "b", "c") and sa.truth.tolist() == [[True, False, False], [False] * 3]
    assert sa.latest.weights.shape == (2, 3) and sa.latest.share == pytest.approx(0.6)
    assert sa.losses[0] == (0, 1.0)
    sb = r.status(b)
    assert sb.state == "queued" and sb.position == 1 and 0 < sb.ahead <= r.limit
    sa = wait_for(r, a, lambda s: not s.active)
    assert sa.state == "done" and "time limit" in sa.message
    assert sa.seconds <= r.limit + 0.5                          # killed at the limit
    sb = wait_for(r, b, lambda s: not s.active)
    assert sb.state == "done" and len(sb.snapshots) == 3 and sb.seconds < r.limit
    assert r.runs == 2 and not r.busy()


def test_cancel_a_queued_and_a_running_job(fake):
    r = fake(limit=20.0)
    a, b, c = r.submit("forever"), r.submit("quick"), r.submit("quick")
    wait_for(r, a, lambda s: s.state != "queued")
    assert r.cancel(b)
    assert r.status(b).state == "cancelled" and r.status(c).position == 1
    sa = wait_for(r, a, lambda s: s.snapshots)
    pid = None
    with r._cv:
        pid = r._jobs[a].process.pid
    assert r.cancel(a)
    sa = wait_for(r, a, lambda s: not s.active, timeout=5)
    assert sa.state == "cancelled" and sa.seconds < 10
    with pytest.raises(ProcessLookupError):                     # the child is gone
        import os
        for _ in range(20):
            os.kill(pid, 0)
            time.sleep(0.1)
    wait_for(r, c, lambda s: s.state == "done")                 # the queue moved on
    assert r.runs == 2                                          # b never ran
    assert not r.cancel(a) and not r.cancel("no-such-job")


def test_a_request_nobody_asks_about_is_dropped_and_a_full_queue_refuses(fake):
    r = fake(limit=20.0, stale=1.0, max_queue=2)
    a = r.submit("forever")
    wait_for(r, a, lambda s: s.snapshots)
    b = r.submit("quick")
    c = r.submit("quick")
    with pytest.raises(ValueError, match="queue is full"):
        r.submit("quick")
    t = time.monotonic()
    while time.monotonic() - t < 3.0:                           # ask about a only
        r.status(a)
        time.sleep(0.2)
    assert r.status(b).state == "cancelled" and "nobody asked" in r.status(b).message
    assert r.status(c).state == "cancelled"
    assert r.status(a).state == "running"
    with pytest.raises(ValueError, match="lesson must be one of"):
        r.submit("quick", "31. Februar")


def test_a_failing_child_is_reported(fake):
    r = fake()
    a = r.submit("fail")
    s = wait_for(r, a, lambda s: not s.active)
    assert s.state == "failed" and "boom: the fake child failed" in s.message


def test_limit_is_at_most_a_minute():
    with pytest.raises(ValueError, match="at most 60"):
        L.Runner(limit=61)


def test_the_real_child_trains_the_date_model_and_reports_its_attention():
    """The real thing, 15 s (starting torch in a child takes 2-9 s on a busy 2-core machine): a
    fresh model of the shipped architecture, the lesson's truth, and maps over the lesson input's
    keys (nothing written to disk: the child gets no path)."""
    r = L.Runner(limit=15.0, every=1.0, nice=0)
    try:
        job = r.submit("bahdanau", "3. März 2021")
        s = wait_for(r, job, lambda s: not s.active, timeout=30)
        assert s.state == "done", s.message
        assert s.seconds <= 15.5
        assert s.snapshots, "no progress was reported"
        S = len(s.keys)
        assert S >= len("3. März 2021") and s.truth.shape == (11, S)
        assert [k.lower() for k in s.keys[-12:]] == list("3. märz 2021")
        for x in s.snapshots:
            assert x.weights.shape[1] == S and 0 <= x.share <= 1
            np.testing.assert_allclose(x.weights.sum(1), 1, atol=2e-3)
        assert [x.step for x in s.snapshots] == sorted(x.step for x in s.snapshots)
    finally:
        r.shutdown()


# ----------------------------------------------------------------------------- the page's section
SCRIPT = """
import sys
sys.path.insert(0, {root!r})
import streamlit as st
from features.translate import live
st.session_state.setdefault("live", True)
live.section("Viridis")
"""


@pytest.fixture
def section(fake, tmp_path):
    """AppTest of the section with the process's runner replaced by a fake one (restored after)."""
    from streamlit.testing.v1 import AppTest
    r = fake(limit=6.0)
    saved = list(L._RUNNER)
    L._RUNNER[:] = [r]
    script = tmp_path / "live_section.py"
    script.write_text(SCRIPT.format(root=str(ROOT)), encoding="utf-8")

    def open_():
        at = AppTest.from_file(str(script), default_timeout=60)
        at.run()
        assert not at.exception, at.exception
        return at
    yield r, open_
    L._RUNNER[:] = saved


def _text(at) -> str:
    return " ".join([m.value for m in at.markdown] + [m.value for m in at.info] +
                    [m.value for m in at.success] + [m.value for m in at.caption])


def test_section_start_progress_queue_and_cancel(section):
    r, open_ = section
    at = open_()
    at.selectbox(key="live_variant").set_value("bahdanau")
    assert not at.button(key="live_start").disabled
    # (the fake child runs until stopped for any variant name but "quick" / "fail")
    at.button(key="live_start").click().run()
    assert not at.exception
    job = at.session_state["_live_job"]
    wait_for(r, job, lambda s: s.snapshots)
    at.run()
    assert at.button(key="live_start").disabled and at.get("progress")
    assert "Step" in _text(at) and "0.60 of each output step's weight" in _text(at)
    # a second session asks too: it is queued, number 1, and sees it
    other = open_()
    other.button(key="live_start").click().run()
    assert "number 1" in _text(other)
    other.button(key="live_cancel").click().run()
    assert r.status(other.session_state["_live_job"]).state == "cancelled"
    # the first cancels its running job
    at.button(key="live_cancel").click().run()
    assert not at.exception
    s = wait_for(r, job, lambda s: not s.active, timeout=5)
    assert s.state == "cancelled"
    at.run()
    assert not at.button(key="live_start").disabled and "cancelled" in _text(at)
