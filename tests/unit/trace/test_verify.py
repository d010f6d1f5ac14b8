"""Tampering with a sealed log is caught, with the segment and position named."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from bastion.trace import DecisionLog, Pseudonymiser, build_body, encode_body, verify

from .records import records

RECORDS = records(30)
KEY = Pseudonymiser("a-test-key-of-32-bytes-----------")


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    log = DecisionLog(tmp_path, fsync="never")
    bodies = [encode_body(build_body(r, KEY)) for r in RECORDS]
    log.append(bodies[:10])
    log.seal()
    log.append(bodies[10:25])
    log.seal()
    log.append(bodies[25:])
    log.close(seal=False)
    return tmp_path


def requests_file(directory: Path, segment: int) -> Path:
    return directory / "segments" / f"{segment:08d}.requests.parquet"


def rewrite(path: Path, table: pa.Table) -> None:
    pq.write_table(table, path, compression="zstd")


def test_an_untouched_log_verifies(log_dir: Path) -> None:
    report = verify(log_dir)
    assert report.ok, report.problems
    assert (report.segments, report.records, report.open_records) == (2, 25, 5)
    assert report.items == 25 * 40


def test_expected_head_is_checked(log_dir: Path) -> None:
    head = verify(log_dir).head
    assert verify(log_dir, expect_head=head).ok
    report = verify(log_dir, expect_head="00" * 32)
    assert [p.kind for p in report.problems] == ["mismatch"]


def test_one_flipped_byte_in_a_segment_file_is_caught(log_dir: Path) -> None:
    path = requests_file(log_dir, 2)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    report = verify(log_dir)
    assert not report.ok
    assert all(p.where == "segment 00000002" for p in report.problems)
    assert "edited" in {p.kind for p in report.problems}


def test_an_edited_body_is_caught_at_its_position(log_dir: Path) -> None:
    path = requests_file(log_dir, 2)
    table = pq.read_table(path)
    bodies = table.column("body").to_pylist()
    bodies[4] = bodies[4].replace(b"explore", b"Explore", 1)
    rewrite(path, table.set_column(table.schema.get_field_index("body"), "body", pa.array(bodies)))
    problems = [p for p in verify(log_dir).problems if p.position is not None]
    assert (problems[0].where, problems[0].position, problems[0].seq, problems[0].kind) == (
        "segment 00000002",
        4,
        14,
        "edited",
    )


def test_an_edited_decision_row_is_caught(log_dir: Path) -> None:
    path = log_dir / "segments" / "00000001.decisions.parquet"
    table = pq.read_table(path)
    actions = table.column("action").to_pylist()
    row = actions.index("block")
    actions[row] = "allow"
    rewrite(
        path, table.set_column(table.schema.get_field_index("action"), "action", pa.array(actions))
    )
    problems = [p for p in verify(log_dir).problems if p.position is not None]
    assert len(problems) == 1
    assert problems[0].position == row
    assert "column 'action'" in problems[0].message


def test_a_removed_record_is_caught(log_dir: Path) -> None:
    path = requests_file(log_dir, 1)
    table = pq.read_table(path)
    rewrite(path, table.filter(pc.not_equal(table.column("seq"), 6)))
    kinds = {(p.kind, p.position, p.seq) for p in verify(log_dir).problems}
    assert ("removed", 6, 7) in kinds


def test_swapped_records_are_caught(log_dir: Path) -> None:
    path = requests_file(log_dir, 2)
    table = pq.read_table(path)
    order = list(range(table.num_rows))
    order[3], order[4] = order[4], order[3]
    rewrite(path, table.take(order))
    problems = [p for p in verify(log_dir).problems if p.position is not None]
    assert problems[0].position == 3
    assert problems[0].kind == "removed"  # seq 14 appears where 13 was due
    assert any(p.kind == "reordered" and p.position == 4 for p in problems)


def test_an_inserted_record_is_caught(log_dir: Path) -> None:
    path = requests_file(log_dir, 1)
    table = pq.read_table(path)
    rewrite(path, pa.concat_tables([table.slice(0, 5), table.slice(2, 1), table.slice(5)]))
    problems = [p for p in verify(log_dir).problems if p.position is not None]
    assert problems[0].position == 5
    assert problems[0].kind in {"reordered", "inserted"}


def test_a_removed_segment_is_caught(log_dir: Path) -> None:
    requests_file(log_dir, 1).unlink()
    report = verify(log_dir)
    assert [(p.where, p.kind) for p in report.problems] == [("segment 00000001", "missing")]


def test_an_edited_open_segment_is_caught(log_dir: Path) -> None:
    wal = next((log_dir / "wal").glob("*.wal"))
    data = bytearray(wal.read_bytes())
    data[200] ^= 0x01  # inside the first open record
    wal.write_bytes(bytes(data))
    report = verify(log_dir)
    assert [p.kind for p in report.problems] == ["edited"]
    assert report.problems[0].where == f"wal {wal.name}"
