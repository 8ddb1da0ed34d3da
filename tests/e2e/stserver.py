"""Start and stop the app (``streamlit run app.py``) for the end-to-end and load tests.

One server per pytest session, shared by ``tests/e2e`` and ``tests/load``:
:func:`acquire` starts it on first use (a free port in 8610-8630 unless ``E2E_PORT``
is set, or reuses ``E2E_BASE_URL`` if you already run one), :func:`release` stops it
after its last user.  The server log goes to a temporary file; it is copied to
``test-artifacts/e2e/server.log`` when a test failed (or ``E2E_KEEP_LOG=1``).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"
PORTS = range(8610, 8631)
START_TIMEOUT = 60.0


@dataclass
class AppServer:
    base_url: str
    proc: Optional[subprocess.Popen] = None       # None: an external server (E2E_BASE_URL)
    log_path: Optional[Path] = None
    users: int = field(default=0)

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    def rss_kb(self) -> Optional[int]:
        """Resident memory of the server process (``VmRSS`` in /proc), in kB."""
        if not self.pid:
            return None
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace") if self.log_path else ""
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc is None or self.proc.poll() is None


def free_port() -> int:
    for port in PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def wait_healthy(base_url: str, proc: Optional[subprocess.Popen], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(base_url + "/_stcore/health", timeout=5) as r:
                if r.status == 200 and r.read().strip() == b"ok":
                    return
        except Exception as e:  # not up yet
            last = repr(e)
        time.sleep(0.25)
    raise TimeoutError(f"{base_url}/_stcore/health not ok after {timeout:.0f} s ({last})")


def start() -> AppServer:
    """``python -m streamlit run app.py`` from the repo root on a free loopback port."""
    external = os.environ.get("E2E_BASE_URL")
    if external:
        wait_healthy(external.rstrip("/"), None, START_TIMEOUT)
        return AppServer(external.rstrip("/"))
    port = int(os.environ.get("E2E_PORT") or free_port())
    log = Path(tempfile.mkstemp(prefix="e2e-streamlit-", suffix=".log")[1])
    env = dict(os.environ, PYTHONUNBUFFERED="1", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = AppServer(f"http://127.0.0.1:{port}", proc, log)
    try:
        wait_healthy(server.base_url, proc, START_TIMEOUT)
    except Exception:
        stop(server, keep_log=True)
        raise
    return server


def stop(server: AppServer, keep_log: bool = False) -> None:
    """Terminate the server (SIGTERM, then SIGKILL after 10 s); keep its log if asked."""
    if server.proc is not None and server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=10)
    if server.log_path and server.log_path.exists():
        if keep_log or os.environ.get("E2E_KEEP_LOG") == "1":
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(server.log_path, ARTIFACTS / "server.log")
        server.log_path.unlink(missing_ok=True)


_shared: Optional[AppServer] = None


def acquire() -> AppServer:
    """The session's shared server (started on first call)."""
    global _shared
    if _shared is None or not _shared.alive():
        _shared = start()
    _shared.users += 1
    return _shared


def release(failed: bool) -> None:
    """Drop one user; the last one stops the server (and keeps the log if ``failed``)."""
    global _shared
    if _shared is None:
        return
    _shared.users -= 1
    if _shared.users <= 0:
        stop(_shared, keep_log=failed)
        _shared = None
