"""The benchmark script keeps working (quick mode). It reports figures; nothing here asserts a time."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_quick_mode_reports_every_section(tmp_path):
    out = tmp_path / "quick.md"
    r = subprocess.run([sys.executable, "benchmarks/run.py", "--quick", "--only", "core,local,model,payload",
                        "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    rows = json.loads(out.with_suffix(".json").read_text())
    sections = {row["section"] for row in rows}
    assert sections == {"core", "local", "model", "payload"}
    names = " ".join(row["name"] for row in rows)
    assert "attend" in names and "floor" in names and "local_attention" in names
    assert "model view" in names                      # the model explorer's payload builder is found
    assert all(row["median"] is not None and row["median"] > 0 for row in rows)
    assert "| core |" in out.read_text()


def test_benchmark_rejects_unknown_sections():
    r = subprocess.run([sys.executable, "benchmarks/run.py", "--only", "nope"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "unknown section" in r.stderr
