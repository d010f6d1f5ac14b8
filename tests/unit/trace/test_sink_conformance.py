"""Every decision sink passes the public conformance suite."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from bastion.core import DecisionSink, MemoryDecisionSink
from bastion.testing import check_decision_sink
from bastion.trace import RedisStreamSink, StreamPersister, TraceConfig, TraceReader, TraceWriter
from tests.redis_server import RedisServer

KEY = "a-test-key-of-32-bytes-----------"


def test_memory_sink_conforms() -> None:
    check_decision_sink(
        MemoryDecisionSink,
        lambda sink: [r.request.request_id for r in sink.records],  # type: ignore[attr-defined]
    )


def stored_ids(directory: Path) -> list[str]:
    table = TraceReader(directory).query("SELECT request_id FROM requests ORDER BY seq")
    return table.column("request_id").to_pylist()


def test_trace_writer_conforms(tmp_path: Path) -> None:
    counter = itertools.count()
    folders: dict[int, Path] = {}

    def open_sink() -> DecisionSink:
        folder = tmp_path / f"log{next(counter)}"
        writer = TraceWriter(TraceConfig(directory=folder, hmac_key=KEY, on_full="block"))
        writer.start()
        folders[id(writer)] = folder
        return writer

    check_decision_sink(open_sink, lambda sink: stored_ids(folders[id(sink)]))


@pytest.mark.integration
def test_redis_stream_sink_conforms(redis_server: RedisServer, tmp_path: Path) -> None:
    counter = itertools.count()
    streams: dict[int, tuple[str, Path]] = {}

    def open_sink() -> DecisionSink:
        number = next(counter)
        stream = f"conformance:{number}"
        sink = RedisStreamSink(redis_server.url, hmac_key=KEY, stream=stream, on_full="block")
        sink.start()
        streams[id(sink)] = (stream, tmp_path / f"log{number}")
        return sink

    def read_back(sink: DecisionSink) -> Sequence[str]:
        stream, folder = streams[id(sink)]
        config = TraceConfig(directory=folder, hmac_key=KEY)
        with StreamPersister(redis_server.url, config, stream=stream) as persister:
            deadline = time.monotonic() + 20
            while persister.poll() or persister.backlog():
                assert time.monotonic() < deadline, "the persister did not drain the stream"
        return stored_ids(folder)

    check_decision_sink(open_sink, read_back)
