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


def _tensors() -> dict:
    frozen = gc.get_freeze_count()
    gc.unfreeze()                           # the warm-up's objects (models) are in the permanent generation
    try:
        import torch
        seen, total, modules = set(), 0, Counter()
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
                modules[type(o).__name__] += 1
        top = {k: v for k, v in modules.most_common(8)}
        return {"storages": len(seen), "mb": round(total / 2**20, 1), "modules": top}
    finally:
        if frozen:
            gc.collect()
            gc.freeze()


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


def report(trim: bool = False) -> dict:
    out = {"status": _status(), "smaps": _smaps(), "caches": _caches(), "malloc": _malloc(),
           "gc": {"frozen": gc.get_freeze_count(), "counts": gc.get_count()},
           "pymalloc_blocks": sys.getallocatedblocks(), "sessions": _sessions()}
    if trim:
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
