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


def test_serve_latency_quick_serves_and_reports() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "serve_latency.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "POST /v1/guard" in out.stdout and "echo (FastAPI + msgspec)" in out.stdout
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("BENCH serve_latency p50_us=")
    fields = dict(part.split("=", 1) for part in last.split()[2:])
    assert {
        "p99_us",
        "echo_p99_us",
        "c1_p50_us",
        "c1_p99_us",
        "rps",
        "cpu_us",
        "apply_p50_us",
    } <= set(fields)
    assert 0 < float(fields["p50_us"]) <= float(fields["p99_us"])


def test_trace_throughput_quick_loses_no_record() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "trace_throughput.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "TraceReader.explain(request_id)" in out.stdout
    assert "round by round" in out.stdout  # each round's traced vs untraced p99
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("BENCH trace_throughput records_per_s=")
    fields = dict(part.split("=", 1) for part in last.split()[2:])
    assert {"why_ms", "guard_p99_delta_pct", "guard_p99_us", "traced_p99_us"} <= set(fields)
    assert fields["why_items"] == "1000000"
    assert float(fields["records_per_s"]) > 0 and float(fields["why_ms"]) > 0
