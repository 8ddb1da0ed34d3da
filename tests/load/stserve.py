"""Start and stop ``scripts/serve.sh`` (N Streamlit replicas behind nginx) for tests and benchmarks.

:func:`start` picks N + 1 free consecutive loopback ports (nginx on the first, the replicas on
the next N), runs ``scripts/serve.sh --replicas N --port P --run-dir <tmp> --expose-upstream`` in
its own process group, and waits for the ``ready`` file the script writes once nginx answers
``/_stcore/health``.  :func:`stop` sends SIGTERM to the script (its trap stops nginx and every
replica it started), then SIGKILL, by pid, to any process still in the script's process group.  Everything it started is gone afterwards; the run directory (configuration and logs) is
copied to ``test-artifacts/serve/`` when asked to keep it, then removed.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "serve"
NGINX = "/usr/sbin/nginx"
PORTS = range(18600, 18700)


@dataclass
class Replica:
    index: int
    port: int
    pid: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        # a killed child that serve.sh has not reaped yet is a zombie: not alive
        try:
            return Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False


@dataclass
class Served:
    base_url: str
    port: int
    run_dir: Path
    proc: subprocess.Popen
    replicas: list[Replica] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [r.pid for r in self.replicas]

    def by_address(self) -> dict[str, Replica]:
        return {r.address: r for r in self.replicas}

    def nginx_pid(self) -> Optional[int]:
        try:
            return int((self.run_dir / "nginx.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def access_log(self) -> str:
        try:
            return (self.run_dir / "access.log").read_text(errors="replace")
        except OSError:
            return ""


def free_ports(n: int) -> int:
    """The first port P of ``n`` consecutive free loopback ports P .. P+n-1 in :data:`PORTS`."""
    def free(port: int) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
            return True
    for p in range(PORTS.start, PORTS.stop - n):
        if all(free(p + i) for i in range(n)):
            return p
    raise RuntimeError(f"no {n} free consecutive ports in {PORTS.start}-{PORTS.stop - 1}")


def start(replicas: int = 2, timeout: float = 240.0) -> Served:
    """``scripts/serve.sh --replicas N`` on free loopback ports; returns once nginx serves."""
    port = free_ports(replicas + 1)
    run_dir = Path(tempfile.mkdtemp(prefix="serve-test-"))
    log = open(run_dir / "serve.out", "wb")
    proc = subprocess.Popen(
        ["bash", str(REPO / "scripts" / "serve.sh"), "--replicas", str(replicas), "--port", str(port),
         "--run-dir", str(run_dir), "--expose-upstream"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    served = Served(f"http://127.0.0.1:{port}", port, run_dir, proc)
    deadline = time.monotonic() + timeout
    try:
        while not (run_dir / "ready").exists():
            if proc.poll() is not None:
                raise RuntimeError(f"serve.sh exited with {proc.returncode}: "
                                   + (run_dir / "serve.out").read_text(errors="replace")[-3000:])
            if time.monotonic() > deadline:
                raise TimeoutError(f"serve.sh not ready after {timeout:.0f} s")
            time.sleep(0.3)
        for line in (run_dir / "replicas.tsv").read_text().splitlines():
            i, p, pid = line.split("\t")
            served.replicas.append(Replica(int(i), int(p), int(pid)))
        with urllib.request.urlopen(served.base_url + "/_stcore/health", timeout=10) as r:
            assert r.read().strip() == b"ok"
    except BaseException:
        stop(served, keep=True)
        raise
    return served


def _ours(pid: int, pgid: int) -> bool:
    """``pid`` is still one of ours: in the process group serve.sh was started in."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return stat[0] != "Z" and int(stat[2]) == pgid


def _group(pgid: int) -> list[int]:
    """Live members of process group ``pgid`` (the group serve.sh runs in)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and _ours(int(d.name), pgid):
            out.append(int(d.name))
    return out


def stop(served: Served, keep: bool = False) -> None:
    """Stop serve.sh and everything it started; keep the run directory in test-artifacts if asked."""
    pgid = served.proc.pid                                # start_new_session: group id = its pid
    if served.proc.poll() is None:
        served.proc.send_signal(signal.SIGTERM)          # serve.sh's trap stops nginx and the replicas
        try:
            served.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    # anything left (serve.sh killed hard, a stuck replica): by id, only members of our group
    for pid in _group(pgid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if served.proc.poll() is None:
        served.proc.wait(timeout=10)
    if keep or os.environ.get("E2E_KEEP_LOG") == "1":
        dest = ARTIFACTS / served.run_dir.name
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(served.run_dir, dest, ignore=shutil.ignore_patterns("tmp"), dirs_exist_ok=True)
    shutil.rmtree(served.run_dir, ignore_errors=True)
