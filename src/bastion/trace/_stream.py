"""A decision sink for guard replicas: records go to a Redis stream, off the request path.

``append`` only queues records (bounded, with the ``on_full`` policy); one
background thread encodes each record as the log stores it (user id replaced
by its keyed HMAC) and adds the bodies to the stream in batches, one entry
per record, body in field ``b``. A ``StreamPersister`` moves them into the log.

Acknowledgement. A record is acknowledged (counted ``durable``, passed to
``on_durable`` as ``Ack(seq=-1, request_id)``: its log position is assigned
later, by the persister) once Redis has answered the batch that added it. How
durable that is depends on Redis persistence: with ``appendfsync always`` the
entry is on disk before the answer; with ``everysec`` up to a second of
acknowledged records can be lost with the Redis host; without persistence a
Redis restart loses them.

Exactly once into the stream. A Lua script adds each batch and records the
sink's batch number under ``<stream>:producer:<id>``, so a retry after an
answer lost on the way back adds nothing.

Bounded length. The persister deletes entries once they are logged, so the
stream holds only the backlog. The script refuses a batch that would take it
past ``maxlen`` rather than trimming (``XADD MAXLEN`` would delete
acknowledged records not yet persisted); refused records stay queued, so a
stalled persister fills the bounded queue and then ``on_full`` applies to
new, unacknowledged records (counted).

Failures. While Redis is unreachable or the backlog is full, records stay
queued, ``stats().healthy`` is False, each failed attempt counts in
``errors``, and the thread retries with back-off (50 ms to 1 s), so it
resumes soon after Redis returns.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

from bastion.core import DecisionRecord
from bastion.trace._body import build_body, encode_body
from bastion.trace._config import OnFull
from bastion.trace._errors import TraceError
from bastion.trace._pseudonym import Pseudonymiser
from bastion.trace._queued import QueuedSink
from bastion.trace._writer import Ack, WriterStats

if TYPE_CHECKING:
    from redis import Redis
    from redis.commands.core import Script

logger = logging.getLogger(__name__)

DEFAULT_STREAM = "bastion:decisions"
BODY_FIELD = b"b"
_BACKOFF_MIN_S = 0.05
_BACKOFF_MAX_S = 1.0
_YIELD_S = 0.0005  # hand the GIL to the guard's threads at least this often while encoding
_PRODUCER_TTL_S = 7 * 24 * 3600  # a retry after a week-long outage could duplicate a batch

# KEYS: stream, producer key. ARGV: batch number, maxlen, producer ttl, bodies...
# Returns the number of entries added, 0 for a batch already added, -1 when full.
_ADD_BATCH = """
local done = redis.call('GET', KEYS[2])
if done and tonumber(done) >= tonumber(ARGV[1]) then
  return 0
end
local count = #ARGV - 3
if redis.call('XLEN', KEYS[1]) + count > tonumber(ARGV[2]) then
  return -1
end
for i = 4, #ARGV do
  redis.call('XADD', KEYS[1], '*', 'b', ARGV[i])
end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
return count
"""


def connect(url: str, *, timeout_s: float) -> Redis:
    """A client for *url* that fails fast: retries are the caller's, with its back-off.

    Raises:
        ValueError: *url* is not a Redis URL.
    """
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=min(timeout_s, 2.0),
        retry=Retry(NoBackoff(), 0),
    )


class RedisStreamSink(QueuedSink):
    """A :class:`~bastion.core.DecisionSink` that adds records to a Redis stream.

    Args:
        url: The Redis server, e.g. ``redis://host:6379/0``.
        hmac_key: Key for user-id pseudonyms (the log's ``hmac_key``).
        stream: The stream's key.
        maxlen: Most entries the stream may hold (the not yet persisted
            backlog; at about 8 KB per 50-candidate record and 60 KB per 500,
            the default is 0.8 to 6 GB of Redis memory).
        queue_size: Records held in this process before ``on_full``.
        on_full: ``drop`` new records and count them (the guard never waits)
            or ``block`` the caller until there is room (a dead Redis then
            stalls the guard).
        batch_size: Most records per round trip.
        on_durable: Called from the sink's thread with each acknowledged batch.
        close_timeout_s: How long :meth:`close` keeps trying to deliver
            before it drops what is left (counted).
        socket_timeout_s: Timeout of one Redis call.

    Use as a context manager, or call :meth:`start` and :meth:`close`.
    """

    _kind = "decision stream"

    def __init__(
        self,
        url: str,
        *,
        hmac_key: str | bytes,
        stream: str = DEFAULT_STREAM,
        maxlen: int = 100_000,
        queue_size: int = 8192,
        on_full: OnFull = "drop",
        batch_size: int = 128,
        on_durable: Callable[[Sequence[Ack]], None] | None = None,
        close_timeout_s: float = 10.0,
        socket_timeout_s: float = 5.0,
    ) -> None:
        if maxlen < 1 or queue_size < 1 or batch_size < 1:
            raise TraceError("maxlen, queue_size and batch_size must be at least 1")
        super().__init__(queue_size=queue_size, on_full=on_full)
        self.url = url
        self.stream = stream
        self.maxlen = maxlen
        self.batch_size = min(batch_size, maxlen)
        self.on_durable = on_durable
        self.close_timeout_s = close_timeout_s
        self.socket_timeout_s = socket_timeout_s
        self._pseudonymiser = Pseudonymiser(hmac_key)
        self._client: Redis | None = None
        self._script: Script | None = None
        self._producer_key = ""
        self._batch_number = 0
        self._close_deadline = 0.0
        self._in_flight = 0

    # -- DecisionSink ----------------------------------------------------------------

    def close(self) -> None:
        """Deliver what is queued (for up to ``close_timeout_s``) and stop."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._close_deadline = time.monotonic() + self.close_timeout_s
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
        if self._client is not None:
            self._client.close()

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start the sender thread (Redis may still be down; records then wait).

        Raises:
            TraceError: The sink is already started.
            ValueError: The URL is not a Redis URL.
        """
        if self._thread is not None:
            raise TraceError("the stream sink is already started")
        self._client = connect(self.url, timeout_s=self.socket_timeout_s)
        self._script = self._client.register_script(_ADD_BATCH)
        self._producer_key = f"{self.stream}:producer:{uuid.uuid4().hex}"
        self._thread = threading.Thread(target=self._run, name="bastion-trace-stream", daemon=True)
        self._thread.start()

    def __enter__(self) -> RedisStreamSink:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def stats(self) -> WriterStats:
        """Current counters; ``written`` equals ``durable`` (an added entry is acknowledged)."""
        with self._cond:
            return WriterStats(
                queue_depth=len(self._queue) + self._in_flight,
                queue_capacity=self.queue_size,
                accepted=self._accepted,
                dropped=self._dropped,
                written=self._durable,
                durable=self._durable,
                errors=self._errors,
                segments=0,
                healthy=self._healthy,
            )

    # -- sender thread ---------------------------------------------------------------

    def _run(self) -> None:
        batch: list[tuple[str, bytes]] = []
        backoff = _BACKOFF_MIN_S
        while True:
            if not batch:
                records = self._take()
                if records is None:
                    return
                batch = self._encode(records)
                continue
            if self._closing and time.monotonic() >= self._close_deadline:
                self._abandon(len(batch))
                return
            failure = self._send(batch)
            if failure is None:
                backoff = _BACKOFF_MIN_S
                self._acknowledge(batch)
                batch = []
                continue
            self._fail(failure)
            time.sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX_S)

    def _take(self) -> list[DecisionRecord] | None:
        with self._cond:
            while not self._queue and not self._closing:
                self._cond.wait()
            if not self._queue:
                return None
            count = min(self.batch_size, len(self._queue))
            records = [self._queue.popleft() for _ in range(count)]
            self._in_flight = count
            self._cond.notify_all()
            return records

    def _encode(self, records: list[DecisionRecord]) -> list[tuple[str, bytes]]:
        batch: list[tuple[str, bytes]] = []
        yielded = time.perf_counter()
        for record in records:
            request_id = record.request.request_id
            try:
                batch.append((request_id, encode_body(build_body(record, self._pseudonymiser))))
            except Exception:
                logger.exception("cannot encode decision record %s", request_id)
                with self._cond:
                    self._errors += 1
                    self._lost += 1
                    self._in_flight -= 1
                    self._cond.notify_all()
            if time.perf_counter() - yielded >= _YIELD_S:
                time.sleep(0)  # a yield per record would halve throughput on a busy host
                yielded = time.perf_counter()
        return batch

    def _send(self, batch: list[tuple[str, bytes]]) -> str | None:
        """Add *batch* once; the reason it was not added, or None."""
        from redis import RedisError

        assert self._script is not None
        try:
            added = self._script(
                keys=[self.stream, self._producer_key],
                args=[self._batch_number, self.maxlen, _PRODUCER_TTL_S, *(b for _, b in batch)],
            )
        except RedisError as error:
            return f"Redis call failed ({type(error).__name__}: {error})"
        if cast(int, added) < 0:
            return f"stream {self.stream} holds its maxlen of {self.maxlen} unpersisted entries"
        if cast(int, added) == 0:
            logger.info("batch %d was added before its answer was lost", self._batch_number)
        self._batch_number += 1
        return None

    def _fail(self, reason: str) -> None:
        with self._cond:
            self._errors += 1
            was_healthy, self._healthy = self._healthy, False
        if was_healthy:
            logger.warning("decision stream: %s; records stay queued, retrying", reason)
        else:
            logger.debug("decision stream: %s", reason)

    def _acknowledge(self, batch: list[tuple[str, bytes]]) -> None:
        with self._cond:
            self._durable += len(batch)
            self._in_flight = 0
            if not self._healthy:
                logger.info("decision stream: Redis accepts records again")
            self._healthy = True
            self._cond.notify_all()
        if self.on_durable is not None:
            try:
                self.on_durable([Ack(-1, request_id) for request_id, _ in batch])
            except Exception:
                logger.exception("on_durable callback failed")

    def _abandon(self, in_flight: int) -> None:
        with self._cond:
            count = in_flight + len(self._queue)
            self._queue.clear()
            self._in_flight = 0
            self._dropped += count
            self._lost += count
            self._cond.notify_all()
        logger.error(
            "decision stream closed after %.1f s with %d records not delivered (dropped)",
            self.close_timeout_s,
            count,
        )
