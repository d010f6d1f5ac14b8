"""The on-disk log: sealing, reopening, torn tails and half-done seals."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bastion.cli._catalogue import build_catalogue
from bastion.core import DecisionRecord
from bastion.guard import Guard
from bastion.policy import load_bundle
from bastion.trace import (
    DecisionLog,
    Pseudonymiser,
    TraceError,
    TraceReader,
    build_body,
    encode_body,
    verify,
)
from bastion.trace import _log as log_module

from .records import records

KEY = Pseudonymiser("a-test-key-of-32-bytes-----------")
RECORDS = records(12, size=8, seed=1)
BODIES = [encode_body(build_body(r, KEY)) for r in RECORDS]


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


def _row_groups(path: Path) -> list[int]:
    metadata = pq.ParquetFile(path).metadata
    return [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]


def test_a_segment_is_sealed_a_chunk_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_module, "SEAL_CHUNK", 5)
    monkeypatch.setattr(log_module, "REQUESTS_ROW_GROUP", 4)
    monkeypatch.setattr(log_module, "DECISIONS_ROW_GROUP", 3 * 8)
    log = DecisionLog(tmp_path)
    log.append(BODIES)
    log.seal()
    log.close()
    # 12 records of 8 items, built in chunks of 5, 5 and 2, are stored in the
    # row groups of a segment built at once; the rows are what the hashed
    # records give (verify rebuilds them from the bodies and compares).
    assert _row_groups(tmp_path / "segments" / "00000001.requests.parquet") == [4, 4, 4]
    assert _row_groups(tmp_path / "segments" / "00000001.decisions.parquet") == [24] * 4
    report = verify(tmp_path)
    assert report.ok, report.problems
    assert report.items == 12 * 8
    assert not list((tmp_path / "segments").glob("*.tmp"))


TINY_BUNDLE = """
version: 1
name: tiny
rules:
  - id: hate
    when: item.hate >= 0.5
    action: block
"""


def test_a_segment_whose_columns_change_is_sealed_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first chunk's records read the feed-safety bundle's signals, the
    # second's only item.hate (a bundle reloaded while the segment was open).
    monkeypatch.setattr(log_module, "SEAL_CHUNK", 4)
    store = build_catalogue(2000, 200, 3)
    (tmp_path / "tiny.yaml").write_text(TINY_BUNDLE)
    tiny = Guard(load_bundle(tmp_path / "tiny.yaml", store.schema), store)
    later = [DecisionRecord(r.request, tiny.apply(r.request), r.timestamp) for r in RECORDS[4:8]]
    log = DecisionLog(tmp_path / "log")
    log.append([encode_body(build_body(r, KEY)) for r in [*RECORDS[:4], *later]])
    log.seal()
    log.close()
    segment = tmp_path / "log" / "segments"
    assert _row_groups(segment / "00000001.requests.parquet") == [8]  # built whole
    decisions = pq.read_table(segment / "00000001.decisions.parquet")
    violence = decisions.column("item.violence").to_pylist()
    assert all(v is not None for v in violence[: 4 * 8])
    assert violence[4 * 8 :] == [None] * (4 * 8)
    report = verify(tmp_path / "log")
    assert report.ok, report.problems
    assert not list(segment.glob("*.tmp"))
