"""The benchmark scripts still run and still end with their BENCH line (quick mode)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def test_guard_latency_quick_agrees_with_the_baseline() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "guard_latency.py"), "--quick", "--no-rego"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "decisions agree: yes" in out.stdout
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("BENCH guard_latency p50_us=")
    fields = dict(part.split("=", 1) for part in last.split()[2:])
    assert {"p99_us", "baseline", "baseline_p99_us", "speedup", "p99_5000_us"} <= set(fields)
    assert float(fields["speedup"]) > 1.0
