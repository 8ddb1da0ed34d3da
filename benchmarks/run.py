"""Attention Explorer benchmarks: one command, one table.

    python benchmarks/run.py            # full run (~5-10 min on 2 cores), writes benchmarks/results/latest.md
    python benchmarks/run.py --quick    # small sizes, few repeats (CI smoke: reports, never fails on noise)
    python benchmarks/run.py --only core,model

Every timing is repeated; the table shows median, min and max (ms) of one run on
this machine.  Ratios are of medians measured in the same run.  Targets are
reported as met / missed, never asserted: this machine is noisy.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

ROWS: list[dict] = []
SECTIONS = ("core", "local", "model", "pages", "payload", "server")


def timeit(fn, repeat: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def row(section, name, samples=None, value=None, unit="ms", target=None, ok=None, note=""):
    r = {"section": section, "name": name, "unit": unit, "note": note}
    if samples is not None:
        r.update(median=statistics.median(samples), min=min(samples), max=max(samples), n=len(samples))
    else:
        r.update(median=value, min=None, max=None, n=1)
    r["target"] = target
    r["ok"] = ok
    ROWS.append(r)
    fmt = lambda x: "" if x is None else (f"{x:,.1f}" if isinstance(x, float) else f"{x:,}")
    status = "" if ok is None else ("met" if ok else "MISSED")
    print(f"  {name:<58} {fmt(r['median']):>12} {unit:<5} min {fmt(r['min']):>10} max {fmt(r['max']):>10}"
          f"  {target or ''} {status} {note}", flush=True)
    return r


# ----------------------------------------------------------------------------- core
def bench_core(quick: bool):
    import torch.nn.functional as F

    from attention import attend
    print("\n== core: attend vs the plain-torch floor softmax(QK^T/sqrt d)V vs SDPA (12 heads x 32 dims)")
    sizes = (128, 512) if quick else (128, 512, 1024, 4096)
    for n in sizes:
        g = torch.Generator().manual_seed(n)
        q, k, v = (torch.randn(12, n, 32, generator=g) for _ in range(3))
        rep = 3 if quick else (5 if n >= 4096 else 15)
        floor = lambda: torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(32), dim=-1) @ v
        # interleave the three so machine noise hits them alike
        ts = {"floor": [], "attend": [], "sdpa": []}
        fns = {"floor": floor, "attend": lambda: attend(q, k, v),
               "sdpa": lambda: F.scaled_dot_product_attention(q, k, v)}
        # calls per timed block: enough for ~20 ms, so timer and cache effects of a
        # single call do not dominate at small n; blocks of the three interleave.
        t = time.perf_counter()
        for f in fns.values():
            f()
        per_call = (time.perf_counter() - t) / 3
        calls = max(1, int(0.02 / max(per_call, 1e-6)))
        for _ in range(rep):
            for name, f in fns.items():
                t = time.perf_counter()
                for _ in range(calls):
                    f()
                ts[name].append((time.perf_counter() - t) * 1000 / calls)
        ratio = statistics.median(ts["attend"]) / statistics.median(ts["floor"])
        row("core", f"n={n}: floor", ts["floor"])
        row("core", f"n={n}: attend (returns scores, mask, weights, output)", ts["attend"],
            target="<= 1.2x floor", ok=ratio <= 1.2, note=f"ratio {ratio:.2f}x")
        row("core", f"n={n}: scaled_dot_product_attention (output only)", ts["sdpa"],
            note=f"attend/sdpa {statistics.median(ts['attend']) / statistics.median(ts['sdpa']):.2f}x")
        gc.collect()


def bench_local(quick: bool):
    from attention import attend
    from attention.local import local_attention
    n = 1024 if quick else 4096
    print(f"\n== local window vs global at n={n} (12 heads x 32 dims)")
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(12, n, 32, generator=g) for _ in range(3))
    rep = 3 if quick else 5
    glob = timeit(lambda: attend(q, k, v), rep)
    row("local", f"n={n}: global attend (dense n x n)", glob)
    for w in (8, 64):
        dense = timeit(lambda: attend(q, k, v, scope="local", window=w), rep)
        band = timeit(lambda: local_attention(q, k, v, w), rep)
        row("local", f"n={n}, w={w}: attend(scope=local) (dense, for display)", dense)
        row("local", f"n={n}, w={w}: local_attention (banded, O(n*w))", band,
            note=f"{statistics.median(glob) / statistics.median(band):.0f}x faster than global")


# ----------------------------------------------------------------------------- model
def bench_model(quick: bool):
    from attention.models.minilm import MiniLM
    print("\n== model: all-MiniLM-L6-v2 forward (our plain-torch BERT, attention by attend)")
    t = time.perf_counter()
    m = MiniLM.load()
    row("model", "load weights + tokenizer", value=(time.perf_counter() - t) * 1000)
    default_threads = torch.get_num_threads()
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        note = "as the app runs it" if threads == 1 else "library default"
        for n in ((16, 128) if quick else (16, 128, 256, 512)):
            ids = m.tokenize(" ".join(["word"] * (n - 2))).ids
            assert len(ids) == n
            row("model", f"forward {n} tokens, {threads} torch thread(s)",
                timeit(lambda: m.forward(ids), 3 if quick else 10), note=note)
    torch.set_num_threads(default_threads)


# ----------------------------------------------------------------------------- pages
def _sentence_32_tokens():
    return ("The quick brown fox jumps over the lazy dog while the cat watches from the warm "
            "windowsill nearby today.")


# Per page: query parameters for a typical view, and a widget change to time (key, two values).
PAGE_CASES = {
    "sentence.py": ({"text": _sentence_32_tokens()}, ("radio", "normalization", "soft", "hard")),
    "image.py": ({"sample": "astronaut", "patch": "16"}, ("radio", "normalization", "soft", "hard")),
}


class _ScriptTimer:
    """Times Streamlit's own script execution (ScriptRunner._run_script), i.e. the
    server-side rerun, without AppTest's polling overhead."""

    def __init__(self):
        import streamlit.runtime.scriptrunner.script_runner as sr
        self._sr, self._orig, self.times = sr, sr.ScriptRunner._run_script, []

    def __enter__(self):
        orig, times = self._orig, self.times

        def timed(runner, *a, **k):
            t = time.perf_counter()
            try:
                return orig(runner, *a, **k)
            finally:
                times.append((time.perf_counter() - t) * 1000)
        self._sr.ScriptRunner._run_script = timed
        return self

    def __exit__(self, *exc):
        self._sr.ScriptRunner._run_script = self._orig


def bench_pages(quick: bool):
    from streamlit.testing.v1 import AppTest
    print("\n== pages: server-side rerun time (Streamlit's script run, in AppTest, warm caches)")
    pages = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
    rep = 3 if quick else 12
    for name in pages:
        query, change = PAGE_CASES.get(name, ({}, None))
        at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=120)
        for k, v in query.items():
            at.query_params[k] = v
        try:
            at.run()
            at.run()
            if at.exception:
                row("pages", f"{name}: first run", value=None, note=f"exception: {at.exception[0].value[:60]}")
                continue
            with _ScriptTimer() as t:
                for _ in range(rep):
                    at.run()
            warm = t.times[-rep:]
            target, ok = (None, None)
            if name == "sentence.py":
                target, ok = "<= 50 ms", statistics.median(warm) <= 50
            row("pages", f"{name}: warm rerun, no change", warm, target=target, ok=ok)
            if change:
                kind, key, a, b = change
                with _ScriptTimer() as t:
                    for i in range(rep):
                        getattr(at, kind)(key=key).set_value(b if i % 2 == 0 else a).run()
                row("pages", f"{name}: rerun after changing {key} ({a} <-> {b})", t.times[-rep:])
        except Exception as e:  # report, don't crash the benchmark
            row("pages", f"{name}: rerun", value=None, note=f"error {type(e).__name__}: {e}"[:80])
    _bench_image_click(quick)


def _bench_image_click(quick: bool):
    """Image page: "click a patch -> new overlay" server work (query row + figure + JSON)."""
    try:
        from benchmarks import image_bench as V
        from features.image.samples import sample_images
    except ImportError:
        return
    data = sample_images()["astronaut"].read_bytes()
    for grid in (16, 32) if quick else (16, 32, 64):
        b = V.build_bundle(data, V.MAX_SIDE // grid)
        gh, gw = b["grid"]
        cells = iter(range(10**6))

        def click():
            i = next(cells)
            fig, _ = V.click_overlay(b, V.Settings(), (i * 7) % gh, (i * 13) % gw)
            fig.to_json()
        samples = timeit(click, 5 if quick else 15)
        target, ok = ("<= 150 ms", statistics.median(samples) <= 150) if grid == 32 else (None, None)
        row("pages", f"image: click a patch -> overlay figure JSON, {gh}x{gw} patches", samples,
            target=target, ok=ok)


# ----------------------------------------------------------------------------- payload
def bench_payload(quick: bool):
    import numpy as np

    import figures
    print("\n== payload: Plotly figure JSON bytes sent to the browser")
    for n in (32, 128, 512):
        w = np.random.default_rng(n).random((n, n), dtype=np.float32)
        lab = [f"tok{i}" for i in range(n)]
        fig = figures.heatmap(w, lab, lab, clickable=True)
        row("payload", f"sentence heatmap (clickable), {n} tokens", value=len(fig.to_json()), unit="bytes")
    try:
        from attention.explore import thumbnails
        from features.model.figures import model_grid  # the model explorer's 72-head grid
    except ImportError:
        model_grid = None
    if model_grid is not None:
        for n, limit in ((32, None), (128, 2_000_000), (512, 8_000_000)):
            x = np.random.default_rng(n).standard_normal((6, 12, n, n)).astype(np.float32) * 3
            w = np.exp(x - x.max(-1, keepdims=True))
            w /= w.sum(-1, keepdims=True)                     # (L, H, n, n) softmax rows
            hover = np.array([[f"layer {l + 1} · head {h + 1}<br>entropy 1.234 nats · distance 12.3"
                               for h in range(12)] for l in range(6)], dtype=object)
            b = len(model_grid(thumbnails(w, 64)[0], selected=(0, 0), hover=hover,
                               title="all 72 heads").to_json().encode())
            row("payload", f"model view (6x12 heads), {n} tokens", value=b, unit="bytes",
                target=f"<= {limit / 1e6:.0f} MB" if limit else None,
                ok=(b <= limit) if limit else None)
    try:
        from benchmarks import image_bench as iv
        fn = getattr(iv, "payload_bytes", None)
        if fn is not None:
            for grid in (32, 64):
                row("payload", f"image overlay view, {grid}x{grid} patches", value=fn(grid), unit="bytes")
    except ImportError:
        pass


# ----------------------------------------------------------------------------- server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    total = 0.0
    for p in [pid] + _children(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def bench_server(quick: bool):
    import urllib.request

    from playwright.sync_api import sync_playwright
    print("\n== server: cold start to first chart, RSS with 1 and 10 sessions (headless Chromium)")
    if not Path("/usr/bin/chromium").exists():
        print("  (skipped: /usr/bin/chromium missing)")
        return
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        port = _free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                 "--server.address", "127.0.0.1", "--server.headless", "true"],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            while True:
                try:
                    urllib.request.urlopen(url + "/_stcore/health", timeout=1).read()
                    break
                except Exception:
                    if time.perf_counter() - t0 > 60:
                        raise RuntimeError("server did not start")
                    time.sleep(0.05)
            t_health = time.perf_counter() - t0
            page = browser.new_page()
            page.goto(url + "/sentence")
            page.wait_for_selector(".js-plotly-plot", timeout=60_000)
            t_chart = time.perf_counter() - t0
            row("server", "cold start: process start -> /_stcore/health", value=t_health * 1000)
            row("server", "cold start: process start -> first chart in the browser", value=t_chart * 1000,
                target="<= 4000 ms", ok=t_chart <= 4.0)
            pg2 = browser.new_page()
            t = time.perf_counter()
            pg2.goto(url + "/sentence")
            pg2.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
            row("server", "warm: open /sentence -> chart drawn (browser-side cost)",
                value=(time.perf_counter() - t) * 1000)
            pg2.close()
            _floor_page(browser)
            time.sleep(1)
            rss1 = _rss_mb(proc.pid)
            row("server", "RSS with 1 session", value=rss1, unit="MB")
            n = 3 if quick else 10
            pages = []
            texts = [f"Session {i} looks at sentence number {i} about attention." for i in range(n)]
            for i in range(n):
                pg = browser.new_page()
                pg.goto(url + "/sentence?text=" + urllib.request.quote(texts[i]))
                pages.append(pg)
            for pg in pages:
                pg.wait_for_selector(".js-plotly-plot", timeout=120_000)
            time.sleep(2)
            rssn = _rss_mb(proc.pid)
            row("server", f"RSS with 1 + {n} sessions", value=rssn, unit="MB",
                target="<= +100 MB" if n == 10 else None, ok=(rssn - rss1 <= 100) if n == 10 else None,
                note=f"+{rssn - rss1:.0f} MB; peak (VmHWM) {_rss_mb(proc.pid, 'VmHWM'):.0f} MB")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            browser.close()


def _floor_page(browser):
    """Reference: a one-chart Streamlit app (16x16 heatmap), same browser, warm server."""
    import tempfile
    import urllib.request
    d = Path(tempfile.mkdtemp())
    (d / "floor.py").write_text("import numpy as np, plotly.graph_objects as go, streamlit as st\n"
                                "st.title('floor')\n"
                                "st.plotly_chart(go.Figure(go.Heatmap(z=np.random.rand(16, 16))))\n")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(d / "floor.py"), "--server.port",
                             str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 60:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read()
                break
            except Exception:
                time.sleep(0.05)
        samples = []
        for i in range(3):
            pg = browser.new_page()
            t = time.perf_counter()
            pg.goto(f"http://127.0.0.1:{port}/")
            pg.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
            if i:                                   # the first load warms the server
                samples.append((time.perf_counter() - t) * 1000)
            pg.close()
        row("server", "reference: minimal one-heatmap Streamlit app, open -> chart drawn", samples,
            note="the browser's floor on this machine")
    finally:
        proc.terminate()


def write_markdown(path: Path, quick: bool):
    lines = [f"# Benchmark results ({'quick' if quick else 'full'} run)", "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {platform.machine()} · "
             f"{os.cpu_count()} cores · torch {torch.__version__} · {torch.get_num_threads()} threads", "",
             "| section | measurement | median | min | max | unit | target | status | note |",
             "|---|---|---:|---:|---:|---|---|---|---|"]
    f = lambda x: "" if x is None else (f"{x:,.1f}" if isinstance(x, float) else f"{x:,}")
    for r in ROWS:
        status = "" if r["ok"] is None else ("met" if r["ok"] else "**missed**")
        lines.append(f"| {r['section']} | {r['name']} | {f(r['median'])} | {f(r['min'])} | {f(r['max'])} | "
                     f"{r['unit']} | {r['target'] or ''} | {status} | {r['note']} |")
    path.write_text("\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of {', '.join(SECTIONS)}")
    ap.add_argument("--out", default=None, help="markdown file to write (default benchmarks/results/latest.md,"
                                                " or quick.md with --quick)")
    a = ap.parse_args(argv)
    only = [s.strip() for s in a.only.split(",") if s.strip()]
    bad = [s for s in only if s not in SECTIONS]
    if bad:
        ap.error(f"unknown section(s) {bad}; choose from {SECTIONS}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores")
    for s in SECTIONS:
        if s in only:
            globals()[f"bench_{s}"](a.quick)
    out = Path(a.out) if a.out else ROOT / "benchmarks" / "results" / ("quick.md" if a.quick else "latest.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_markdown(out, a.quick)
    (out.with_suffix(".json")).write_text(json.dumps(ROWS, indent=1))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
