"""Crashes on the streaming path: Redis killed mid-stream, the persister killed mid-batch."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from bastion.trace import Ack, RedisStreamSink, StreamPersister, TraceReader, verify
from tests.redis_server import RedisServer
from tests.unit.trace.test_stream import (
    KEY,
    STREAM,
    client,
    config_for,
    drain,
    ids_of,
    logged_ids,
    records,
    wait_until,
)

pytestmark = pytest.mark.integration

SEGMENT_BYTES = 256 * 1024

# A persister in its own process. With "crash-before-ack" it kills itself (SIGKILL) at
# its first acknowledgement of appended records: after the log's fsync, before XACK.
CHILD = """
import os, signal, sys
from pathlib import Path
from bastion.trace import StreamPersister, TraceConfig

url, directory, mode, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


class CrashBeforeAck(StreamPersister):
    def _acknowledge(self):
        if self._to_ack and mode == "crash-before-ack":
            os.kill(os.getpid(), signal.SIGKILL)
        super()._acknowledge()


segment = int(sys.argv[6])
config = TraceConfig(directory=Path(directory), hmac_key=sys.argv[5], segment_max_bytes=segment)
CrashBeforeAck(url, config, batch_size=batch).run()
"""


def start_child(
    tmp_path: Path, server: RedisServer, mode: str, batch: int
) -> subprocess.Popen[bytes]:
    script = tmp_path / "persister_child.py"
    script.write_text(CHILD)
    command = [
        sys.executable,
        str(script),
        server.url,
        str(tmp_path / "log"),
        mode,
        str(batch),
        KEY,
    ]
    command.append(str(SEGMENT_BYTES))
    with (tmp_path / "child.log").open("ab") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)


def fill(server: RedisServer, count: int) -> list[str]:
    batch = records(count)
    with RedisStreamSink(server.url, hmac_key=KEY) as sink:
        sink.append(batch)
        assert sink.flush(20)
        assert sink.stats().durable == count
    return ids_of(batch)


def test_redis_killed_mid_stream_loses_no_acknowledged_record(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    directory = tmp_path / "log"
    acked: list[str] = []
    ack_lock = threading.Lock()

    def on_durable(acks: Sequence[Ack]) -> None:
        with ack_lock:
            acked.extend(ack.request_id for ack in acks)

    def acked_count() -> int:
        with ack_lock:
            return len(acked)

    pool = records(4000)
    sink = RedisStreamSink(redis_server.url, hmac_key=KEY, on_durable=on_durable)
    persister = StreamPersister(
        redis_server.url, config_for(directory, segment_max_bytes=SEGMENT_BYTES), block_s=0.2
    )
    stop = threading.Event()
    sent: list[str] = []

    def produce() -> None:
        for record in pool:
            if stop.is_set():
                return
            sink.append([record])
            sent.append(record.request.request_id)
            time.sleep(0.001)

    sink.start()
    persister.start()
    threads = [threading.Thread(target=produce), threading.Thread(target=persister.run)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: acked_count() >= 200, what="records to flow")
        redis_server.kill()
        wait_until(lambda: not sink.stats().healthy, what="the sink to notice the crash")
        at_crash = acked_count()
        time.sleep(0.3)
        assert acked_count() == at_crash  # nothing is acknowledged while Redis is down
        assert sink.stats().queue_depth > 0  # records wait in the sink meanwhile
        redis_server.start()
        wait_until(lambda: sink.stats().healthy, what="the sink to resume")
        wait_until(lambda: acked_count() >= at_crash + 200, what="records to flow again")
    finally:
        stop.set()
        threads[0].join()
    assert sink.flush(10)
    sink.close()
    wait_until(lambda: persister.backlog() == 0, timeout=20, what="the persister to catch up")
    persister.stop()
    threads[1].join()
    persister.close()

    sink_stats, persister_stats = sink.stats(), persister.stats()
    assert sink_stats.errors >= 1 and sink_stats.healthy
    assert persister_stats.errors >= 1 and persister_stats.healthy
    assert sink_stats.dropped == 0
    assert acked == sent  # every record appended was acknowledged, in order
    assert logged_ids(directory) == acked  # ... and persisted exactly once, in order
    report = verify(directory)
    assert report.ok, report.problems
    assert report.records == len(acked) and report.segments >= 2


def test_persister_killed_between_sync_and_ack_logs_each_record_once(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    wanted = fill(redis_server, 200)
    child = start_child(tmp_path, redis_server, "crash-before-ack", batch=64)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL, (tmp_path / "child.log").read_text()

    redis = client(redis_server)
    assert redis.xpending(STREAM, "bastion-persist")["pending"] == 64
    assert [f.seq for f in TraceReader(tmp_path / "log").open_frames()] == list(range(64))

    config = config_for(tmp_path / "log", segment_max_bytes=SEGMENT_BYTES)
    with StreamPersister(redis_server.url, config, batch_size=64) as persister:
        drain(persister)
        stats = persister.stats()
    assert (stats.duplicates, stats.persisted, stats.acknowledged) == (64, 136, 200)
    assert redis.xpending(STREAM, "bastion-persist")["pending"] == 0
    assert redis.xlen(STREAM) == 0
    assert logged_ids(tmp_path / "log") == wanted
    report = verify(tmp_path / "log")
    assert report.ok, report.problems


def test_persister_killed_at_random_points_logs_each_record_once(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    wanted = fill(redis_server, 2000)
    redis = client(redis_server)
    rng = random.Random(7)
    for _ in range(3):
        before = redis.xlen(STREAM)
        child = start_child(tmp_path, redis_server, "run", batch=16)
        wait_until(lambda: redis.xlen(STREAM) < before, timeout=30, what="the child to persist")  # noqa: B023
        time.sleep(rng.uniform(0.0, 0.15))
        child.kill()
        child.wait(10)
        assert child.returncode == -signal.SIGKILL
        assert redis.xlen(STREAM) > 0, "the child finished before it was killed"

    config = config_for(tmp_path / "log", segment_max_bytes=SEGMENT_BYTES)
    with StreamPersister(redis_server.url, config, batch_size=64) as persister:
        drain(persister)
    assert logged_ids(tmp_path / "log") == wanted
    report = verify(tmp_path / "log")
    assert report.ok, report.problems
    assert report.segments >= 2
