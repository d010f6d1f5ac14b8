"""The on-disk log: sealing, reopening, torn tails and half-done seals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.trace import (
    DecisionLog,
    Pseudonymiser,
    TraceError,
    TraceReader,
    build_body,
    encode_body,
    verify,
)

from .records import records

KEY = Pseudonymiser("a-test-key-of-32-bytes-----------")
BODIES = [encode_body(build_body(r, KEY)) for r in records(12, size=8, seed=1)]


def test_reopening_continues_the_chain(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path)
    first = log.append(BODIES[:5])
    log.seal()
    log.close()
    log = DecisionLog(tmp_path)
    more = log.append(BODIES[5:])
    assert more[0].seq == 5
    assert more[0].prev_hash == first[-1].hash
    log.close()
    assert verify(tmp_path).ok
    assert [s.records for s in TraceReader(tmp_path).segments()] == [5, 7]


def test_only_one_writer_at_a_time(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path)
    with pytest.raises(TraceError, match="another writer holds this log"):
        DecisionLog(tmp_path)
    log.close()
    DecisionLog(tmp_path).close()


def test_a_torn_tail_is_reported_and_truncated(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path, fsync="always")
    log.append(BODIES[:4])
    log.close(seal=False)
    wal = next((tmp_path / "wal").glob("*.wal"))
    whole = wal.stat().st_size
    with wal.open("ab") as handle:
        handle.write(b"\x00\x00\x01\x00partial frame")
    log = DecisionLog(tmp_path)
    assert log.recovery.recovered == 4
    assert log.recovery.torn_bytes == len(b"\x00\x00\x01\x00partial frame")
    assert wal.stat().st_size == whole
    assert log.append(BODIES[4:5])[0].seq == 4
    log.close()
    assert verify(tmp_path).ok


def test_a_seal_cut_short_is_redone(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path)
    log.append(BODIES[:6])
    log.close(seal=False)
    (tmp_path / "segments" / "00000001.requests.parquet").write_bytes(b"half written")
    log = DecisionLog(tmp_path)  # the orphan (not in the manifest) is removed
    assert log.open_records == 6
    log.close()
    assert verify(tmp_path).ok


def test_rotation_by_size(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path, segment_max_bytes=4096 * 2)
    for body in BODIES:
        log.append([body])
        if log.due():
            log.seal()
    log.close()
    segments = TraceReader(tmp_path).segments()
    assert len(segments) > 2
    assert sum(s.records for s in segments) == len(BODIES)
    assert verify(tmp_path).ok


def test_rotation_by_age(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path, segment_max_age_s=60)
    log.append(BODIES[:1])
    assert not log.due()
    assert log.due(now=10**12)
    log.close()
