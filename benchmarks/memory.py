"""Server memory: long texts (issue 15 #6), and what a server holds after classes (issue 26 #6).

    python benchmarks/memory.py                       # 64 distinct 512-token texts, this checkout
    python benchmarks/memory.py --app-dir /tmp/old    # the same against another checkout (before)
    python benchmarks/memory.py --classes 3           # 3 classes of 30, then: what holds the RSS

One websocket session (``tests/e2e/stclient.py``: what a browser tab sends) opens /sentence and
types 64 different texts of 512+ word pieces, one after the other; the server's RSS is read
from /proc after every 8 texts and at the end (plus VmHWM, the peak), and each interaction's
time (send -> script finished) is kept.  Printed as a table; target: <= 900 MB RSS after 64 texts.

``--classes N``: the server runs under ``benchmarks/memprobe.py`` (a probe inside the server
process); N classes of ``--sessions`` students (``tests/load/classroom.py``: Sentence lesson
presets, a widget change every 1-3 s, a quarter typing new sentences) run one after the other,
each for ``--duration`` seconds.  After the warm-up and after each class (a few seconds idle) the
probe reports the RSS and what holds it: mapped libraries, the byte-bounded caches, torch
tensors (the models), objects frozen after the warm-up, glibc's heap (in use / freed but held,
arenas), CPython's own small-object arenas.  Then ``--idle`` seconds with no visitor (past
Streamlit's 120 s reconnect window for closed sessions and ``ui.memory``'s sweep), a probe, one
visit, a probe; the last probe also counts the torch storages and models, the numpy arrays held
outside the caches, and trims glibc's free lists (``malloc_trim(0)``).  Printed as a table; the
class target is <= 700 MB per replica.  ``--env KEY=VALUE`` runs the server with e.g.
``MALLOC_ARENA_MAX=2``; ``--env PYTHONTRACEMALLOC=10`` adds what grew between probes, by line
(slow: classes then do a few dozen interactions, and the RSS doubles).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

WORDS = ("attention model token query key value weight layer head window local global soft hard "
         "sentence river bank street animal tired wide report water city engineer council").split()


def text(i: int, n_words: int = 560) -> str:
    """A distinct text of ``n_words`` words (more than 512 word pieces: the model cuts it)."""
    return " ".join(f"{WORDS[(i * 7 + j * 3) % len(WORDS)]}{(i * 31 + j) % 97}" for j in range(n_words))


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    total = 0.0
    for p in [pid] + [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                total += int(line.split()[1]) / 1024
    return total


def start(app_dir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=app_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, HF_HUB_OFFLINE="1"))
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1).read()
            return proc, url
        except Exception:  # noqa: BLE001
            time.sleep(0.1)
    raise RuntimeError("server did not start")


async def drive(url: str, n: int, pid: int) -> tuple[list, list]:
    from stclient import Session
    samples, times = [], []
    async with Session(url, "sentence", timeout=300) as s:
        res = await s.open()
        assert res.ok, res.exceptions
        samples.append((0, rss_mb(pid)))
        for i in range(n):
            res = await s.set("text", text(i))
            assert res.ok, res.exceptions
            times.append(res.seconds * 1000)
            if (i + 1) % 8 == 0:
                samples.append((i + 1, rss_mb(pid)))
    return samples, times


# ----------------------------------------------------------------------------- --classes
def start_probed(app_dir: Path, out: Path, env: dict) -> tuple[subprocess.Popen, str]:
    """``streamlit run app.py`` inside benchmarks/memprobe.py (the probe answers SIGUSR1/2)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "memprobe.py"), "run", "app.py",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.headless", "true"],
                            cwd=app_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, HF_HUB_OFFLINE="1", AE_MEMPROBE_OUT=str(out), **env))
    url = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1).read()
            return proc, url
        except Exception:  # noqa: BLE001
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def probe(proc: subprocess.Popen, out: Path, trim: bool = False) -> dict:
    import signal
    before = out.stat().st_mtime_ns if out.exists() else 0
    os.kill(proc.pid, signal.SIGUSR2 if trim else signal.SIGUSR1)
    for _ in range(6000):               # a tracemalloc snapshot of the whole heap takes a while
        if out.exists() and out.stat().st_mtime_ns != before:
            return json.loads(out.read_text())
        time.sleep(0.1)
    raise RuntimeError("the probe did not answer")


def other_pages(url: str, k: int, seed: int) -> int:
    """What the rest of a lesson does besides the Sentence class: ``k`` texts of 120-560 words
    each opened on Model explorer (all heads, mean & rollout, counterfactual), Summarize and
    Compare, and the Image page's views -- every other byte-bounded cache gets used.  Returns
    the number of page runs that failed."""
    import urllib.parse
    from stclient import Session, run
    links = []
    for i in range(k):
        words = text(seed * 100 + i, 120 + (i * 97) % 440)
        q = urllib.parse.quote(words)
        links += [("model", f"text={q}&view={v}") for v in ("model", "agg", "cf")]
        links += [("summarize", f"text={q.replace('%20', '.%20', 8)}"), ("compare", f"text={q}")]
    links += [("image", f"view={v}&patch={p}") for v in ("query", "matrix") for p in ("8", "16")]

    async def go():
        bad = 0
        for page, query in links:
            async with Session(url, page, query, timeout=300) as s:
                res = await s.open()
                bad += not res.ok
        return bad
    return run(go())


def row(label: str, r: dict) -> str:
    st, sm, m, c = r["status"], r["smaps"]["kinds_mb"], r["malloc"], r["caches"]
    tz, pm = r.get("tensors", {}), r.get("pymalloc", {})
    caches = sum(v["mb"] for v in c.values())
    trim = f"{r['trim']['before_mb']:.0f} → {r['trim']['after_mb']:.0f}" if "trim" in r else ""
    ss = r.get("sessions", {})
    sessions = f"{ss.get('connected')} / {ss.get('stored')} / {ss.get('alive')}" if "alive" in ss else ""
    return (f"| {label} | {st['VmRSS']:.0f} | {sm.get('so', 0):.0f} | {sm.get('file', 0):.0f} | "
            f"{sm.get('anon', 0):.0f} | {tz.get('mb', '')} | {caches:.0f} | {m.get('in_use_mb', 0):.0f} | "
            f"{m.get('free_held_mb', 0):.0f} | {m.get('mmapped_mb', 0):.0f} | {m.get('arenas')} | "
            f"{pm.get('arenas_mb', '')} | {pm.get('objects_mb', '')} | {st['Threads']} | {sessions} | "
            f"{r['gc']['frozen']:,} | {trim} |")


HEADER = ("| when | RSS MB | libraries (.so) | other files | anonymous (heap) | torch tensors | "
          "byte caches | malloc in use | malloc freed, held | malloc mmapped | malloc arenas | "
          "pymalloc arenas | Python objects (pymalloc) | threads | sessions connected / kept / alive | "
          "frozen objects | trim: RSS before → after |\n|---|" + "---:|" * 13 + "---|---:|---|")


def classes(a) -> None:
    import tempfile
    sys.path.insert(0, str(ROOT / "tests" / "load"))
    import classroom as C
    out = Path(tempfile.mkdtemp(prefix="memprobe-")) / "probe.json"
    env = {k: v for k, v in (x.split("=", 1) for x in a.env)}
    proc, url = start_probed(Path(a.app_dir), out, env)
    rows, reps = [], []
    try:
        C.run_class(url, C.Config(sessions=1, duration=0.1, think=(0, 0), open_spread=0))   # first visitor
        time.sleep(3)
        rows.append(("after the warm-up and a first visitor", probe(proc, out)))
        for i in range(a.classes):
            cfg = C.Config(sessions=a.sessions, duration=a.duration, think=(1.0, 3.0), open_spread=5.0, seed=i)
            rep = C.run_class(url, cfg, [proc.pid])
            stats = rep.pop("_stats")
            reps.append((rep["interactions"], len(stats.errors), max(rep["server_peak_rss_mb"].values())))
            if a.other_pages:
                bad = other_pages(url, a.other_pages, i)
                reps[-1] = reps[-1] + (bad,)
            time.sleep(5)
            rows.append((f"after class {i + 1}{' + other pages' if a.other_pages else ''} (idle 5 s)",
                         probe(proc, out)))
        # Streamlit keeps a closed session for server.disconnectedSessionTTL (120 s) in a TTL
        # cache that drops expired entries only when another session is stored; ui.memory's
        # sweep drops them every 30 s without a visitor.  Idle past both (--idle), probe, then
        # one visit (which drops them in any case), probe again
        time.sleep(a.idle)
        rows.append((f"idle {a.idle:.0f} s, no visitor", probe(proc, out)))
        C.run_class(url, C.Config(sessions=1, duration=0.1, think=(0, 0), open_spread=0))
        time.sleep(5)
        rows.append(("then one visit (expired sessions dropped)", probe(proc, out)))
        rows.append(("then malloc_trim(0)", probe(proc, out, trim=True)))
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"\nCheckout {a.app_dir}{' with ' + ' '.join(a.env) if a.env else ''}: {a.classes} classes of "
          f"{a.sessions} x {a.duration:.0f} s (think 1-3 s)")
    for i, (n, err, peak, *bad) in enumerate(reps, 1):
        print(f"class {i}: {n} interactions, {err} errors, peak RSS {peak} MB"
              + (f"; other pages: {bad[0]} failed runs" if bad else ""))
    print("\n" + HEADER)
    for label, r in rows:
        print(row(label, r))
    for label, r in rows:
        for g in r.get("traced", {}).get("grew", [])[:8]:
            print(f"grew by {label}: {g['mb']} MB ({g['count']:+} blocks) at {' <- '.join(reversed(g['where']))}")
    first, last = rows[1][1] if len(rows) > 2 else rows[0][1], rows[-1][1]
    t0, t1 = first["unfrozen"]["types"], last["unfrozen"]["types"]
    grew = sorted(((t1.get(k, 0) - t0.get(k, 0), k) for k in set(t0) | set(t1)), reverse=True)
    print(f"\nobjects created after the warm-up, alive: {first['unfrozen']['objects']:,} ({rows[1][0] if len(rows) > 2 else rows[0][0]})"
          f" -> {last['unfrozen']['objects']:,} (last); grew most:", ", ".join(f"{k} {d:+,}" for d, k in grew[:12]))
    print("arrays held outside the caches:", json.dumps(last.get("arrays", {})))
    print("\ncaches:", json.dumps(last["caches"]), "\nlargest mappings:", json.dumps(last["smaps"]["largest_mb"]),
          "\nmodels:", json.dumps(last["tensors"]["models"]),
          "all-MiniLM-L6-v2:", last["tensors"]["minilm"], "\nsessions:", json.dumps(last["sessions"]))
    if a.json:
        Path(a.json).write_text(json.dumps({"args": vars(a), "classes": reps, "rows": rows}, indent=1))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", type=int, default=64)
    ap.add_argument("--app-dir", default=str(ROOT))
    ap.add_argument("--classes", type=int, default=0, help="run N classes and report what holds the RSS")
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--other-pages", type=int, default=0, metavar="K",
                    help="after each class, K texts on Model explorer, Summarize, Compare (+ Image views)")
    ap.add_argument("--idle", type=float, default=160.0,
                    help="seconds idle after the last class (past Streamlit's 120 s session TTL "
                         "and ui.memory's 30 s sweep)")
    ap.add_argument("--json", help="--classes: also write every probe's report to this file")
    ap.add_argument("--env", nargs="*", default=[], help="KEY=VALUE for the server (e.g. MALLOC_ARENA_MAX=2)")
    a = ap.parse_args(argv)
    if a.classes:
        return classes(a)
    proc, url = start(Path(a.app_dir))
    try:
        samples, times = asyncio.run(drive(url, a.texts, proc.pid))
        peak = rss_mb(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"\nCheckout {a.app_dir}: one session, {a.texts} distinct 512-token texts on /sentence")
    print("| texts sent | server RSS MB |\n|---:|---:|")
    for k, mb in samples:
        print(f"| {k} | {mb:.0f} |")
    final = samples[-1][1]
    print(f"\nfinal RSS {final:.0f} MB (target <= 900: {'met' if final <= 900 else 'MISSED'}), "
          f"peak (VmHWM) {peak:.0f} MB; interaction time median {statistics.median(times):.0f} ms, "
          f"min {min(times):.0f}, max {max(times):.0f}")


if __name__ == "__main__":
    main()
