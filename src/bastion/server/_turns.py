"""Requests take turns at the guard, one event-loop iteration apart, first come first served.

Under saturation an event loop reads every socket that has data, runs all
the requests it read, and only then reads again. The client whose answer
went out last in such a batch sends its next request just after the loop
looked, so that request also waits for the whole next batch: with eight
busy connections one connection in each batch waited about twice as long
as the others (``benchmarks/serve_latency.py`` at concurrency 8: p90 about
twice p50; a log of one run's requests showed a connection seeing up to 13
others served between two of its own, where first come, first served gives 7).

A turn ends one loop iteration after the request's work is done, and the
loop reads its sockets between iterations, so every request that arrived
meanwhile is queued before the next turn starts; :class:`asyncio.Lock`
wakes its waiters in the order they came.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Turns:
    """First-come, first-served turns for work that holds the event loop.

    One instance serves one event loop at a time (a new loop, as in tests that
    start the app more than once, gets a fresh lock).
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for this caller's turn; the next turn starts an iteration after it ends."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._lock = loop, asyncio.Lock()
        lock = self._lock
        await lock.acquire()
        try:
            yield
        finally:
            loop.call_soon(lock.release)
