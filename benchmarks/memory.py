"""Server memory under one session that sends many long texts (issue 15 #6), and page speed.

    python benchmarks/memory.py                       # 64 distinct 512-token texts, this checkout
    python benchmarks/memory.py --app-dir /tmp/old    # the same against another checkout (before)

One websocket session (``tests/e2e/stclient.py``: what a browser tab sends) opens /sentence and
types 64 different texts of 512+ word pieces, one after the other; the server's RSS is read
from /proc after every 8 texts and at the end (plus VmHWM, the peak), and each interaction's
time (send -> script finished) is kept.  Printed as a table; target: <= 900 MB RSS after 64 texts.
"""
from __future__ import annotations

import argparse
import asyncio
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


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", type=int, default=64)
    ap.add_argument("--app-dir", default=str(ROOT))
    a = ap.parse_args(argv)
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
