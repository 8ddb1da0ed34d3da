"""Issue 25, a clean log: the server's start-up warm-up calls ``st.cache_resource`` loaders in a
plain thread, and Streamlit warned "Thread 'warmup': missing ScriptRunContext!" once per call
(12 lines at every start).  ``ui.warmup`` drops exactly that warning from exactly that thread,
while it runs; every other record still gets through.  (The running server's whole log is
checked in tests/e2e/test_e2e_log.py.)"""
from __future__ import annotations

import gc
import logging
import threading

import streamlit as st

from ui import warmup


@st.cache_resource
def _cached_loader() -> int:
    return 42


def cached_call() -> None:
    """A warm-up call (``"module:function"``) that goes through st.cache_resource."""
    _cached_loader()


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def _in_thread(name: str, fn) -> None:
    t = threading.Thread(target=fn, name=name)
    t.start()
    t.join(60)


def _missing(records) -> list[str]:
    return [r.getMessage() for r in records if "missing ScriptRunContext" in r.getMessage()]


def test_the_warmup_thread_logs_no_missing_context_warning_and_others_still_do():
    logger = logging.getLogger(warmup.CONTEXT_LOGGER)
    rec = _Records()
    logger.addHandler(rec)
    try:
        _in_thread("other", cached_call)                      # the warning exists outside the warm-up
        assert _missing(rec.records) == ["Thread 'other': missing ScriptRunContext! This warning can be "
                                         "ignored when running in bare mode."]
        rec.records.clear()
        _cached_loader.clear()
        try:
            _in_thread(warmup.THREAD_NAME, lambda: warmup.warm([], ["tests.test_clean_log:cached_call"]))
        finally:
            gc.unfreeze()
        assert warmup.DONE.get("tests.test_clean_log:cached_call") is not None
        assert _missing(rec.records) == []
        assert not any(isinstance(f, warmup._NoScriptContextWarning) for f in logger.filters), \
            "the filter is removed when the warm-up ends"
        # while it is installed, it is specific: another thread's warning, or another message, passes
        with warmup._quiet_missing_context():
            _in_thread("other", lambda: (_cached_loader.clear(), cached_call()))
            _in_thread(warmup.THREAD_NAME, lambda: logger.warning("Thread '%s': something else",
                                                                  warmup.THREAD_NAME))
        msgs = [r.getMessage() for r in rec.records]
        assert any(m.startswith("Thread 'other': missing ScriptRunContext") for m in msgs)
        assert "Thread 'warmup': something else" in msgs
    finally:
        logger.removeHandler(rec)
