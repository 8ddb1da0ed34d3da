"""Concurrent sessions on loopback: N websocket sessions x M interactions each, at once.

Each session is what a browser tab does on the sentence page (tests/e2e/stclient.py
speaks Streamlit's protobuf websocket protocol): open the page, then M widget changes
(text, mechanism, scope, window, layer, head ...), each waiting for the rerun to finish.
Every response is checked like a user would: the run finished, no exception or error
box, one heatmap of the right size, and the numbers obey the chosen mechanism.

Asserted: 0 errors and all sessions completed.  Printed (for the report; never asserted):
p50/p95/max interaction latency, server RSS before/after/peak, server CPU seconds.
Size: LOAD_SESSIONS (default 20) x LOAD_INTERACTIONS (default 10, at most 10).
"""
from __future__ import annotations

import asyncio
import json
import os
import statistics
import threading
import time
import urllib.request

import numpy as np
import pytest

from stclient import Session, plotly_array, run
from stserver import REPO

pytestmark = pytest.mark.e2e

SESSIONS = int(os.environ.get("LOAD_SESSIONS", "20"))
INTERACTIONS = min(10, int(os.environ.get("LOAD_INTERACTIONS", "10")))
DEADLINE_S = float(os.environ.get("LOAD_DEADLINE_S", "170"))
OUT = REPO / "test-artifacts" / "load"

SENTENCES = ["The cat sat on the mat because it was tired.",
             "A quick brown fox jumps over the lazy dog near the river bank.",
             "Attention lets every token look at every other token.",
             "She read the book that her friend had recommended last year.",
             "Paris is the capital of France and Rome is the capital of Italy."]


def z_of(res) -> np.ndarray:
    assert len(res.charts) == 1, f"{len(res.charts)} charts"
    return plotly_array(res.charts[0]["data"][0]["z"]).astype(float)


def hard(z):
    ok = ~np.isnan(z)
    assert np.all(np.isin(z[ok], (0.0, 1.0))) and np.allclose(np.nansum(z, 1), 1), "rows not one-hot"


def band(w):
    def check(z):
        i, j = np.indices(z.shape)
        assert np.all(np.isnan(z[np.abs(i - j) > w])) and not np.any(np.isnan(z[np.abs(i - j) <= w])), \
            f"not a local band w={w}"
    return check


def causal(z):
    i, j = np.indices(z.shape)
    assert np.all(np.isnan(z[j > i])) and not np.any(np.isnan(z[j <= i])), "not causal"


def soft(z):
    assert np.allclose(np.nansum(z, 1), 1, atol=1e-4) and np.nanmin(z) >= 0, "rows do not sum to 1"


def plan(k: int):
    """Session k's interactions: (action, key, value, checks)."""
    a, b = SENTENCES[k % len(SENTENCES)], SENTENCES[(k + 2) % len(SENTENCES)]
    return [
        ("set", "text", f"{a} (session {k})", [soft]),
        ("choose", "type", "Hard (arg", [hard]),
        ("choose", "scope", "Local (", [hard, band(2)]),
        ("set", "window", 1, [hard, band(1)]),
        ("set", "layer", 1 + k % 6, [hard, band(1)]),
        ("set", "head", 1 + (k * 5) % 12, [hard, band(1)]),
        ("choose", "type", "Sparsemax", [band(1)]),
        ("choose", "scope", "Causal", [causal]),
        ("choose", "type", "Soft", [soft, causal]),
        ("set", "text", b, [soft, causal]),
    ][:INTERACTIONS]


async def one_session(base_url: str, k: int, stats: dict) -> None:
    async with Session(base_url, "sentence") as s:
        res = await s.open()
        stats["open"].append(res.seconds)
        if not res.ok or len(res.charts) != 1:
            stats["errors"].append(f"s{k} open: status={res.status} exceptions={res.exceptions}")
            return
        for step, (action, key, value, checks) in enumerate(plan(k)):
            try:
                res = await (s.choose(key, value) if action == "choose" else s.set(key, value))
                stats["latency"].append(res.seconds)
                stats["bytes"] += res.n_bytes
                assert res.ok, f"status={res.status} exceptions={res.exceptions}"
                z = z_of(res)
                for check in checks:
                    check(z)
            except Exception as e:  # noqa: BLE001 - every failure is counted and reported
                stats["errors"].append(f"s{k} step {step} ({key}={value!r}): {type(e).__name__}: {e}")
        stats["completed"] += 1


def cpu_seconds(pid: int) -> float:
    parts = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def test_concurrent_sessions(load_server):
    base = load_server.base_url
    stats = {"open": [], "latency": [], "errors": [], "completed": 0, "bytes": 0}
    rss_start = load_server.rss_kb()          # cold if this is the session's first use
    run(one_session(base, 999, {"open": [], "latency": [], "errors": [], "completed": 0, "bytes": 0}))
    rss_before = load_server.rss_kb()                 # warm: the model is loaded
    cpu_before = cpu_seconds(load_server.pid) if load_server.pid else None

    peak = [rss_before or 0]
    done = threading.Event()

    def sample():
        while not done.wait(0.25):
            peak[0] = max(peak[0], load_server.rss_kb() or 0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    async def everyone():
        await asyncio.wait_for(asyncio.gather(*(one_session(base, k, stats) for k in range(SESSIONS)),
                                              return_exceptions=False), DEADLINE_S)

    t0 = time.perf_counter()
    try:
        run(everyone())
    finally:
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
    time.sleep(1.0)
    rss_after = load_server.rss_kb()
    cpu = cpu_seconds(load_server.pid) - cpu_before if load_server.pid else None
    with urllib.request.urlopen(base + "/_stcore/health", timeout=10) as r:
        healthy = r.read().strip() == b"ok"
    # the server keeps serving: a fresh session after the load
    after = {"open": [], "latency": [], "errors": [], "completed": 0, "bytes": 0}
    run(one_session(base, 1000, after))

    lat = sorted(stats["latency"])
    q = (lambda p: lat[min(len(lat) - 1, int(round(p * (len(lat) - 1))))]) if lat else (lambda p: float("nan"))
    report = {
        "sessions": SESSIONS, "interactions_per_session": INTERACTIONS,
        "interactions_done": len(lat), "sessions_completed": stats["completed"],
        "errors": len(stats["errors"]), "wall_s": round(wall, 1),
        "latency_s": {"p50": round(q(0.50), 3), "p95": round(q(0.95), 3), "max": round(lat[-1], 3) if lat else None,
                      "mean": round(statistics.fmean(lat), 3) if lat else None},
        "page_open_s": {"p50": round(statistics.median(stats["open"]), 3) if stats["open"] else None,
                        "max": round(max(stats["open"]), 3) if stats["open"] else None},
        "server_rss_mb": {"at_start": rss_start and round(rss_start / 1024), "before": rss_before and round(rss_before / 1024),
                          "peak": round(peak[0] / 1024), "after": rss_after and round(rss_after / 1024)},
        "server_cpu_s": cpu and round(cpu, 1), "received_mb": round(stats["bytes"] / 2**20, 1),
        "cores": os.cpu_count(), "first_errors": stats["errors"][:10],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "load-report.json").write_text(json.dumps(report, indent=2))
    print("\nLOAD " + json.dumps(report, indent=2))

    assert stats["errors"] == [], "\n".join(stats["errors"][:20])
    assert stats["completed"] == SESSIONS, f"{stats['completed']} of {SESSIONS} sessions completed"
    assert len(lat) == SESSIONS * INTERACTIONS
    assert healthy and after["errors"] == [] and after["completed"] == 1, after["errors"]
