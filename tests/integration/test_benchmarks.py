"""The benchmark scripts still run and still end with their BENCH line (quick mode)."""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    assert "echo + the guard's CPU, spun" in out.stdout
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
        "spin_p99_us",
        "spin_us",
    } <= set(fields)
    assert 0 < float(fields["p50_us"]) <= float(fields["p99_us"])
    assert float(fields["spin_us"]) >= float(fields["apply_p50_us"])  # apply + encode


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


@functools.cache
def _benchmark_module(name: str) -> Any:
    """A benchmark script imported as a module (its dataclasses need it in sys.modules)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_WRK_UNITS = {"us": 1.0, "ms": 1e3, "s": 1e6}


@given(
    values=st.lists(st.integers(0, 99_999), min_size=3, max_size=3),
    units=st.lists(st.sampled_from(sorted(_WRK_UNITS)), min_size=3, max_size=3),
    rate=st.integers(0, 10**8),
)
def test_wrk_output_is_read_back(values: list[int], units: list[str], rate: int) -> None:
    # wrk --latency prints each percentile with two decimals and its own unit.
    serve_latency = _benchmark_module("serve_latency")
    p50, p90, p99 = (f"{v / 100:.2f}{u}" for v, u in zip(values, units, strict=True))
    out = (
        "  Latency Distribution\n"
        f"     50%  {p50}\n     75%    1.00ms\n     90%  {p90}\n     99%  {p99}\n"
        "  80000 requests in 8.00s, 4.30GB read\n"
        f"Requests/sec: {rate / 100:10.2f}\n"
    )
    expected = {
        f"p{q}": v / 100 * _WRK_UNITS[u]
        for q, v, u in zip((50, 90, 99), values, units, strict=True)
    }
    assert serve_latency.parse_wrk(out) == pytest.approx({**expected, "rps": rate / 100})


def test_spin_spends_the_cpu_it_is_asked_for() -> None:
    serve_latency = _benchmark_module("serve_latency")
    started = time.thread_time_ns()
    serve_latency.spin(3_000)
    assert time.thread_time_ns() - started >= 3_000_000


@given(size=st.integers(10, 200_000))
def test_padded_answer_is_json_of_the_asked_size(size: int) -> None:
    answer = _benchmark_module("serve_latency").padded_answer(size)
    assert len(answer) == size
    assert json.loads(answer) == {"pad": "x" * (size - 10)}


def test_wrk_output_without_percentiles_is_refused() -> None:
    serve_latency = _benchmark_module("serve_latency")
    with pytest.raises(ValueError, match="cannot read wrk's output"):
        serve_latency.parse_wrk("Requests/sec:   12.00\n")
