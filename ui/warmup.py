"""Warm the server when it starts, not on the first visitor.

``streamlit run app.py`` finds the ``st.App`` that ``app.py`` defines when it is *imported*
(Streamlit 1.67 serves a script that assigns ``app = st.App(...)`` as an ASGI app, and runs the
same file as the router script for every session).  The App's lifespan hook calls
:func:`lifespan`, which starts one background thread that imports torch and the pages' modules
and loads the models, so the first visitor's script run finds them in ``sys.modules`` and in
``st.cache_resource`` instead of paying ~1-3 s for them.  The server starts serving (and
answers health checks) when the warm-up is done; a failure is logged and changes nothing else.
"""
from __future__ import annotations

import gc
import importlib
import logging
import threading
import time
from contextlib import asynccontextmanager, contextmanager
from typing import Sequence

log = logging.getLogger("attention_explorer.warmup")

#: The thread the warm-up runs in (its name is what :class:`_NoScriptContextWarning` matches).
THREAD_NAME = "warmup"
#: Streamlit's logger that warns when Streamlit code runs in a thread with no ScriptRunContext.
CONTEXT_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"


class _NoScriptContextWarning(logging.Filter):
    """Drops Streamlit's "Thread 'warmup': missing ScriptRunContext!" warning, and nothing else.

    The warm-up calls ``st.cache_resource`` loaders (to fill the cache before the first visitor)
    in a plain thread at server start, when no script runs and so no ScriptRunContext exists.
    Each cached call asks for the context and Streamlit logs one warning when there is none:
    12 of them at every start, and harmless (the cache is process-wide; no session state is
    touched).  The filter sits on that one Streamlit logger, matches only this message from the
    warm-up thread, and is removed when the warm-up ends."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName == THREAD_NAME
                    and str(record.msg).startswith("Thread '%s': missing ScriptRunContext"))


@contextmanager
def _quiet_missing_context():
    """While the warm-up runs: Streamlit's missing-ScriptRunContext warning for this thread
    dropped (:class:`_NoScriptContextWarning`); every other record passes."""
    logger, flt = logging.getLogger(CONTEXT_LOGGER), _NoScriptContextWarning()
    logger.addFilter(flt)
    try:
        yield
    finally:
        logger.removeFilter(flt)

#: What the last warm-up did: module -> seconds, plus "total" (for the benchmark and tests).
DONE: dict[str, float] = {}
_THREAD: list[threading.Thread] = []


def wait(timeout: float = 120.0) -> None:
    """Block until a running warm-up has finished (every page calls this first): a script that
    imported a module while the warm-up thread was half-way through importing it could see it
    partially initialised (seen: plotly reading a half-imported pandas)."""
    for t in list(_THREAD):
        t.join(timeout)


def warm(modules: Sequence[str], calls: Sequence[str] = ()) -> None:
    """Import ``modules`` and run ``calls`` (``"module:function"``, e.g. model loaders), timing
    each; never raises."""
    t0 = time.perf_counter()
    with _quiet_missing_context():
        for name in modules:
            t = time.perf_counter()
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as e:
                log.warning("warm-up: %s", e)
            except Exception:  # noqa: BLE001 - a warm-up must never take the server down
                log.exception("warm-up: importing %s failed", name)
            DONE[name] = time.perf_counter() - t
        for call in calls:
            t = time.perf_counter()
            try:
                module, _, attr = call.partition(":")
                getattr(importlib.import_module(module), attr)()
            except Exception:  # noqa: BLE001
                log.exception("warm-up: %s failed", call)
            DONE[call] = time.perf_counter() - t
    # Streamlit runs a full gc.collect() after every script run (runner.postScriptGC): with torch
    # and every page loaded that walked ~280,000 long-lived objects, ~150 of the ~170 ms of CPU
    # per rerun, holding the GIL for every session.  Freezing what start-up loaded moves those
    # objects out of the collector's reach (classroom load, 30 sessions: p95 10.4 s -> 0.6 s).
    gc.collect()
    gc.freeze()
    DONE["frozen"] = gc.get_freeze_count()
    DONE["total"] = time.perf_counter() - t0
    log.info("warm-up done in %.1f s", DONE["total"])


def lifespan(modules: Sequence[str], calls: Sequence[str] = ()):
    """An ``st.App`` lifespan that runs :func:`warm` at server start, before the server takes
    its first request: ``/_stcore/health`` (a load balancer's or Kubernetes' readiness probe)
    answers once the models are loaded, so no visitor ever waits for them.  Run in a worker
    thread (``asyncio.to_thread``) so the event loop stays free."""
    @asynccontextmanager
    async def _lifespan(_app):
        import asyncio
        t = threading.Thread(target=warm, args=(modules, calls), name=THREAD_NAME, daemon=True)
        _THREAD.append(t)
        t.start()
        await asyncio.to_thread(t.join)
        yield
    return _lifespan
