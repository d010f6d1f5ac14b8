"""The guard's decision sink: a bounded queue and one background writer thread.

``append`` only puts records on the queue (a lock, a deque extend, a notify);
the writer thread encodes them, chains and writes them to the open segment,
syncs under the fsync policy, and only then counts them durable and calls
``on_durable``. Sealing a full segment into Parquet runs in a separate sealer
process, so its work competes with the guard for neither the GIL nor the
writer thread, and at a lower CPU priority (nice 10), so it takes no core
from the guard either. When the queue is full the configured ``on_full``
applies: ``drop`` (counted in ``stats().dropped`` and logged) or ``block``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from bastion.core import DecisionRecord
from bastion.trace._body import build_body, encode_body
from bastion.trace._config import TraceConfig
from bastion.trace._errors import TraceError
from bastion.trace._log import DecisionLog, Recovery, seal_wal
from bastion.trace._pseudonym import Pseudonymiser
from bastion.trace._queued import QueuedSink

logger = logging.getLogger(__name__)

_BATCH = 64
_SEALER_NICE = 10
# Encoding holds the GIL (about 40 us per 500-candidate record whose candidates
# are columns, as the guard hands them over); hashing and writing release it.
# While the writer keeps up (its batch empties the queue) it encodes, hashes and
# writes one record at a time, so a guard thread that wants the GIL waits for
# at most one record's encoding: the hash that follows releases the GIL while
# it runs, which hands it over (time.sleep(0) does not: the yielding thread
# takes the GIL back before a waiting one wakes, and that one then waits out
# the switch interval, 5 ms). Behind a saturated guard it encodes a batch,
# yielding every 0.5 ms: after each yield a busy thread keeps the GIL for a
# whole switch interval, and beside a thread that never releases it a yield
# per record let the writer encode only 110-130 records/s on a loaded two-core
# host, a yield per 0.5 ms 190-300 (the same slice as RedisStreamSink's).
_YIELD_S = 0.0005


@dataclass(frozen=True, slots=True)
class Ack:
    """A record that is durable: its position in the log and its request."""

    seq: int
    request_id: str


@dataclass(frozen=True, slots=True)
class WriterStats:
    """Counters of a :class:`TraceWriter` (monotonic except ``queue_depth``).

    Attributes:
        queue_depth: Records waiting to be written.
        queue_capacity: The queue's bound.
        accepted: Records taken by ``append``.
        dropped: Records refused because the queue was full (``on_full: drop``)
            or the writer was closed.
        written: Records written to the open segment.
        durable: Records synced under the fsync policy (acknowledged).
        errors: Failures (encoding, disk); see the log for each.
        segments: Segments sealed into Parquet since start.
        healthy: False while the last write failed.
    """

    queue_depth: int
    queue_capacity: int
    accepted: int
    dropped: int
    written: int
    durable: int
    errors: int
    segments: int
    healthy: bool


class TraceWriter(QueuedSink):
    """A :class:`~bastion.core.DecisionSink` that writes the decision log.

    Args:
        config: Where and how to write.
        on_durable: Called from the writer thread with each batch of records
            once they are durable.
        seal_in_process: Seal segments in the writer thread instead of a
            sealer process (simpler; the guard then shares the GIL with it).

    Use as a context manager, or call :meth:`start` and :meth:`close`.
    """

    _kind = "decision log"

    def __init__(
        self,
        config: TraceConfig,
        *,
        on_durable: Callable[[Sequence[Ack]], None] | None = None,
        seal_in_process: bool = False,
    ) -> None:
        self.config = config
        self.on_durable = on_durable
        self.seal_in_process = seal_in_process
        super().__init__(queue_size=config.queue_size, on_full=config.on_full)
        self._pseudonymiser = Pseudonymiser(config.hmac_key.get_secret_value())
        self._log: DecisionLog | None = None
        self._sealer: ProcessPoolExecutor | None = None
        self._sealing: list[Future[object]] = []
        self._written = self._segments = 0
        self._force_sync = False

    # -- DecisionSink ----------------------------------------------------------------

    def close(self) -> None:
        """Write everything queued, seal the open segment and stop."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
        for future in self._sealing:
            future.exception()  # wait for it
            self._finished(future)
        self._sealing = []
        if self._sealer is not None:
            self._sealer.shutdown()
        if self._log is not None:
            open_records = self._log.open_records
            self._log.close(seal=True)
            if open_records:
                self._count(segments=1)

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> Recovery:
        """Open (and repair) the log and start the writer thread.

        Returns:
            What opening the log found (records recovered, torn bytes cut).
        """
        if self._thread is not None:
            raise TraceError("the trace writer is already started")
        self._log = DecisionLog(
            self.config.directory,
            fsync=self.config.fsync,
            segment_max_bytes=self.config.segment_max_bytes,
            segment_max_age_s=self.config.segment_max_age_s,
        )
        self._thread = threading.Thread(target=self._run, name="bastion-trace-writer", daemon=True)
        self._thread.start()
        return self._log.recovery

    def __enter__(self) -> TraceWriter:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _flush_requested(self) -> None:
        self._force_sync = True

    def stats(self) -> WriterStats:
        """Current counters."""
        with self._cond:
            return WriterStats(
                queue_depth=len(self._queue),
                queue_capacity=self.config.queue_size,
                accepted=self._accepted,
                dropped=self._dropped,
                written=self._written,
                durable=self._durable,
                errors=self._errors,
                segments=self._segments,
                healthy=self._healthy,
            )

    # -- writer thread ---------------------------------------------------------------

    def _run(self) -> None:
        assert self._log is not None
        log = self._log
        last_sync = time.monotonic()
        unsynced: list[Ack] = []
        while True:
            with self._cond:
                if not self._queue and not self._closing and not self._force_sync:
                    wait = self.config.fsync_interval_s if unsynced else 0.5
                    self._cond.wait(wait)
                batch = [self._queue.popleft() for _ in range(min(_BATCH, len(self._queue)))]
                closing = self._closing and not self._queue
                force = self._force_sync
                self._force_sync = False
                if batch:
                    self._cond.notify_all()
            if batch:
                unsynced.extend(self._write(log, batch))
            now = time.monotonic()
            if unsynced and (
                log.fsync != "interval"
                or force
                or closing
                or now - last_sync >= self.config.fsync_interval_s
            ):
                log.sync()
                last_sync = now
                self._acknowledge(unsynced)
                unsynced = []
            if log.due():
                self._seal(log)
            if closing:
                return

    def _write(self, log: DecisionLog, batch: list[DecisionRecord]) -> list[Ack]:
        if len(batch) < _BATCH:  # keeping up: one record at a time
            return [ack for record in batch for ack in self._write_batch(log, [record])]
        return self._write_batch(log, batch, slice_s=_YIELD_S)

    def _write_batch(
        self, log: DecisionLog, batch: list[DecisionRecord], *, slice_s: float | None = None
    ) -> list[Ack]:
        """Encode *batch* and append it to *log*; with *slice_s*, yield the GIL that often."""
        bodies: list[bytes] = []
        ids: list[str] = []
        yielded = time.perf_counter()
        for record in batch:
            try:
                bodies.append(encode_body(build_body(record, self._pseudonymiser)))
                ids.append(record.request.request_id)
            except Exception:
                logger.exception("cannot encode decision record %s", record.request.request_id)
                self._count(errors=1, lost=1)
            if slice_s is not None and time.perf_counter() - yielded >= slice_s:
                time.sleep(0)  # let the guard's threads take the GIL
                yielded = time.perf_counter()
        while True:
            try:
                frames = log.append(bodies)
                break
            except OSError:
                logger.exception("decision log write failed; retrying")
                self._count(errors=1)
                self._set_healthy(False)
                time.sleep(0.5)
        self._set_healthy(True)
        with self._cond:
            self._written += len(frames)
        return [Ack(f.seq, request_id) for f, request_id in zip(frames, ids, strict=True)]

    def _acknowledge(self, acks: list[Ack]) -> None:
        with self._cond:
            self._durable += len(acks)
            self._cond.notify_all()
        if self.on_durable is not None:
            try:
                self.on_durable(acks)
            except Exception:
                logger.exception("on_durable callback failed")

    def _seal(self, log: DecisionLog) -> None:
        self._sealing = [f for f in self._sealing if not self._finished(f)]
        if self.seal_in_process:
            log.seal()
            self._count(segments=1)
            return
        path = log.rotate()
        if path is None:
            return
        if self._sealer is None:
            self._sealer = ProcessPoolExecutor(
                max_workers=1,
                mp_context=get_context("spawn"),
                initializer=_sealer_start,
                initargs=(os.getpid(),),
            )
        future: Future[object] = self._sealer.submit(seal_wal, Path(log.directory), path)
        self._sealing.append(future)

    def _finished(self, future: Future[object]) -> bool:
        if not future.done():
            return False
        error = future.exception()
        if error is not None:
            logger.error("sealing a segment failed: %s (its write-ahead file is kept)", error)
            self._count(errors=1)
        else:
            self._count(segments=1)
        return True

    def _count(self, *, errors: int = 0, lost: int = 0, segments: int = 0) -> None:
        with self._cond:
            self._errors += errors
            self._lost += lost
            self._segments += segments
            self._cond.notify_all()

    def _set_healthy(self, healthy: bool) -> None:
        with self._cond:
            self._healthy = healthy


def _sealer_start(parent: int) -> None:
    """Start of the sealer process: lower its priority, and exit with its parent.

    A writer killed with ``kill -9`` cannot shut its sealer down; the sealer
    notices that its parent is gone within a second and exits. A seal it was
    in the middle of is redone when the log is next opened.
    """
    _background_priority()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _background_priority() -> None:
    """Lower the sealer process's CPU priority.

    Sealing is background work: about 1 ms of CPU per 500-candidate record,
    in bursts of a whole segment. At normal priority it takes a core from
    the guard whenever the writer is hashing at the same time; at nice 10 the
    scheduler runs the guard first and the sealer catches up in idle time.
    """
    try:
        os.nice(_SEALER_NICE)
    except OSError:  # not permitted here; sealing works all the same
        logger.debug("cannot lower the sealer's priority", exc_info=True)
