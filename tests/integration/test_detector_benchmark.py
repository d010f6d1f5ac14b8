"""The detector speed benchmark still runs and ends with its BENCH line (quick mode)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def test_detector_speed_quick_reports_every_figure() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "detector_speed.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    for row in ("bastion/toxicity", "bastion/pii", "MiniLMEncoder().encode (raw)", "RSS"):
        assert row in out.stdout
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("BENCH detector_speed fast_texts_per_s=")
    fields = dict(part.split("=", 1) for part in last.split()[2:])
    assert set(fields) == {
        "fast_texts_per_s",
        "fast_single_us",
        "embed_texts_per_s",
        "minilm_texts_per_s",
        "rss_mb",
        "rss_with_minilm_mb",
    }
    for key, value in fields.items():
        if key == "embed_texts_per_s" and value == "na":  # no MiniLM model files
            continue
        assert math.isfinite(float(value)) and float(value) > 0, f"{key}={value}"
