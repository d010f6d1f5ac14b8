"""The bounded queue in front of a background decision sink.

Both the embedded writer and the Redis Streams sink take records on the
guard's thread only by putting them on a deque under a condition; their
background threads take them off. This base holds that queue, its counters,
the declared ``on_full`` behaviour and ``flush``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence

from bastion.core import DecisionRecord
from bastion.trace._config import OnFull

logger = logging.getLogger(__name__)


class QueuedSink:
    """Queue, counters and ``append`` / ``flush`` of a background sink.

    Subclasses start ``_thread``, pop from ``_queue`` under ``_cond``, and add
    to ``_durable`` (acknowledged) or ``_lost`` (failed, counted) for every
    record they took, notifying ``_cond``.
    """

    _kind = "decision"

    def __init__(self, *, queue_size: int, on_full: OnFull) -> None:
        self.queue_size = queue_size
        self.on_full = on_full
        self._queue: deque[DecisionRecord] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False
        self._accepted = self._dropped = self._durable = self._lost = self._errors = 0
        self._healthy = True

    def append(self, records: Sequence[DecisionRecord]) -> None:
        """Queue *records*; never waits under ``on_full: drop``, never does I/O.

        Records appended before ``start`` or after ``close`` are counted as dropped.
        """
        with self._cond:
            if self._closing or self._thread is None:
                self._dropped += len(records)
                return
            room = self.queue_size - len(self._queue)
            if room < len(records) and self.on_full == "block":
                while room < len(records) and not self._closing:
                    self._cond.wait(0.1)
                    room = self.queue_size - len(self._queue)
            taken = records if room >= len(records) else records[: max(room, 0)]
            if len(taken) < len(records):
                if self._dropped == 0:
                    logger.warning("%s queue full; dropping records (on_full: drop)", self._kind)
                self._dropped += len(records) - len(taken)
            self._queue.extend(taken)
            self._accepted += len(taken)
            self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record accepted so far is acknowledged (or lost, counted).

        Returns:
            False when *timeout* passed first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._accepted
            self._flush_requested()
            self._cond.notify_all()
            while self._durable + self._lost < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(0.1 if remaining is None else min(remaining, 0.1))
        return True

    def _flush_requested(self) -> None:
        """Hook, called under ``_cond`` when ``flush`` starts waiting."""
