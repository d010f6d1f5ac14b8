"""Breaker state shared by guard replicas through Redis (a :class:`~bastion.core.BreakerSync`).

One exchange is one script call for all of a replica's breakers, so it is one
round trip and atomic: the counts, the compare-and-set of the transition on
the epoch, and the read-back happen with no other replica in between. The
script implements :meth:`bastion.core.BreakerSync.exchange` exactly as
:class:`bastion.core.MemoryBreakerSync` does in Python. Keys, for a breaker
key ``K`` and the store's prefix ``P``::

    P:breaker:K:s       hash  epoch, status (closed | open), opened_at, trips
    P:breaker:K:w:<E>   hash  "<tick>:<counter>" -> count, epoch E's window
                              (ticks older than the window are deleted as
                              the window moves; the key expires after 2 spans)
    P:breaker:K:p:<E>   hash  "<counter>" -> count, epoch E's half-open probes

Ticks count window buckets of the replicas' wall clocks (``now * buckets /
span``), so replicas need clocks within a fraction of a bucket of each other
(NTP gives milliseconds; a bucket of the default 60 s window is 3 s). State
keys expire after ``ttl`` seconds without an exchange.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bastion.core import (
    BreakerReport,
    BreakerStatus,
    SharedBreakerState,
    SharedStateError,
)
from bastion.stores._redis_client import connect, redis_errors, safe_url

if TYPE_CHECKING:
    from redis import Redis
    from redis.commands.core import Script

# ARGV: now, ttl, then per KEYS[i]: epoch, span, buckets, width, propose, has_window,
# has_probe, then width window counts if has_window, width probe counts if has_probe.
EXCHANGE = """
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local at = 3
local out = {}
for i = 1, #KEYS do
  local base = KEYS[i]
  local epoch = tonumber(ARGV[at])
  local span = tonumber(ARGV[at + 1])
  local buckets = tonumber(ARGV[at + 2])
  local width = tonumber(ARGV[at + 3])
  local propose = ARGV[at + 4]
  local has_window = ARGV[at + 5] == '1'
  local has_probe = ARGV[at + 6] == '1'
  at = at + 7
  local window_at = at
  if has_window then at = at + width end
  local probe_at = at
  if has_probe then at = at + width end

  local skey = base .. ':s'
  local s = redis.call('HMGET', skey, 'epoch', 'status', 'opened_at', 'trips')
  local cur = tonumber(s[1]) or 0
  local status = s[2] or 'closed'
  local opened_at = s[3] or '0'
  local trips = tonumber(s[4]) or 0
  local tick = math.floor(now * buckets / span)
  if epoch == cur then
    if status == 'closed' and has_window then
      local wkey = base .. ':w:' .. cur
      for j = 0, width - 1 do
        redis.call('HINCRBYFLOAT', wkey, string.format('%d:%d', tick, j), ARGV[window_at + j])
      end
      redis.call('PEXPIRE', wkey, math.ceil(span * 2000))
    elseif status == 'open' and has_probe then
      local pkey = base .. ':p:' .. cur
      for j = 0, width - 1 do
        redis.call('HINCRBYFLOAT', pkey, tostring(j), ARGV[probe_at + j])
      end
      redis.call('EXPIRE', pkey, ttl)
    end
    if propose == 'open' or (propose == 'closed' and status == 'open') then
      redis.call('DEL', base .. ':w:' .. cur, base .. ':p:' .. cur)
      cur = cur + 1
      status = propose
      if propose == 'open' then
        opened_at = ARGV[1]
        trips = trips + 1
      end
      redis.call('HSET', skey, 'epoch', cur, 'status', status, 'opened_at', opened_at,
        'trips', trips)
    end
  end
  redis.call('EXPIRE', skey, ttl)

  local window = {}
  local probe = {}
  for j = 1, width do
    window[j] = 0
    probe[j] = 0
  end
  local wkey = base .. ':w:' .. cur
  local flat = redis.call('HGETALL', wkey)
  local first_live = tick - buckets + 1
  for j = 1, #flat, 2 do
    local t, c = string.match(flat[j], '^(%-?%d+):(%d+)$')
    t = tonumber(t)
    c = tonumber(c)
    if t == nil or t < first_live then
      redis.call('HDEL', wkey, flat[j])
    elseif c < width then
      window[c + 1] = window[c + 1] + tonumber(flat[j + 1])
    end
  end
  flat = redis.call('HGETALL', base .. ':p:' .. cur)
  for j = 1, #flat, 2 do
    local c = tonumber(flat[j])
    if c ~= nil and c < width then probe[c + 1] = probe[c + 1] + tonumber(flat[j + 1]) end
  end
  for j = 1, width do
    window[j] = string.format('%.17g', window[j])
    probe[j] = string.format('%.17g', probe[j])
  end
  out[i] = {cur, status, opened_at, trips, window, probe}
end
return out
"""


class RedisBreakerSync:
    """Shares circuit-breaker state between guard replicas through one Redis server.

    Pass it to each replica's guard: ``Guard(bundle, signals,
    shared=RedisBreakerSync(url))``. If Redis is unreachable, :meth:`exchange`
    raises :class:`~bastion.core.SharedStateError` within ``timeout`` seconds
    and the replica's breakers run on local state until it answers again.

    Args:
        url: The server, as ``redis://[user:password@]host:port/db``.
        prefix: Every key starts with ``prefix:breaker:``.
        timeout: Socket timeout of an exchange, in seconds.
        ttl: Seconds after which the state of a breaker nobody exchanges expires.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "bastion",
        timeout: float = 0.25,
        ttl: int = 86_400,
    ) -> None:
        if not prefix:
            raise ValueError("a Redis breaker sync needs a non-empty key prefix")
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self.ttl = ttl
        self._client: Redis | None = None
        self._script: Script | None = None
        self._errors: tuple[type[Exception], ...] = ()
        self._lock = threading.Lock()
        self._ok = False

    def exchange(self, now: float, reports: Sequence[BreakerReport]) -> list[SharedBreakerState]:
        """Merge *reports* at wall-clock *now*; see :meth:`bastion.core.BreakerSync.exchange`.

        Raises:
            SharedStateError: Redis did not answer, or answered with an error.
        """
        if not reports:
            return []
        script = self._connect()
        keys = [f"{self.prefix}:breaker:{report.key}" for report in reports]
        args: list[Any] = [repr(float(now)), self.ttl]
        for report in reports:
            args.extend(_arguments(report))
        try:
            replies = script(keys=keys, args=args)
        except self._errors as error:
            self._ok = False
            raise SharedStateError(
                f"cannot exchange breaker state with Redis at {safe_url(self.url)}: {error}"
            ) from error
        self._ok = True
        return [_state(report.key, reply) for report, reply in zip(reports, replies, strict=True)]

    def healthy(self) -> bool:
        """Whether the last exchange succeeded."""
        return self._ok

    def close(self) -> None:
        """Close the connections (a later exchange opens new ones)."""
        with self._lock:
            client, self._client, self._script = self._client, None, None
        if client is not None:
            client.close()

    def _connect(self) -> Script:
        with self._lock:
            if self._script is None:
                self._errors = redis_errors()
                self._client = connect(self.url, timeout=self.timeout, name="bastion-breakers")
                self._script = self._client.register_script(EXCHANGE)
            return self._script


def _arguments(report: BreakerReport) -> list[Any]:
    width = report.width
    window = report.window if len(report.window) == width else ()
    probe = report.probe if len(report.probe) == width else ()
    propose = "" if report.propose is None else report.propose.value
    if propose not in ("", "open", "closed"):
        raise ValueError(f"a breaker can only be proposed open or closed, not {propose!r}")
    args: list[Any] = [
        report.epoch,
        repr(float(report.span)),
        report.buckets,
        width,
        propose,
        1 if window else 0,
        1 if probe else 0,
    ]
    args.extend(repr(float(v)) for v in window)
    args.extend(repr(float(v)) for v in probe)
    return args


def _state(key: str, reply: Sequence[Any]) -> SharedBreakerState:
    epoch, status, opened_at, trips, window, probe = reply
    return SharedBreakerState(
        key=key,
        epoch=int(epoch),
        status=BreakerStatus(status.decode()),
        opened_at=float(opened_at),
        trips=int(trips),
        window=tuple(float(v) for v in window),
        probe=tuple(float(v) for v in probe),
    )
