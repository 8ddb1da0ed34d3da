"""Idle memory after classes (issue 26 #6): a server that a class has left gives back the class's
closed sessions once their reconnect window has passed, without waiting for another visitor,
and glibc's heap is bounded (``ui/memory.py``).

Before: Streamlit's kept-session cache dropped expired sessions only when the next session was
stored, so an idle server held the whole last class (~65-80 sessions, ~50 MB measured by
``python benchmarks/memory.py --classes 3 --other-pages 6``), and glibc ran 16 arenas.
"""
from __future__ import annotations

import ast
import asyncio
from concurrent.futures import ThreadPoolExecutor
import gc
import threading
import weakref
from contextlib import asynccontextmanager
from pathlib import Path

from streamlit.runtime.caching.ttl_cache import TTLCache
from streamlit.runtime.memory_session_storage import MemorySessionStorage
from streamlit.runtime.session_manager import SessionInfo
from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

from ui import memory

ROOT = Path(__file__).resolve().parent.parent
TTL = 120                                      # server.disconnectedSessionTTL, Streamlit's default


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class FakeSession:
    """What a kept session holds (its widget state, the last run's arrays), in a reference
    cycle as Streamlit's are; records ``shutdown()``."""

    def __init__(self, sid: str):
        self.id, self.state, self.shut = sid, {"result": bytearray(2**20)}, False
        self.state["owner"] = self                 # a cycle: only the collector frees it

    def shutdown(self) -> None:
        self.shut = True


def kept(clock: Clock, *ids: str) -> tuple[TTLCache, dict]:
    cache = TTLCache(maxsize=128, ttl=TTL, timer=clock)
    refs = {}
    for sid in ids:
        s = FakeSession(sid)
        cache[sid] = SessionInfo(client=None, session=s, script_run_count=1)
        refs[sid] = weakref.ref(s)
        del s
    return cache, refs


def test_a_class_that_left_is_released_once_its_reconnect_window_passed():
    clock = Clock()
    cache, refs = kept(clock, *(f"student{i}" for i in range(30)))
    clock.t += TTL + 1                          # the class left; nobody visits after it
    gc.collect()
    assert all(r() is not None for r in refs.values()), "Streamlit itself keeps them (the bug)"
    assert memory.sweep(cache, threading.Lock()) == 30
    assert all(r() is None for r in refs.values()), "an expired session is still referenced"
    assert len(cache) == 0


def test_a_session_inside_its_reconnect_window_is_kept_and_a_dropped_one_is_shut_down():
    clock = Clock()
    cache, refs = kept(clock, "gone")
    gone = refs["gone"]()
    clock.t += TTL - 10
    cache["blip"] = SessionInfo(client=None, session=FakeSession("blip"), script_run_count=1)
    clock.t += 20                                # "gone" past the window, "blip" 20 s into it
    assert memory.sweep(cache, threading.Lock()) == 1
    assert gone.shut, "a dropped session is shut down (its uploads and downloads released)"
    assert "blip" in cache and not cache["blip"].session.shut
    assert memory.sweep(cache, threading.Lock()) == 0


def test_the_sweep_finds_the_kept_sessions_of_this_streamlit():
    """Pins the Streamlit internals the sweep reaches (they moved before: this fails then)."""
    storage = MemorySessionStorage(ttl_seconds=TTL)
    mgr = WebsocketSessionManager(session_storage=storage, uploaded_file_manager=None,
                                  script_cache=None, message_enqueued_callback=None)
    rt = type("Runtime", (), {"_session_mgr": mgr})()
    cache, lock = memory._kept(rt)
    assert cache is storage._cache and lock is mgr._storage_lock
    assert cache.ttl == TTL


def test_the_apps_lifespan_runs_the_sweep_and_bounds_glibc():
    calls = []

    @asynccontextmanager
    async def inner(app):
        calls.append("warm")
        yield

    async def go():
        orig = memory.sweep
        memory.sweep = lambda **kw: calls.append("sweep") or 0
        try:
            async with memory.with_sweeper(inner, every=0.01)(None):
                await asyncio.sleep(0.1)
        finally:
            memory.sweep = orig
    # a fresh thread has no running event loop (in the full suite, the browser tests' sync
    # Playwright leaves one running in the main thread, and asyncio.run() refuses to nest)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, go()).result(timeout=30)
    assert calls[0] == "warm" and calls.count("sweep") >= 2
    assert 1 <= memory.TUNED["arena_max"] <= 4, memory.TUNED
    assert 0 < memory.TUNED["mmap_threshold"] <= 2**20, memory.TUNED
    assert memory.SWEEP_SECONDS <= 60


def test_app_py_wraps_its_lifespan_with_the_sweeper():
    tree = ast.parse((ROOT / "app.py").read_text())
    wrapped = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
               and getattr(n.func, "id", "") == "with_sweeper"
               and n.args and getattr(n.args[0].func, "id", "") == "lifespan"]
    assert wrapped, "app.py must pass with_sweeper(lifespan(...)) to st.App"
