"""A student who keeps a live training job running while the class works (issue 24).

Used by ``benchmarks/classroom.py --live-job`` and ``tests/load/test_classroom.py``: one extra
websocket session opens the Translate page, opens "Train a small model now", clicks the button,
and watches its job the way a browser does -- the page's fragment asks the browser to rerun it
every 2 s (``auto_rerun``); this client sends exactly those fragment reruns.  When a job ends
(the Cancel button is gone) it starts the next one, until the class is over.  Its own latencies
are not part of the class's figures; what it saw is returned as a :class:`Trainer` report.
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Optional

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from classroom import ProxySession
from stclient import Session

PAGE = "translate"
SECTION, START, CANCEL = "live", "live_start", "live_cancel"
_STEP = re.compile(r"step (\d+)")


@dataclass
class Trainer:
    """What the training student saw: jobs started, polls, the furthest step reported per job,
    errors (an exception box, a failed run, a job that never showed progress)."""
    started: int = 0
    polls: int = 0
    steps: list = field(default_factory=list)          # furthest training step seen, per job
    progress: list = field(default_factory=list)       # the progress texts seen (last 50)
    errors: list = field(default_factory=list)
    first_progress_s: Optional[float] = None           # click -> first progress bar with a step


class TrainerSession(ProxySession):
    """A session that also learns expander ids, fragment ids, progress texts and which keyed
    widgets the latest run drew; and can click a button and send a fragment's auto-rerun."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.fragment: Optional[str] = None
        self.interval: Optional[float] = None
        self.run_keys: set = set()
        self.progress_text: str = ""
        self._extra: Optional[WidgetState] = None
        self._fragment_run: Optional[str] = None

    async def _rerun(self):
        self.run_keys = set()
        if self._fragment_run is None:
            return await super()._rerun()
        return await Session._rerun(self)        # a fragment run redraws only the fragment

    def _read_delta(self, delta, res) -> None:
        super()._read_delta(delta, res)
        if delta.fragment_id:
            self.fragment = delta.fragment_id
        kind = delta.WhichOneof("type")
        if kind == "add_block" and delta.add_block.WhichOneof("type") == "expandable":
            self._remember("expander", delta.add_block.expandable)
        elif kind == "new_element" and delta.new_element.WhichOneof("type") == "progress":
            self.progress_text = delta.new_element.progress.text
        elif kind == "new_element" and delta.new_element.WhichOneof("type") == "button":
            self._remember("button", delta.new_element.button)

    def _remember(self, kind: str, proto) -> None:
        super()._remember(kind, proto)
        wid = getattr(proto, "id", "")
        if wid.startswith("$$ID-"):
            self.run_keys.add(wid.split("-", 2)[2])

    async def _send_patched(self):
        """Send the rerun with the pending trigger / fragment id added (what the browser sends)."""
        real = self._ws.send

        async def send(data):
            msg = BackMsg()
            msg.ParseFromString(data)
            if self._extra is not None:
                msg.rerun_script.widget_states.widgets.append(self._extra)
            if self._fragment_run is not None:
                msg.rerun_script.fragment_id = self._fragment_run
                msg.rerun_script.is_auto_rerun = True
            await real(msg.SerializeToString())
        self._ws.send = send
        try:
            return await self._rerun()
        finally:
            self._ws.send = real

    async def click(self, key: str):
        """Click the button ``key`` (a trigger sent once)."""
        self._extra = WidgetState(id=self.widget_id(key), trigger_value=True)
        try:
            return await self._send_patched()
        finally:
            self._extra = None

    async def poll(self):
        """The fragment's auto-rerun, as the browser sends it every ``interval`` seconds."""
        if self.fragment is None:
            return await self._rerun()
        self._fragment_run = self.fragment
        try:
            return await self._send_patched()
        finally:
            self._fragment_run = None


async def keep_training(base: str, t_end: float, report: Trainer, poll_s: float = 2.0,
                        query: str = "", timeout: float = 60.0) -> None:
    """Keep one live job running on ``base`` until ``t_end`` (monotonic), then cancel it."""
    s = TrainerSession(base, PAGE, query, timeout=timeout)
    await s.__aenter__()
    try:
        res = await s.open()
        _check(res, report, "open")
        res = await s.set(SECTION, True)                 # open "Train a small model now"
        _check(res, report, "open the section")
        clicked_at = None
        best = 0
        while time.monotonic() < t_end:
            if CANCEL not in s.run_keys:                 # no job of ours: start one
                if clicked_at is not None:
                    report.steps.append(best)
                res = await s.click(START)
                _check(res, report, "start")
                report.started += 1
                clicked_at, best = time.monotonic(), 0
                if CANCEL not in s.run_keys:
                    report.errors.append("the job did not start (no Cancel button after the click)")
                    await asyncio.sleep(poll_s)
                    continue
            await asyncio.sleep(poll_s)
            s.progress_text = ""
            res = await s.poll()
            report.polls += 1
            _check(res, report, "poll")
            m = _STEP.search(s.progress_text)
            if m:
                best = max(best, int(m.group(1)))
                report.progress = (report.progress + [s.progress_text])[-50:]
                if best > 0 and report.first_progress_s is None:
                    report.first_progress_s = round(time.monotonic() - clicked_at, 1)
        if clicked_at is not None:
            report.steps.append(best)
        if CANCEL in s.run_keys:
            await s.click(CANCEL)
    except Exception as e:  # noqa: BLE001 - reported, never raised into the class
        report.errors.append(f"trainer: {type(e).__name__}: {e}")
    finally:
        try:
            await s.__aexit__(None, None, None)
        except Exception:  # noqa: BLE001
            pass


def _check(res, report: Trainer, what: str) -> None:
    if not res.ok:
        report.errors.append(f"{what}: status={res.status} exceptions={res.exceptions[:2]}")


def as_dict(t: Trainer) -> dict:
    return {"jobs_started": t.started, "polls": t.polls, "furthest_step_per_job": t.steps,
            "first_progress_s": t.first_progress_s, "errors": t.errors[:10],
            "last_progress": t.progress[-1] if t.progress else None}
