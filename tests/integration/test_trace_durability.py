"""kill -9 the writer mid-stream: every acknowledged record survives, a torn tail is cut."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bastion.trace import TraceConfig, TraceReader, TraceWriter, verify

pytestmark = pytest.mark.integration

KEY = "a-test-key-of-32-bytes-----------"

WRITER = """
import sys
from pathlib import Path
from bastion.trace import TraceConfig, TraceWriter
from tests.unit.trace.records import records

def acknowledge(acks):
    sys.stdout.write("".join(f"ack {a.request_id}\\n" for a in acks))
    sys.stdout.flush()

config = TraceConfig(
    directory=Path(sys.argv[1]), hmac_key=sys.argv[2], fsync="always",
    segment_max_bytes=64 * 1024,
)
pool = records(50, size=30, seed=int(sys.argv[3]))
writer = TraceWriter(config, on_durable=acknowledge)
recovery = writer.start()
sys.stdout.write(f"recovered {recovery.recovered} torn {recovery.torn_bytes}\\n")
sys.stdout.flush()
number = 0
while True:
    record = pool[number % len(pool)]
    request = type(record.request)(**{**{f: getattr(record.request, f) for f in
        ("candidates", "slate_size", "user", "surface", "model")},
        "request_id": f"run{sys.argv[3]}-{number:06d}"})
    writer.append([type(record)(request, record.result, record.timestamp)])
    number += 1
"""


def run_until_acks(directory: Path, seed: int, wanted: int) -> tuple[list[str], str]:
    """Start a writer process, wait for *wanted* acks, then kill -9 it."""
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(directory), KEY, str(seed)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert process.stdout is not None
    header = process.stdout.readline()
    acked: list[str] = []
    deadline = time.monotonic() + 60
    while len(acked) < wanted and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("ack "):
            acked.append(line.split()[1])
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    process.stdout.close()
    assert len(acked) >= wanted, f"writer stopped early: {process.returncode}"
    return acked, header


def test_acknowledged_records_survive_kill_9(tmp_path: Path) -> None:
    acked_first, _ = run_until_acks(tmp_path, seed=1, wanted=300)
    acked_second, header = run_until_acks(tmp_path, seed=2, wanted=100)
    assert header.startswith("recovered")
    config = TraceConfig(directory=tmp_path, hmac_key=KEY)
    with TraceWriter(config):
        pass  # recover and seal what is left
    reader = TraceReader(tmp_path)
    stored = set(reader.query("SELECT request_id FROM requests").column("request_id").to_pylist())
    missing = (set(acked_first) | set(acked_second)) - stored
    assert not missing, f"{len(missing)} acknowledged records lost"
    report = verify(tmp_path)
    assert report.ok, [str(p) for p in report.problems]
    assert len(reader.segments()) > 1


def test_a_torn_tail_after_a_crash_is_reported_and_truncated(tmp_path: Path) -> None:
    acked, _ = run_until_acks(tmp_path, seed=3, wanted=50)
    wal = sorted((tmp_path / "wal").glob("*.wal"))[-1]
    with wal.open("ab") as handle:  # what a write cut by the crash leaves behind
        handle.write(b"\x00\x00\x10\x00" + b"\x17" * 100)
    assert [p.kind for p in verify(tmp_path).warnings] == ["torn"]
    writer = TraceWriter(TraceConfig(directory=tmp_path, hmac_key=KEY))
    recovery = writer.start()
    writer.close()
    assert recovery.torn_bytes == 104
    assert recovery.wal == str(wal)
    stored = set(
        TraceReader(tmp_path)
        .query("SELECT request_id FROM requests")
        .column("request_id")
        .to_pylist()
    )
    assert set(acked) <= stored
    report = verify(tmp_path)
    assert report.ok and not report.warnings
