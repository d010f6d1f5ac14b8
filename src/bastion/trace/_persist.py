"""The consumer group that moves a decision stream into the decision log.

Each poll reads a batch with ``XREADGROUP``, decodes each body (an entry that
is not a valid record goes to ``<stream>:rejected``, counted, so it can
neither corrupt the log nor block the group), appends the bodies to a
:class:`~bastion.trace.DecisionLog` (which chains them and assigns their
sequence numbers: the directory is the same log a ``TraceWriter`` writes),
syncs, and only then acknowledges and deletes the entries (``XACK`` and
``XDEL`` in one ``MULTI``). Segments are sealed here when due. Run one
persister per stream; the log's lock refuses a second one per directory.

Exactly once across crashes. An entry leaves the pending list only after its
record is durable, so a crash loses nothing: the entry is delivered again. A
crash after the sync but before ``XACK`` would log it twice, so redelivered
entries (reread with id ``0`` after a start or a Redis failure) are checked
against the open segment: a body that is byte for byte a record there is
acknowledged without being appended again. The check is complete because the
persister seals only when every appended record is acknowledged and the
redelivered entries are settled (and otherwise closes without sealing), so a
logged but unacknowledged record is always in the open segment. Bodies carry
the request id and timestamp and the sink adds each batch once, so equal
bodies are the same record.

Failures. A Redis error makes :meth:`StreamPersister.poll` raise; ``run``
counts it, marks the persister unhealthy and retries with back-off (50 ms to
1 s). A log write error ends ``run`` with the exception: close the persister
and start it again (opening the log repairs a torn tail, and every record not
acknowledged is delivered again).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

import msgspec

from bastion.trace._body import decode_body
from bastion.trace._config import TraceConfig
from bastion.trace._errors import TraceError
from bastion.trace._log import DecisionLog, Recovery
from bastion.trace._stream import BODY_FIELD, DEFAULT_STREAM, connect

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

DEFAULT_GROUP = "bastion-persist"
_BACKOFF_MIN_S, _BACKOFF_MAX_S = 0.05, 1.0
_REJECTED_MAXLEN = 10_000

Entry = tuple[bytes, dict[bytes, bytes] | None]


@dataclass(frozen=True, slots=True)
class PersisterStats:
    """Counters of a :class:`StreamPersister` (monotonic except ``healthy``).

    Attributes:
        read: Entries delivered, redeliveries included.
        persisted: Records appended to the log and synced.
        duplicates: Redelivered entries already in the log (not appended again).
        acknowledged: Entries acknowledged and deleted from the stream.
        missing: Pending entries whose data was gone (deleted or trimmed by
            something else).
        rejected: Entries that are not valid records, moved to ``<stream>:rejected``.
        errors: Failed polls and seals; see the log for each.
        segments: Segments sealed into Parquet since start.
        healthy: False while the last poll failed.
    """

    read: int = 0
    persisted: int = 0
    duplicates: int = 0
    acknowledged: int = 0
    missing: int = 0
    rejected: int = 0
    errors: int = 0
    segments: int = 0
    healthy: bool = True


class StreamPersister:
    """Persists a decision stream into a decision log, acknowledging only what is durable.

    Args:
        url: The Redis server.
        config: The log's directory, fsync policy (under ``never`` entries are
            acknowledged once the OS holds the records, before they are synced)
            and segment limits.
        stream: The stream's key.
        group: The consumer group (created at id ``0`` if absent).
        consumer: This consumer's name; keep it stable across restarts: its
            pending entries are the ones a restart rereads.
        batch_size: Most entries per poll (one log write and one sync).
        block_s: How long a poll in :meth:`run` waits for new entries.
        socket_timeout_s: Timeout of one Redis call (above *block_s*).
    """

    def __init__(
        self,
        url: str,
        config: TraceConfig,
        *,
        stream: str = DEFAULT_STREAM,
        group: str = DEFAULT_GROUP,
        consumer: str = "persister",
        batch_size: int = 256,
        block_s: float = 1.0,
        socket_timeout_s: float = 10.0,
    ) -> None:
        if batch_size < 1 or not 0 <= block_s < socket_timeout_s:
            raise TraceError("batch_size must be positive and block_s below socket_timeout_s")
        self.url = url
        self.config = config
        self.stream = stream
        self.rejected_stream = f"{stream}:rejected"
        self.group = group
        self.consumer = consumer
        self.batch_size = batch_size
        self.block_s = block_s
        self.socket_timeout_s = socket_timeout_s
        self._log: DecisionLog | None = None
        self._client: Redis | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._stats = PersisterStats()
        self._group_ready = False
        self._redelivery = True  # reread pending entries before new ones
        self._to_ack: list[bytes] = []  # durable in the log (or set aside), XACK outstanding
        self._to_reject: list[tuple[bytes, bytes]] = []  # (entry id, body) to set aside
        self._in_doubt = False  # a log write failed: the log's tail is unknown

    def start(self) -> Recovery:
        """Open (and repair) the log and make a client; Redis may still be down.

        Returns:
            What opening the log found.

        Raises:
            TraceError: Already started, or another writer holds the log.
        """
        if self._log is not None:
            raise TraceError("the stream persister is already started")
        self._client = connect(self.url, timeout_s=self.socket_timeout_s)
        self._log = DecisionLog(
            self.config.directory,
            fsync="never" if self.config.fsync == "never" else "interval",
            segment_max_bytes=self.config.segment_max_bytes,
            segment_max_age_s=self.config.segment_max_age_s,
        )
        return self._log.recovery

    def __enter__(self) -> StreamPersister:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def poll(self, block_s: float = 0.0) -> int:
        """Persist one batch (redelivered entries first), then seal the segment if due.

        Args:
            block_s: How long to wait for new entries (0: do not wait).

        Returns:
            Records appended to the log.

        Raises:
            redis.RedisError: Redis failed; poll again (pending entries are reread).
            OSError: Writing the log failed; close and start again.
        """
        from redis import RedisError, ResponseError

        if self._log is None or self._client is None:
            raise TraceError("the stream persister is not started")
        if self._in_doubt:
            raise TraceError("a log write failed; close the persister and start it again")
        try:
            self._acknowledge()
            if not self._group_ready:
                try:
                    self._client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
                except ResponseError as error:
                    if not str(error).startswith("BUSYGROUP"):
                        raise
                self._group_ready = True
            redelivered = self._redelivery
            if redelivered:
                entries = self._read("0", None)
                self._redelivery = bool(entries)  # until no pending entry is left
            else:
                entries = self._read(">", round(block_s * 1000) or None)
            appended = self._persist(entries, redelivered=redelivered)
        except RedisError as error:
            self._redelivery = True
            if str(error).startswith("NOGROUP"):
                self._group_ready = False
            if self._stats.healthy:
                logger.warning("stream persister: Redis failed (%s); retrying", error)
            self._count(errors=1, healthy=False)
            raise
        if not self._stats.healthy:
            logger.info("stream persister: Redis answers again")
            self._count(healthy=True)
        self._seal_if_due()
        return appended

    def run(self, stop: threading.Event | None = None) -> None:
        """Poll until :meth:`stop` is called or *stop* is set; Redis errors are retried."""
        from redis import RedisError

        if self._log is None:
            self.start()
        backoff = _BACKOFF_MIN_S
        while not self._stop.is_set() and not (stop is not None and stop.is_set()):
            try:
                self.poll(self.block_s)
                backoff = _BACKOFF_MIN_S
            except RedisError:
                self._stop.wait(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)

    def stop(self) -> None:
        """Make :meth:`run` return (after the poll in progress)."""
        self._stop.set()

    def backlog(self) -> int:
        """Entries in the stream not yet persisted (pending ones included)."""
        if self._client is None:
            raise TraceError("the stream persister is not started")
        return self._client.xlen(self.stream)

    def stats(self) -> PersisterStats:
        """Current counters."""
        return self._stats

    def close(self) -> None:
        """Acknowledge what is durable, seal the open segment when safe, release the log.

        The segment stays open when a logged record may still be pending in
        Redis, so that the next start finds it there.
        """
        from redis import RedisError

        if self._log is None:
            return
        settled = False
        if not self._in_doubt:
            try:
                self._acknowledge()
                settled = not self._redelivery
            except RedisError as error:
                logger.warning("stream persister: cannot acknowledge at close (%s)", error)
        try:
            self._log.close(seal=settled)
        finally:
            self._log = None
            if self._client is not None:
                self._client.close()

    # -- internals -------------------------------------------------------------------

    def _read(self, after: str, block: int | None) -> list[Entry]:
        assert self._client is not None
        response = self._client.xreadgroup(
            self.group, self.consumer, {self.stream: after}, count=self.batch_size, block=block
        )
        streams = cast(list[tuple[bytes, list[Entry]]], response or [])
        entries = [entry for _, found in streams for entry in found]
        self._count(read=len(entries))
        return entries

    def _persist(self, entries: Sequence[Entry], *, redelivered: bool) -> int:
        assert self._log is not None
        if not entries:
            return 0
        bodies, self._to_reject = self._sort(entries)
        fresh = bodies
        if redelivered:
            logged = {frame.body for frame in self._log.pending_frames()}
            fresh = [body for body in bodies if body not in logged]
            if len(fresh) < len(bodies):
                logger.info("%d redelivered entries were logged already", len(bodies) - len(fresh))
        if fresh:
            self._in_doubt = True
            self._log.append(fresh)
            self._log.sync()
            self._in_doubt = False
        self._to_ack = [entry_id for entry_id, _ in entries]
        self._count(
            persisted=len(fresh),
            duplicates=len(bodies) - len(fresh),
            missing=len(entries) - len(bodies) - len(self._to_reject),
            rejected=len(self._to_reject),
        )
        self._acknowledge()
        return len(fresh)

    def _sort(self, entries: Sequence[Entry]) -> tuple[list[bytes], list[tuple[bytes, bytes]]]:
        """Bodies that are valid records, and the (id, body) of those that are not."""
        bodies: list[bytes] = []
        rejected: list[tuple[bytes, bytes]] = []
        for entry_id, fields in entries:
            if not fields:
                logger.error("%s entry %s has no data (deleted or trimmed)", self.stream, entry_id)
                continue
            body = fields.get(BODY_FIELD, b"")
            try:
                decode_body(body)
            except msgspec.DecodeError as error:
                logger.error("%s entry %s is not a record: %s", self.stream, entry_id, error)
                rejected.append((entry_id, body))
                continue
            bodies.append(body)
        return bodies, rejected

    def _acknowledge(self) -> None:
        if not self._to_ack:
            return
        assert self._client is not None
        pipe = self._client.pipeline(transaction=True)
        for entry_id, body in self._to_reject:
            fields = {b"id": entry_id, BODY_FIELD: body}
            pipe.xadd(self.rejected_stream, fields, maxlen=_REJECTED_MAXLEN, approximate=True)  # type: ignore[arg-type]
        pipe.xack(self.stream, self.group, *self._to_ack)
        pipe.xdel(self.stream, *self._to_ack)
        pipe.execute()
        self._count(acknowledged=len(self._to_ack))
        self._to_ack, self._to_reject = [], []

    def _seal_if_due(self) -> None:
        log = self._log
        if log is None or self._to_ack or self._redelivery or self._in_doubt or not log.due():
            return
        try:
            sealed = log.seal()
        except (OSError, TraceError):
            logger.exception("sealing a segment failed (its write-ahead file is kept)")
            self._count(errors=1)
            return
        self._count(segments=int(sealed is not None))

    def _count(self, *, healthy: bool | None = None, **increments: int) -> None:
        """Add *increments* to the counters (and set ``healthy``) in a new snapshot."""
        with self._lock:
            stats = self._stats
            new = {name: getattr(stats, name) + value for name, value in increments.items()}
            if healthy is not None:
                new["healthy"] = healthy
            self._stats = replace(stats, **new)
