"""First load, per page, against a minimal one-heatmap Streamlit app timed the same way.

    python benchmarks/first_load.py                 # every page, 3 cold starts each
    python benchmarks/first_load.py --pages sentence,home --repeat 2
    python benchmarks/first_load.py --app-dir /tmp/old-checkout   # the same, for another checkout

For each page and for the minimal app (``st.title`` + one 16x16 ``go.Heatmap``):

* **cold**: a fresh server process; once ``/_stcore/health`` answers, a new browser context
  opens the page; time from ``goto`` to the first Plotly chart drawn (``.main-svg``);
* **warm**: a new browser context (a new tab, a new session) on that same server, timed the same.

Printed: medians (ms) and the ratio page / minimal app of medians in the same run, against the
targets cold <= 1.5x and warm <= 1.3x.  Writes ``benchmarks/results/first_load.md``.
Headless Debian Chromium at 1280x720 (software rendering), loopback, this machine's 2 cores.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from ui.sitemap import PAGES as _REGISTRY  # noqa: E402 - the page registry (plain data)

PAGES = tuple(p.name for p in _REGISTRY)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
MINIMAL = ("import numpy as np, plotly.graph_objects as go, streamlit as st\n"
           "st.title('Minimal')\n"
           "st.plotly_chart(go.Figure(go.Heatmap(z=np.random.default_rng(0).random((16, 16)))))\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(script: str, cwd: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 90:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1).read()
            return proc, url
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{script} did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def time_to_chart(browser, url: str) -> float:
    """ms from navigation start to the first Plotly chart drawn, in a new context (session)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    t = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
    ms = (time.perf_counter() - t) * 1000
    ctx.close()
    return ms


def measure(browser, script: str, cwd: Path, path: str, repeat: int) -> tuple[list, list]:
    cold, warm = [], []
    for _ in range(repeat):
        proc, url = start(script, cwd)
        try:
            cold.append(time_to_chart(browser, url + path))
            warm.append(time_to_chart(browser, url + path))
        finally:
            stop(proc)
    return cold, warm


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--app-dir", default=str(ROOT), help="checkout whose app.py to time (default: this one)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "first_load.md"))
    a = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    app_dir = Path(a.app_dir)
    pages = [p for p in a.pages.split(",") if p]
    tmp = Path(tempfile.mkdtemp())
    (tmp / "minimal.py").write_text(MINIMAL)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        # interleave: minimal, page, minimal, page ... so machine noise hits both alike
        ref_cold, ref_warm = [], []
        results = {}
        for page in pages:
            c, w = measure(browser, "minimal.py", tmp, "/", 1)
            ref_cold += c
            ref_warm += w
            results[page] = measure(browser, "app.py", app_dir, f"/{page}", a.repeat)
            print(f"  {page:<10} cold {statistics.median(results[page][0]):7.0f} ms   "
                  f"warm {statistics.median(results[page][1]):7.0f} ms", flush=True)
        browser.close()
    rc, rw = statistics.median(ref_cold), statistics.median(ref_warm)
    lines = [f"# First load to the first drawn chart ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
             "", f"Checkout: `{app_dir}`; {a.repeat} cold starts per page; minimal app: "
             f"{len(ref_cold)} cold starts, median cold {rc:.0f} ms, warm {rw:.0f} ms.", "",
             "| page | cold ms | cold ratio | target ≤ 1.5× | warm ms | warm ratio | target ≤ 1.3× |",
             "|---|---:|---:|---|---:|---:|---|"]
    for page in pages:
        c, w = (statistics.median(x) for x in results[page])
        rows.append((page, c, c / rc, w, w / rw))
        lines.append(f"| {page} | {c:.0f} | {c / rc:.2f} | {'met' if c / rc <= 1.5 else '**missed**'} | "
                     f"{w:.0f} | {w / rw:.2f} | {'met' if w / rw <= 1.3 else '**missed**'} |")
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(text)


if __name__ == "__main__":
    main()
