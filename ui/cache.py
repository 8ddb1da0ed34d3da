"""A process-wide cache bounded by **bytes**, for read-only numpy results shared by every session.

``st.cache_data`` bounds entries, not bytes, and copies (pickles) every value on every hit: a
512-token text costs ~20 MB per hit and 48 of them reached 2.3 GB.  :func:`bounded` keeps one
read-only copy per key (numpy arrays are frozen with ``writeable=False``, so a page cannot
mutate what another session sees), evicts least-recently-used entries once the total passes
``max_bytes``, and computes a key once even when a class of 30 asks for it at the same moment.
"""
from __future__ import annotations

import functools
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


class BytesLRU:
    """LRU mapping bounded by the total :func:`nbytes` of its values (thread-safe)."""

    def __init__(self, name: str, max_bytes: int):
        self.name, self.max_bytes = name, int(max_bytes)
        self._data: OrderedDict = OrderedDict()
        self._sizes: dict = {}
        self._lock = threading.Lock()
        self._inflight: dict = {}
        self.total = 0

    def get_or_compute(self, key, compute: Callable[[], Any]) -> Any:
        while True:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
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
            if size > self.max_bytes:
                return                       # larger than the whole budget: not kept
            self._data[key] = value
            self._sizes[key] = size
            self.total += size
            while self.total > self.max_bytes:
                old, _ = self._data.popitem(last=False)
                self.total -= self._sizes.pop(old)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._sizes.clear()
            self.total = 0

    def __len__(self) -> int:
        return len(self._data)


def bounded(name: str, max_bytes: int):
    """Decorator: cache ``fn(*args)`` (hashable positional/keyword args) in a :class:`BytesLRU`."""
    def wrap(fn):
        cache = _ALL.setdefault(name, BytesLRU(name, max_bytes))

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
