"""A short classroom run against one replica (the shared test server): 10 sessions x 30 s, each
opening a lesson preset of Home and changing a widget every 5-10 s, a quarter of them typing new
sentences (tests/load/classroom.py).  Asserted: 0 errors, every session opened its lesson and
finished, and what was done is what the plan says.  Never a time: the latency figures are printed
for the report; the full 30 x 3 min run is ``python benchmarks/classroom.py``."""
from __future__ import annotations

import json
import os

import pytest

import classroom as C
from stserver import REPO

pytestmark = pytest.mark.e2e

SESSIONS = int(os.environ.get("CLASSROOM_SESSIONS", "10"))
DURATION = float(os.environ.get("CLASSROOM_DURATION_S", "30"))


def test_lessons_are_links_to_the_sentence_page_the_class_can_open():
    """The plan itself: every lesson preset becomes a page path + query the client can open."""
    links = [C.lesson_link(k) for k in range(len(C.LESSONS))]
    assert len(links) >= 4                          # Home's Sentence presets, none dropped
    assert {page for _t, page, _q in links} == {"sentence"}
    assert all(q for _t, _p, q in links)
    # a typist's first change is a sentence nobody typed before; the others change widgets
    import random
    state = C.url_state("")
    assert C.next_action(random.Random(0), state, 12, typist=True, first=True)[0] == "text"
    keys = {C.next_action(random.Random(i), state, 12, typist=False)[0] for i in range(200)}
    assert keys == {"normalization", "scope", "layer", "head", "row", "temperature"}   # no window: global


def test_a_class_with_think_time_gets_no_errors(load_server):
    cfg = C.Config(sessions=SESSIONS, duration=DURATION, think=(5.0, 10.0), open_spread=5.0,
                   min_interactions=2, seed=1)
    rep = C.run_class(load_server.base_url, cfg, [load_server.pid] if load_server.pid else [])
    stats = rep.pop("_stats")
    out = REPO / "test-artifacts" / "load"
    out.mkdir(parents=True, exist_ok=True)
    (out / "classroom-short.json").write_text(json.dumps(rep, indent=2, default=str))
    print("\nCLASSROOM " + json.dumps(rep, indent=2, default=str))

    assert stats.errors == [], "\n".join(stats.errors[:20])
    assert stats.opened == SESSIONS and stats.completed == SESSIONS
    assert rep["interactions"] >= 2 * SESSIONS
    keys = {k for k, _s in stats.latency}
    assert "text" in keys and len(keys) >= 4, keys          # typists typed; widgets changed


def test_a_class_with_a_live_training_job_running_gets_no_errors(load_server):
    """Issue 24: the same kind of class (shorter) while one more session keeps Translate's "Train a
    small model now" busy, watching it as a browser does (tests/load/livejob.py).  Asserted: 0
    errors for the class and for the trainer, the job started and reported training steps.  The
    p95 with and without a job is measured by ``benchmarks/classroom.py [--live-job]``."""
    import time

    import livejob as J
    sessions, duration = min(SESSIONS, 6), min(DURATION, 25.0)
    cfg = C.Config(sessions=sessions, duration=duration, think=(5.0, 10.0), open_spread=5.0,
                   min_interactions=2, seed=2)
    trainer = J.Trainer()
    rep = C.run_class(load_server.base_url, cfg, [load_server.pid] if load_server.pid else [],
                      chaos=lambda _s: J.keep_training(load_server.base_url, time.monotonic() + duration,
                                                       trainer))
    stats = rep.pop("_stats")
    rep["live_job"] = J.as_dict(trainer)
    print("\nCLASSROOM+LIVE " + json.dumps(rep, indent=2, default=str))
    assert stats.errors == [], "\n".join(stats.errors[:20])
    assert stats.opened == sessions and stats.completed == sessions
    assert trainer.errors == [], trainer.errors
    assert trainer.started >= 1 and trainer.polls >= 3
    assert max(trainer.steps, default=0) > 0, rep["live_job"]          # it trained while the class worked
