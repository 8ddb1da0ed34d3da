"""What holds a server's memory, measured from inside the server process (issue 26 #6).

    python benchmarks/memprobe.py run app.py --server.port 8501 ...   # = streamlit run, probed

Runs ``streamlit`` in this process after installing a ``SIGUSR1`` handler.  On the signal the
server writes one JSON report to ``$AE_MEMPROBE_OUT`` (atomically: ``.tmp`` then rename):

* ``rss_mb`` / ``hwm_mb`` / ``threads`` (``/proc/self/status``);
* ``smaps``: resident MB by kind -- ``anon`` (the heap: Python objects, tensors, arrays, malloc's
  free lists), ``so`` (shared libraries' code and data: libtorch, numpy, ...), ``file`` (other
  mapped files, e.g. safetensors), the largest libraries;
* ``caches``: every ``ui.cache.bounded`` cache -- entries, bytes held, budget;
* ``tensors`` (``SIGUSR2`` only: the last probe of a run): unique torch storages reachable by
  the garbage collector (models' weights, cached arrays that share a tensor's memory), total
  MB, and the ``torch.nn.Module`` instances by class.  The walk has to unfreeze the objects
  ``gc.freeze()`` put away after the warm-up; freezing again would also freeze what the
  sessions hold at that moment (never collected after: the next probes would grow), so it is
  done once, at the end;
* ``gc``: ``gc.get_freeze_count()`` (objects frozen after the warm-up), objects per generation;
  ``pymalloc_blocks`` (``sys.getallocatedblocks``);
* ``malloc``: glibc ``mallinfo2`` -- bytes in use, bytes freed but still held by the arenas
  (``free_held_mb``), mmapped; the number of arenas from ``malloc_info``;
* ``pymalloc``: CPython's small-object allocator (its own 1 MiB arenas, outside glibc's
  ``mallinfo2``): arenas held, bytes in live objects;
* ``unfrozen``: objects created after the warm-up and still alive, by type; ``arrays``
  (``SIGUSR2`` only): numpy arrays those objects hold outside the byte-bounded caches, by holder;
* ``traced`` (only under ``PYTHONTRACEMALLOC=N``): what grew since the previous probe, by line;
* ``tuned``: what ``ui.memory.tune_malloc`` set (arena cap, mmap threshold);
* ``trim`` (``SIGUSR2`` instead of ``SIGUSR1``): RSS before and after ``malloc_trim(0)`` -- how
  much of the RSS is memory the program already freed and glibc had kept.

Used by ``benchmarks/memory.py --classes N``.  Never imported by the app.
"""
from __future__ import annotations

import ctypes
import gc
import json
import os
import re
import signal
import sys
import threading
from collections import Counter, defaultdict
from pathlib import Path


def _status() -> dict:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
            out[k] = int(v.split()[0]) / 1024
        elif k == "Threads":
            out[k] = int(v)
    return out


def _smaps() -> dict:
    by_path: dict = defaultdict(float)
    path = ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and re.fullmatch(r"[0-9a-f]+-[0-9a-f]+", head[0]):
            path = head[5] if len(head) > 5 else ""
        elif line.startswith("Rss:"):
            by_path[path] += int(head[1]) / 1024
    kinds = Counter()
    libs = Counter()
    for p, mb in by_path.items():
        if not p or p.startswith("["):
            kinds["anon"] += mb
        elif ".so" in os.path.basename(p):
            kinds["so"] += mb
            libs[os.path.basename(p)] += mb
        else:
            kinds["file"] += mb
            libs[os.path.basename(p)] += mb
    return {"kinds_mb": {k: round(v, 1) for k, v in kinds.items()},
            "largest_mb": {k: round(v, 1) for k, v in libs.most_common(12)}}


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                                "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def _malloc() -> dict:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _Mallinfo2
        m = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    arenas = None
    try:                                    # malloc_info(0, FILE*) writes XML; count <heap nr=...>
        libc.open_memstream.restype = ctypes.c_void_p
        buf, size = ctypes.c_char_p(), ctypes.c_size_t()
        f = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
        libc.malloc_info(0, ctypes.c_void_p(f))
        libc.fclose(ctypes.c_void_p(f))
        arenas = len(re.findall(rb"<heap nr=", ctypes.string_at(buf, size.value)))
        libc.free(buf)
    except (OSError, AttributeError):
        pass
    mb = lambda x: round(x / 2**20, 1)  # noqa: E731
    return {"arena_mb": mb(m.arena), "in_use_mb": mb(m.uordblks), "free_held_mb": mb(m.fordblks),
            "mmapped_mb": mb(m.hblkhd), "arenas": arenas}


def _pymalloc() -> dict:
    """CPython's small-object allocator (objects <= 512 bytes, in 1 MiB arenas it maps itself,
    outside glibc's malloc): arenas held, bytes in live objects, bytes free inside them
    (``sys._debugmallocstats``, which writes to the C stderr: captured through a temp file)."""
    import tempfile
    fd = os.dup(2)
    try:
        with tempfile.TemporaryFile() as f:
            os.dup2(f.fileno(), 2)
            try:
                sys._debugmallocstats()
            finally:
                os.dup2(fd, 2)
            f.seek(0)
            txt = f.read().decode("utf-8", "replace")
    finally:
        os.close(fd)
    num = lambda pat: int(re.search(pat + r"\s*=\s*([\d,]+)", txt).group(1).replace(",", ""))  # noqa: E731
    try:
        arenas = re.search(r"(\d+) arenas \* (\d+) bytes/arena", txt)
        return {"arenas_mb": round(int(arenas.group(1)) * int(arenas.group(2)) / 2**20, 1),
                "objects_mb": round(num(r"# bytes in allocated blocks") / 2**20, 1),
                "free_mb": round((num(r"# bytes in available blocks") + num(r"unused pools \* \d+ bytes"))
                                 / 2**20, 1)}
    except (AttributeError, ValueError):
        return {}


def _tensors() -> dict:
    """Unique CPU torch storages (MB), and the models: every ``torch.nn.Module`` that is no other
    module's child, by class, with the MB of its parameters and buffers (all-MiniLM-L6-v2 is not
    a Module: its weights are a dict of tensors mapped from its safetensors file)."""
    frozen = gc.get_freeze_count()
    gc.unfreeze()                           # the warm-up's objects (models) are in the permanent generation
    try:
        import warnings

        import torch
        seen, total, modules = set(), 0, []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # isinstance() on torch's deprecated aliases warns
            for o in gc.get_objects():
                if isinstance(o, torch.Tensor):
                    try:
                        st = o.untyped_storage()
                        key = st.data_ptr()
                        if key and key not in seen and o.device.type == "cpu":
                            seen.add(key)
                            total += st.nbytes()
                    except RuntimeError:
                        pass
                elif isinstance(o, torch.nn.Module):
                    modules.append(o)
        children = {id(c) for m in modules for c in m.children()}
        models: dict = defaultdict(lambda: [0, 0.0])
        for m in modules:
            if id(m) not in children:
                nb = sum(t.numel() * t.element_size() for t in list(m.parameters()) + list(m.buffers()))
                models[f"{type(m).__module__}.{type(m).__qualname__}"][0] += 1
                models[f"{type(m).__module__}.{type(m).__qualname__}"][1] += nb / 2**20
        minilm = sys.modules.get("attention.models.minilm")
        n_minilm = sum(1 for o in gc.get_objects() if minilm and isinstance(o, minilm.MiniLM))
        return {"storages": len(seen), "mb": round(total / 2**20, 1),
                "models": {k: [n, round(mb, 1)] for k, (n, mb) in sorted(models.items())},
                "minilm": n_minilm}
    finally:
        if frozen:
            gc.collect()
            gc.freeze()


def _describe(o) -> str:
    t = type(o)
    name = f"{t.__module__}.{t.__qualname__}"
    if isinstance(o, dict):                  # a dict: say whose (an instance's __dict__, a module's)
        for r in gc.get_referrers(o):
            if getattr(r, "__dict__", None) is o:
                return f"{type(r).__module__}.{type(r).__qualname__}.__dict__"
        return f"dict with keys {list(o)[:4]}"
    return name


def _types(top: int = 60) -> dict:
    """Objects created after the warm-up and still alive, by type: the objects the collector
    tracks that are not frozen (``gc.get_objects()`` leaves out the permanent generation)."""
    types = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())
    return {"objects": sum(types.values()), "types": dict(types.most_common(top))}


def _unfrozen(top: int = 12) -> dict:
    """``SIGUSR2`` only: the numpy arrays that unfrozen objects hold (bytes of each array's
    owner, once) outside the byte-bounded caches, by holder.  (Arrays only in a dict or tuple
    of untracked values are missed: CPython untracks such containers.)"""
    import numpy as np
    objs = gc.get_objects()
    cached: set = set()
    mod = sys.modules.get("ui.cache")
    def owner(a):
        while isinstance(a.base, np.ndarray):
            a = a.base
        return a
    def walk(v):
        if isinstance(v, np.ndarray):
            cached.add(id(owner(v)))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
    if mod is not None:
        for c in mod.caches().values():
            for v in list(c._data.values()):
                walk(v)
    arrays, holders, largest = {}, Counter(), []
    for o in objs:
        for r in gc.get_referents(o):
            if isinstance(r, np.ndarray):
                a = owner(r)
                if id(a) in cached or id(a) in arrays:
                    continue
                arrays[id(a)] = a.nbytes
                holders[f"{type(o).__module__}.{type(o).__qualname__}"] += a.nbytes
                largest.append((a.nbytes, a.shape, str(a.dtype), o))
    largest.sort(key=lambda x: -x[0])
    out = {"arrays_mb": round(sum(arrays.values()) / 2**20, 1),
           "array_holders_mb": {k: round(v / 2**20, 2) for k, v in holders.most_common(8)},
           "largest_arrays": [{"mb": round(n / 2**20, 2), "shape": list(sh), "dtype": dt, "held_by": _describe(o)}
                              for n, sh, dt, o in largest[:8]]}
    del objs, largest
    return out


def _caches() -> dict:
    mod = sys.modules.get("ui.cache")
    if mod is None:
        return {}
    return {n: {"entries": len(c), "mb": round(c.total / 2**20, 1), "budget_mb": round(c.max_bytes / 2**20)}
            for n, c in mod.caches().items()}


def _sessions() -> dict:
    """Streamlit's sessions: connected, kept after a disconnect (``server.disconnectedSessionTTL``,
    in a TTL cache that drops expired entries only when the next session is stored), all alive;
    and the media files (downloads) they hold."""
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.app_session import AppSession
        rt = Runtime.instance()
        mgr = rt._session_mgr
        storage = getattr(mgr, "_session_storage", None)
        cache = getattr(storage, "_cache", {})
        files = getattr(rt.media_file_mgr._storage, "_files_by_id", {})
        alive = sum(1 for o in gc.get_objects() if isinstance(o, AppSession))
        return {"connected": len(getattr(mgr, "_active_session_info_by_id", {})),
                "stored": len(getattr(cache, "_data", cache)),
                "alive": alive, "media_files": len(files),
                "media_mb": round(sum(len(f.content) for f in files.values()) / 2**20, 1)}
    except Exception as e:  # noqa: BLE001 - internals moved: report it, keep probing
        return {"error": repr(e)}


_SNAP: list = []


def _traced() -> dict:
    """With ``PYTHONTRACEMALLOC=N``: traced MB and what grew most since the previous probe
    (file:line of the allocation, MB), to find what keeps growing."""
    import tracemalloc
    if not tracemalloc.is_tracing():
        return {}
    snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    out = {"traced_mb": round(tracemalloc.get_traced_memory()[0] / 2**20, 1)}
    if _SNAP:
        diff = snap.compare_to(_SNAP[-1], "traceback")
        out["grew"] = [{"mb": round(d.size_diff / 2**20, 2), "count": d.count_diff,
                        "where": [f"{f.filename.split('site-packages/')[-1]}:{f.lineno}" for f in d.traceback[-6:]]}
                       for d in diff[:15]]
    _SNAP[:] = [snap]
    return out


def report(trim: bool = False) -> dict:
    out = {"status": _status(), "smaps": _smaps(), "caches": _caches(), "malloc": _malloc(),
           "gc": {"frozen": gc.get_freeze_count(), "counts": gc.get_count()},
           "pymalloc_blocks": sys.getallocatedblocks(), "pymalloc": _pymalloc(), "sessions": _sessions(), "traced": _traced(),
           "unfrozen": _types(), "tuned": dict(getattr(sys.modules.get("ui.memory"), "TUNED", {}))}
    if trim:
        out["arrays"] = _unfrozen()
        out["tensors"] = _tensors()
        before = _status()["VmRSS"]
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        out["trim"] = {"before_mb": round(before, 1), "after_mb": round(_status()["VmRSS"], 1)}
    return out


def _on_signal(signum, frame) -> None:
    def work():
        dest = Path(os.environ.get("AE_MEMPROBE_OUT", "memprobe.json"))
        try:
            data = report(trim=signum == signal.SIGUSR2)
        except Exception as e:  # noqa: BLE001 - a probe must not take the server down
            data = {"error": repr(e)}
        tmp = dest.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(dest)
    threading.Thread(target=work, daemon=True).start()


def main() -> None:
    signal.signal(signal.SIGUSR1, _on_signal)
    signal.signal(signal.SIGUSR2, _on_signal)
    from streamlit.web.cli import main as streamlit_main
    sys.argv = ["streamlit"] + sys.argv[1:]
    streamlit_main()


if __name__ == "__main__":
    main()
