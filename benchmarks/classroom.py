"""Classroom load benchmark: a class of 30 on one link, with think time (issue 14 #3).

    python benchmarks/classroom.py                         # 30 sessions x 3 min, one replica (a fresh server)
    python benchmarks/classroom.py --replicas 2            # the same through nginx (scripts/serve.sh), 2 replicas
    python benchmarks/classroom.py --think 0 0 --duration 60 --replicas 1   # no think time: throughput
    python benchmarks/classroom.py --url http://127.0.0.1:8501 --pids 1234  # a server you started
    python benchmarks/classroom.py --live-job              # the same class while a live training job runs

Each session opens a Sentence lesson preset of Home (``features.home.presets.LESSONS``) and then changes
a widget every 5-10 s (seeded); a quarter of them type new sentences.  See
``tests/load/classroom.py`` for exactly what a student does and what is checked.

``--live-job`` (issue 24): one more session keeps Translate's "Train a small model now" busy for
the whole run (a new job whenever one ends, watched the way a browser does: the fragment's
auto-rerun every 2 s; ``tests/load/livejob.py``); its own latencies are not counted.

Prints one table: interaction latency p50 / p95 / p99 / max (send -> the rerun's
``script_finished``, on loopback), errors, peak RSS and CPU of the server process(es), and
whether the targets (0 errors, p95 <= 1.0 s, RSS <= 700 MB per replica) are met.  Appends the
table to ``benchmarks/results/classroom.md`` and writes the full report as JSON next to it.
Nothing is asserted: this machine is shared and noisy (the tests assert only 0 errors).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "load"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import classroom as C  # noqa: E402
import livejob as J  # noqa: E402

TARGETS = {"p95_s": 1.0, "rss_mb": 700}


def table(rep: dict, label: str) -> str:
    lat, op = rep["latency_s"], rep["open_s"]
    peak = max(rep["server_peak_rss_mb"].values()) if rep["server_peak_rss_mb"] else None
    met = lambda ok: "met" if ok else "MISSED"  # noqa: E731
    rows = [
        ("setup", label),
        ("sessions x duration", f"{rep['sessions']} x {rep['duration_s']:.0f} s (think {rep['think_s'][0]:g}-"
                                f"{rep['think_s'][1]:g} s, seed {rep['seed']}); wall {rep['wall_s']} s"),
        ("sessions opened / completed", f"{rep['opened']} / {rep['completed']}"),
        ("interactions (per s)", f"{rep['interactions']} ({rep['interactions_per_s']}/s)"),
        ("errors", f"{rep['errors']}  (target 0: {met(rep['errors'] == 0)})"),
        ("latency p50 / p95 / p99 / max", f"{lat['p50']} / {lat['p95']} / {lat['p99']} / {lat['max']} s  "
                                          f"(target p95 <= {TARGETS['p95_s']} s: "
                                          f"{met(lat['p95'] is not None and lat['p95'] <= TARGETS['p95_s'])})"),
        ("page open p50 / p95 / max", f"{op['p50']} / {op['p95']} / {op['max']} s"),
        ("latency p50 by widget", ", ".join(f"{k} {v}" for k, v in rep["latency_by_widget_p50_s"].items())),
        ("peak RSS per replica (sampled)", ", ".join(f"{v} MB" for v in rep["server_peak_rss_mb"].values())
         + (f"  (target <= {TARGETS['rss_mb']} MB: {met(peak <= TARGETS['rss_mb'])})" if peak else "")),
        ("RSS high-water mark per replica", ", ".join(f"{v} MB" for v in rep["server_rss_hwm_mb"].values())),
        ("server CPU (all replicas)", f"{rep['server_cpu_s']} s = {rep['server_cpu_ms_per_interaction']} ms "
                                      f"per page open or interaction"),
        ("replicas that served sessions", ", ".join(rep["replicas_seen"]) or "(direct, no proxy)"),
        *([("live training job (issue 24)", _live(rep["live_job"]))] if rep.get("live_job") else []),
        ("machine", f"{rep['cores']} cores, load average before the run {rep['loadavg_before']}"),
    ]
    w = max(len(a) for a, _ in rows)
    return "\n".join(f"| {a:<{w}} | {b} |" for a, b in rows)


def _live(j: dict) -> str:
    return (f"{j['jobs_started']} job(s) started, furthest step per job {j['furthest_step_per_job']}, "
            f"first progress {j['first_progress_s']} s after the click, {j['polls']} polls, "
            f"errors {len(j['errors'])}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--duration", type=float, default=180.0, help="seconds (default 180)")
    ap.add_argument("--think", type=float, nargs=2, default=(5.0, 10.0), metavar=("MIN", "MAX"))
    ap.add_argument("--open-spread", type=float, default=10.0,
                    help="sessions open their lesson within this many seconds (default 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--replicas", type=int, default=0,
                    help="N > 0: run scripts/serve.sh --replicas N and go through nginx")
    ap.add_argument("--url", help="an already running server (or proxy)")
    ap.add_argument("--pids", default="", help="with --url: comma-separated server pids to measure")
    ap.add_argument("--live-job", action="store_true",
                    help="keep a live training job running during the class (Translate page, issue 24)")
    ap.add_argument("--label", default="")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "classroom.md"))
    a = ap.parse_args(argv)
    if a.sessions < 1 or a.duration <= 0 or a.think[0] < 0 or a.think[1] < a.think[0]:
        ap.error("need --sessions >= 1, --duration > 0 and 0 <= MIN <= MAX for --think")

    cfg = C.Config(sessions=a.sessions, duration=a.duration, think=tuple(a.think),
                   open_spread=a.open_spread, seed=a.seed)
    served = server = None
    if a.url:
        base, pids, label = a.url.rstrip("/"), [int(p) for p in a.pids.split(",") if p], "external server"
    elif a.replicas > 0:
        import stserve
        print(f"starting scripts/serve.sh --replicas {a.replicas} ...", flush=True)
        served = stserve.start(a.replicas)
        base, pids = served.base_url, served.pids
        label = f"{a.replicas} replica(s) behind nginx (scripts/serve.sh)"
    else:
        import stserver
        print("starting one server (python -m streamlit run app.py) ...", flush=True)
        server = stserver.start()
        base, pids, label = server.base_url, [server.pid], "1 replica, direct (no proxy)"
    label = a.label or label
    try:
        # warm every replica the way its first visitor would (the model load is not the class's wait)
        warm = C.Config(sessions=2, duration=0.1, think=(0, 0), open_spread=0, min_interactions=1,
                        seed=10_000 + a.seed)
        for url in ([f"http://{r.address}" for r in served.replicas] if served else [base]):
            C.run_class(url, warm)
        loadavg = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"running {a.sessions} sessions for {a.duration:.0f} s against {base} ...", flush=True)
        trainer = J.Trainer() if a.live_job else None
        chaos = None
        if trainer is not None:
            label += " + a live training job"

            def chaos(_stats):
                return J.keep_training(base, time.monotonic() + a.duration, trainer)
        rep = C.run_class(base, cfg, pids, chaos=chaos)
        if trainer is not None:
            rep["live_job"] = J.as_dict(trainer)
        rep["loadavg_before"] = loadavg
        with urllib.request.urlopen(base + "/_stcore/health", timeout=10) as r:
            rep["healthy_after"] = r.read().strip() == b"ok"
    finally:
        if served is not None:
            stserve.stop(served)
        if server is not None:
            stserver.stop(server)
    stats = rep.pop("_stats")
    rep["label"] = label
    text = table(rep, label)
    print("\n" + text)
    if stats.errors:
        print("\nfirst errors:\n  " + "\n  ".join(stats.errors[:10]))
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M")
    with out.open("a") as f:
        f.write(f"\n### {stamp} — {label} (Python {platform.python_version()})\n\n| what | figure |\n|---|---|\n"
                f"{text}\n")
    out.with_suffix(".json").write_text(json.dumps(rep, indent=2, default=str))
    print(f"\nappended to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
