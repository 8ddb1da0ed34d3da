"""A process-wide cache bounded by **bytes**, for read-only numpy results shared by every session.

``st.cache_data`` bounds entries, not bytes, and copies (pickles) every value on every hit: a
512-token text costs ~20 MB per hit and 48 of them reached 2.3 GB.  :func:`bounded` keeps one
read-only copy per key (numpy arrays are frozen with ``writeable=False``, so a page cannot
mutate what another session sees), evicts least-recently-used entries once the total passes
``max_bytes``, and computes a key once even when a class of 30 asks for it at the same moment.

**One budget for all of them** (issue 26 #6).  Each cache has its own ``max_bytes``, and
together they share one process-wide :data:`SHARED` budget (``AE_CACHE_MB``, default 128 MB):
once the caches hold more than that between them, the least recently used entry of *any* cache
goes.  Measured (``python benchmarks/memory.py --classes 3``): the per-cache budgets added up to
338 MB, and a server that had served a few classes kept them filled on top of its ~420 MB after
the warm-up -- past the 700 MB class target.  With the shared budget the caches can never hold
more than 128 MB together, whichever pages the classes used.  (160 MB first; with closed
sessions swept (``ui.memory``) a replica still sat at 723 MB idle after 3 classes with the caches
full, 689 MB with 128: ``benchmarks/results/memory_issue26.md``.)
"""
from __future__ import annotations

import functools
import itertools
import os
import threading
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

_ALL: dict[str, "BytesLRU"] = {}


def nbytes(value: Any) -> int:
    """Approximate size of a result: numpy arrays by ``nbytes``, containers recursively."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + (64 * value.size if value.dtype == object else 0)
    if isinstance(value, dict):
        return sum(nbytes(v) for v in value.values()) + 64 * len(value)
    if isinstance(value, (list, tuple)):
        return sum(nbytes(v) for v in value) + 8 * len(value)
    if isinstance(value, str):
        return len(value) + 49
    return 32


def freeze(value: Any) -> Any:
    """Make numpy arrays inside ``value`` read-only (in place); return ``value``."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, dict):
        for v in value.values():
            freeze(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            freeze(v)
    return value


class Budget:
    """A byte budget shared by several :class:`BytesLRU` caches: their entries together stay
    within ``max_bytes``; over it, the least recently used entry among all of them is evicted.
    One lock for its caches (only bookkeeping runs under it; computations run outside)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = int(max_bytes)
        self.total = 0
        self.lock = threading.Lock()
        self.members: list["BytesLRU"] = []
        self._tick = itertools.count()

    def stamp(self) -> int:
        return next(self._tick)

    def _shrink(self) -> None:
        """Evict least-recently-used entries across the members until within budget (lock held)."""
        while self.total > self.max_bytes:
            victim = min((c for c in self.members if c._data),
                         key=lambda c: c._stamps[next(iter(c._data))])
            victim._evict_oldest()


#: The one budget of every cache made with :func:`bounded` (the app's caches).
SHARED = Budget(int(os.environ.get("AE_CACHE_MB", "128")) * 2**20)


class BytesLRU:
    """LRU mapping bounded by the total :func:`nbytes` of its values (thread-safe), and by the
    :class:`Budget` it shares with other caches (its own one if none is given)."""

    def __init__(self, name: str, max_bytes: int, budget: Budget | None = None):
        self.name, self.max_bytes = name, int(max_bytes)
        self.budget = budget if budget is not None else Budget(max_bytes)
        self.budget.members.append(self)
        self._data: OrderedDict = OrderedDict()
        self._sizes: dict = {}
        self._stamps: dict = {}
        self._lock = self.budget.lock
        self._inflight: dict = {}
        self.total = 0

    def get_or_compute(self, key, compute: Callable[[], Any]) -> Any:
        while True:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    self._stamps[key] = self.budget.stamp()
                    return self._data[key]
                event = self._inflight.get(key)
                if event is None:
                    event = self._inflight[key] = threading.Event()
                    owner = True
                else:
                    owner = False
            if not owner:
                event.wait()                 # another session is computing it: reuse its result
                continue
            try:
                value = freeze(compute())
                self._put(key, value)
                return value
            finally:
                with self._lock:
                    self._inflight.pop(key, None)
                event.set()

    def _put(self, key, value) -> None:
        size = nbytes(value)
        with self._lock:
            if size > min(self.max_bytes, self.budget.max_bytes) or key in self._data:
                return                       # larger than the whole budget: not kept
            self._data[key] = value
            self._sizes[key] = size
            self._stamps[key] = self.budget.stamp()
            self.total += size
            self.budget.total += size
            while self.total > self.max_bytes:
                self._evict_oldest()
            self.budget._shrink()

    def _evict_oldest(self) -> None:
        """Drop this cache's least recently used entry (lock held)."""
        old, _ = self._data.popitem(last=False)
        size = self._sizes.pop(old)
        self._stamps.pop(old)
        self.total -= size
        self.budget.total -= size

    def clear(self) -> None:
        with self._lock:
            self.budget.total -= self.total
            self._data.clear()
            self._sizes.clear()
            self._stamps.clear()
            self.total = 0

    def __len__(self) -> int:
        return len(self._data)


def bounded(name: str, max_bytes: int):
    """Decorator: cache ``fn(*args)`` (hashable positional/keyword args) in a :class:`BytesLRU`
    of at most ``max_bytes``, within the process-wide :data:`SHARED` budget."""
    def wrap(fn):
        cache = _ALL.get(name) or _ALL.setdefault(name, BytesLRU(name, max_bytes, SHARED))

        @functools.wraps(fn)
        def inner(*args, **kwargs):
            key = (args, tuple(sorted(kwargs.items())))
            return cache.get_or_compute(key, lambda: fn(*args, **kwargs))
        inner.cache = cache
        return inner
    return wrap


def caches() -> dict[str, BytesLRU]:
    """Every bounded cache by name (for the benchmark and tests)."""
    return dict(_ALL)
