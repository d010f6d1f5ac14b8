"""Redis connections for the stores: short timeouts, no hidden retries, and an outage record.

``redis`` is imported here, inside functions, and only when a store first
connects: importing it costs ~250 ms, which ``import bastion.stores`` should
not pay when no Redis store is used.

A client made by :func:`connect` fails fast: its socket timeouts are the
store's, and redis-py's own retries (3, with exponential back-off, by default)
are off, so a dead server costs one refused connection and a hung one one
timeout. :class:`Outage` then keeps callers off the server for a back-off.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from bastion.core import Clock

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)


def connect(url: str, *, timeout: float, name: str) -> Redis:
    """A client for *url* whose every call fails within about *timeout* seconds."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        # Python strings may hold lone surrogates (a dict key can); pass them through.
        encoding_errors="surrogatepass",
        client_name=name,
    )


def redis_errors() -> tuple[type[Exception], ...]:
    """The exceptions that mean Redis did not answer (or answered with an error)."""
    import redis

    return (redis.RedisError, OSError)


def safe_url(url: str) -> str:
    """*url* without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class Outage:
    """Whether a Redis server answers; after a failure, callers leave it alone for a while.

    Args:
        what: Names the user in log lines, for example ``signal store``.
        url: The server (logged without its password).
        clock: Monotonic time for the back-off.
        retry_after: Seconds to leave the server alone after a failure.
    """

    def __init__(self, what: str, url: str, clock: Clock, retry_after: float) -> None:
        self.what = what
        self.url = safe_url(url)
        self.clock = clock
        self.retry_after = retry_after
        self.failing = False
        self.failures = 0
        self.degraded = 0
        self.last_error: str | None = None
        self._retry_at = 0.0

    def waiting(self) -> bool:
        """Whether the server failed less than ``retry_after`` seconds ago."""
        return self.failing and self.clock.monotonic() < self._retry_at

    def skip(self) -> bool:
        """Whether a caller should leave the server alone now.

        After the back-off one caller is let through to try again; the others
        keep skipping until it has failed or succeeded.
        """
        if not self.failing:
            return False
        now = self.clock.monotonic()
        if now < self._retry_at:
            return True
        self._retry_at = now + self.retry_after
        return False

    def failed(self, error: BaseException) -> None:
        """Record a failed call: log the first of an outage as a warning, count every one."""
        self.failures += 1
        self.last_error = f"{type(error).__name__}: {error}"
        self._retry_at = self.clock.monotonic() + self.retry_after
        if self.failing:
            logger.debug("%s: Redis at %s failed again: %s", self.what, self.url, self.last_error)
            return
        self.failing = True
        logger.warning(
            "%s: Redis at %s unreachable (%s); retrying every %.2f s",
            self.what,
            self.url,
            self.last_error,
            self.retry_after,
        )

    def succeeded(self) -> None:
        """Record a call that worked: an outage, if any, is over."""
        if self.failing:
            self.failing = False
            logger.info(
                "%s: Redis at %s answers again after %d failed calls",
                self.what,
                self.url,
                self.failures,
            )
