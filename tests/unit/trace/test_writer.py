"""The background writer: acknowledged means durable, full queues are counted, ids never leak."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.trace import Ack, TraceConfig, TraceReader, TraceWriter, verify

from .records import records

RECORDS = records(40)
KEY = "a-test-key-of-32-bytes-----------"


def config(directory: Path, **options: object) -> TraceConfig:
    return TraceConfig(directory=directory, hmac_key=KEY, **options)  # type: ignore[arg-type]


def test_every_record_is_acknowledged_once_durable_and_readable(tmp_path: Path) -> None:
    acks: list[Ack] = []
    with TraceWriter(config(tmp_path, fsync="always"), on_durable=acks.extend) as writer:
        for record in RECORDS:
            writer.append([record])
        assert writer.flush(timeout=30)
        stats = writer.stats()
        assert (stats.accepted, stats.durable, stats.dropped) == (40, 40, 0)
        assert [a.request_id for a in acks] == [r.request.request_id for r in RECORDS]
        assert [a.seq for a in acks] == list(range(40))
        reader = TraceReader(tmp_path)  # readable before the segment is sealed
        assert reader.record(RECORDS[7].request.request_id).seq == 7
    assert verify(tmp_path).ok
    count = TraceReader(tmp_path).query("SELECT count(*) AS n FROM decisions").column("n")[0]
    assert count.as_py() == 40 * 40


def test_interval_policy_acknowledges_after_the_sync(tmp_path: Path) -> None:
    with TraceWriter(config(tmp_path, fsync="interval", fsync_interval_s=0.05)) as writer:
        writer.append(RECORDS[:5])
        assert writer.flush(timeout=10)
        assert writer.stats().durable == 5


def test_a_full_queue_drops_and_counts(tmp_path: Path) -> None:
    writer = TraceWriter(config(tmp_path, queue_size=3, on_full="drop"))
    writer.start()
    with writer._cond:  # hold the writer thread away from the queue while we fill it
        writer.append(RECORDS[:10])
        stats = writer.stats()
    assert stats.accepted + stats.dropped == 10
    assert stats.dropped >= 7
    writer.close()
    assert writer.stats().durable == stats.accepted


def test_records_appended_after_close_are_counted_as_dropped(tmp_path: Path) -> None:
    writer = TraceWriter(config(tmp_path))
    writer.start()
    writer.close()
    writer.append(RECORDS[:2])
    assert writer.stats().dropped == 2


def test_raw_user_ids_never_reach_the_log(tmp_path: Path) -> None:
    with TraceWriter(config(tmp_path)) as writer:
        writer.append(RECORDS)
    everything = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert b"example.com" not in everything
    pseudonyms = TraceReader(tmp_path).query("SELECT DISTINCT user_hmac FROM requests")
    assert pseudonyms.num_rows == 7
    assert all(len(p) == 32 for p in pseudonyms.column("user_hmac").to_pylist())


def test_the_key_changes_the_pseudonym(tmp_path: Path) -> None:
    for name, key in (("a", KEY), ("b", KEY[::-1])):
        with TraceWriter(TraceConfig(directory=tmp_path / name, hmac_key=key)) as writer:
            writer.append(RECORDS[:1])
    first, second = (
        TraceReader(tmp_path / n).record(RECORDS[0].request.request_id).body.user_hmac for n in "ab"
    )
    assert first != second


def test_a_short_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="at least 16 bytes"):
        TraceWriter(TraceConfig(directory=tmp_path, hmac_key="short"))


def test_sealing_in_a_sealer_process(tmp_path: Path) -> None:
    with TraceWriter(config(tmp_path, segment_max_bytes=4096 * 4)) as writer:
        for start in range(0, 40, 10):
            writer.append(RECORDS[start : start + 10])
            assert writer.flush(timeout=30)
    segments = TraceReader(tmp_path).segments()
    assert len(segments) > 2
    assert writer.stats().segments == len(segments)
    assert verify(tmp_path).ok
