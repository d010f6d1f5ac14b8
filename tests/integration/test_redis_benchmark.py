"""The Redis signal-store benchmark still runs and ends with its BENCH line (quick mode)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.redis_server import REDIS_SERVER

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
def test_redis_signal_store_benchmark_quick() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "redis_signal_store.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("BENCH redis_signal_store items=20000 lookup_p50_us=")
    fields = dict(part.split("=", 1) for part in last.split()[2:])
    assert {"lookup_p99_us", "lookup_strings_p50_us", "load_rows_per_s", "mb_per_1m"} <= set(fields)
    assert float(fields["load_rows_per_s"]) > 0
