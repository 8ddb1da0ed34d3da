"""What a server gives back once a class has gone (issue 26 #6): kept sessions and glibc's heap.

Measured (``python benchmarks/memory.py --classes 3 --other-pages 6``, the probe in
``benchmarks/memprobe.py``): after three classes an idle replica sat at ~770 MB against the
700 MB class target.  Beside the models (~245 MB of tensors), the libraries (~155 MB) and the
byte-bounded caches (<= 128 MB, :mod:`ui.cache`), two things held memory that nothing used:

* **Closed sessions.**  Streamlit keeps a session whose websocket closed for
  ``server.disconnectedSessionTTL`` (120 s, so a tab that loses its connection for a moment
  gets its state back), in a TTL cache that drops expired entries only when the *next* session
  is stored.  A class that has left is never followed by another visitor until the next lesson:
  its ~65-80 sessions (widget state, the last run's results, uploads, downloads) stayed.
  :func:`sweep` drops expired ones every :data:`SWEEP_SECONDS` and shuts them down as
  Streamlit's own ``close_session`` does (uploaded and media files released); the 120 s
  reconnect window is unchanged.
* **glibc's heap.**  Every script run is a new thread; glibc gives threads their own arenas
  (up to 8 per core: 16 here), and numpy/torch results of 1-20 MB land in them once glibc's
  dynamic mmap threshold has risen past their size, so freed memory stays in 16 fragmented
  heaps.  :func:`tune_malloc` caps the arenas at :data:`ARENA_MAX` and fixes the mmap
  threshold at :data:`MMAP_THRESHOLD` (large blocks are mapped and unmapped: freed memory goes
  back to the system), and :func:`sweep` calls ``malloc_trim(0)`` after it dropped sessions.

:func:`with_sweeper` wraps the app's ``st.App`` lifespan (``app.py``) with both.  Nothing here
changes what a visitor sees.
"""
from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import os
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger(__name__)

#: glibc ``mallopt`` parameters (malloc.h)
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8
#: arenas glibc may create (default 8 per core); the GIL runs one Python thread at a time
ARENA_MAX = int(os.environ.get("AE_MALLOC_ARENAS", "2"))
#: blocks from this size up are mmapped and returned on free (glibc's default starts at 128 KiB
#: and rises to 32 MiB with the first large block freed, after which results stay in the heap)
MMAP_THRESHOLD = 256 * 1024
#: how often expired kept sessions are dropped (seconds)
SWEEP_SECONDS = 30.0

#: what :func:`tune_malloc` set (for the tests and the probe)
TUNED: dict[str, int] = {}


def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:                      # not glibc (musl, macOS): nothing to tune
        return None


def tune_malloc() -> dict[str, int]:
    """Cap glibc's arenas at :data:`ARENA_MAX` and fix the mmap threshold at
    :data:`MMAP_THRESHOLD` (``mallopt``), unless the environment already sets them
    (``MALLOC_ARENA_MAX`` / ``MALLOC_MMAP_THRESHOLD_``, e.g. from ``scripts/serve.sh``).
    Returns what was set; a no-op away from glibc."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return {}
    for name, param, value in (("arena_max", M_ARENA_MAX, ARENA_MAX),
                               ("mmap_threshold", M_MMAP_THRESHOLD, MMAP_THRESHOLD)):
        env = {"arena_max": "MALLOC_ARENA_MAX", "mmap_threshold": "MALLOC_MMAP_THRESHOLD_"}[name]
        if os.environ.get(env):
            TUNED[name] = int(os.environ[env])
        elif libc.mallopt(param, value) == 1:
            TUNED[name] = value
    return dict(TUNED)


def trim() -> None:
    """Give glibc's free pages back to the system (``malloc_trim(0)``)."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def _kept(runtime: Any = None) -> tuple[Any, Any]:
    """(the TTL cache of closed sessions, the lock that guards it) of Streamlit's session
    manager, or (None, None) when this Streamlit keeps them elsewhere."""
    if runtime is None:
        from streamlit.runtime import Runtime
        if not Runtime.exists():
            return None, None
        runtime = Runtime.instance()
    mgr = getattr(runtime, "_session_mgr", None)
    cache = getattr(getattr(mgr, "_session_storage", None), "_cache", None)
    lock = getattr(mgr, "_storage_lock", None)
    if cache is None or lock is None or not hasattr(cache, "expire"):
        return None, None
    return cache, lock


def sweep(cache: Any = None, lock: Any = None) -> int:
    """Drop the closed sessions whose reconnect window (``server.disconnectedSessionTTL``) has
    passed, shut them down (their uploads and downloads go), then collect and trim the heap.
    ``cache``/``lock`` default to the running server's.  Returns the number dropped."""
    if cache is None:
        cache, lock = _kept()
        if cache is None:
            return 0
    with lock:
        gone = [info for _, info in cache.expire()]
    n = len(gone)
    while gone:
        try:
            gone.pop().session.shutdown()
        except Exception:  # noqa: BLE001 - a session that fails to shut down is still dropped
            log.exception("shutting down an expired session failed")
    if n:
        gc.collect()                     # sessions hold reference cycles; an idle server runs no
        trim()                           # script, so nothing else would collect them
    return n


async def sweep_forever(every: float = SWEEP_SECONDS, **kw) -> None:
    """:func:`sweep` every ``every`` seconds until cancelled (on the server's event loop: the
    session manager and ``AppSession.shutdown`` run there)."""
    while True:
        await asyncio.sleep(every)
        try:
            n = sweep(**kw)
            if n:
                log.info("dropped %d closed sessions past their reconnect window", n)
        except Exception:  # noqa: BLE001 - never take the server down
            log.exception("sweeping closed sessions failed")


def with_sweeper(lifespan, every: float = SWEEP_SECONDS):
    """Wrap an ``st.App`` lifespan: :func:`tune_malloc` now (at import of ``app.py``, before
    the sessions' threads exist), and :func:`sweep_forever` while the server runs."""
    tune_malloc()

    @asynccontextmanager
    async def _lifespan(app):
        async with lifespan(app) as state:
            task = asyncio.create_task(sweep_forever(every))
            try:
                yield state
            finally:
                task.cancel()
    return _lifespan
