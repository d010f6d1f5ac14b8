"""Redis dies under load and comes back: guards keep serving, fall back as the bundle says, recover.

Two guard replicas (threads here, each with its own store and breaker-sync
clients, as separate processes would have) serve requests continuously from
a test-owned redis-server. The server is killed mid-load and started again.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest

from bastion.core import BreakerStatus, Candidate, GuardRequest, UserContext
from bastion.guard import Guard
from bastion.policy import parse_bundle
from bastion.stores import RedisBreakerSync, RedisSignalStore
from tests.redis_server import RedisServer

pytestmark = pytest.mark.integration

BUNDLE = """
version: 1
name: outage
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
  - id: teen-nsfw
    when: user.age_band = '13-17' AND item.nsfw >= 0.3
    action: block
breakers:
  - id: detector-outage
    watch: missing_signal_rate
    over: 2s
    trip_above: 0.5
    min_events: 100
    fallback: fail_closed
    cooldown: 0.5s
"""
ITEMS = 2_000


class Replica:
    """One guard replica with a thread that applies requests until stopped."""

    def __init__(self, url: str, seed: int) -> None:
        self.store = RedisSignalStore(url, prefix="outage", timeout=0.5, retry_after=0.2)
        self.sync = RedisBreakerSync(url, prefix="outage", timeout=0.5)
        bundle = parse_bundle(BUNDLE, file="outage.yaml", provided=self.store.schema)
        self.guard = Guard(bundle, self.store, shared=self.sync, sync_every=0.05)
        self.rng = np.random.default_rng(seed)
        self.fallbacks: Counter[str | None] = Counter()
        self.errors: list[Exception] = []
        self.served = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def request(self) -> GuardRequest:
        picks = self.rng.choice(ITEMS, 50, replace=False)
        candidates = [Candidate(f"i{p}", 1.0 - r / 100, r) for r, p in enumerate(picks.tolist())]
        return GuardRequest("r", candidates=candidates, slate_size=10, user=UserContext("u"))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = self.guard.apply(self.request())
            except Exception as error:  # any exception that escapes fails the test
                self.errors.append(error)
                return
            self.fallbacks[result.fallback] += 1
            self.served += 1

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.guard.close()
        self.store.close()
        self.sync.close()

    def status(self) -> BreakerStatus:
        return self.guard.breaker_states()[0].status


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - started


def test_guards_survive_a_redis_crash_under_load(redis_server: RedisServer) -> None:
    loader = RedisSignalStore(redis_server.url, prefix="outage", timeout=2.0)
    rng = np.random.default_rng(1)
    loader.put(
        "item",
        [f"i{i}" for i in range(ITEMS)],
        {"hate": rng.random(ITEMS) * 0.95, "nsfw": rng.random(ITEMS) * 0.5},
    )
    replicas = [Replica(redis_server.url, seed) for seed in range(2)]
    for replica in replicas:
        replica.start()
    try:
        wait_for(lambda: all(r.served >= 20 and r.guard.healthy() for r in replicas), 10, "load")
        assert all(r.store.healthy() for r in replicas)
        assert all(r.fallbacks[None] == r.served for r in replicas), "no fallback while healthy"

        redis_server.kill()
        wait_for(lambda: all(r.status() is not BreakerStatus.CLOSED for r in replicas), 10, "trip")
        wait_for(lambda: all(r.fallbacks["fail_closed"] >= 5 for r in replicas), 10, "fallback")
        # Each replica learns of the outage on its own clock: the store on its next
        # read, the shared breaker state on its next exchange.
        wait_for(
            lambda: not any(r.store.healthy() or r.guard.healthy() for r in replicas),
            10,
            "unready",
        )
        served = [r.served for r in replicas]
        wait_for(
            lambda: all(r.served > s + 20 for r, s in zip(replicas, served, strict=True)),
            10,
            "serving",
        )

        redis_server.start()
        wait_for(
            lambda: all(r.store.healthy() and r.guard.healthy() for r in replicas), 10, "ready"
        )
        wait_for(lambda: all(r.status() is BreakerStatus.CLOSED for r in replicas), 10, "recovery")
        served = [r.served for r in replicas]
        before = [r.fallbacks[None] for r in replicas]
        wait_for(
            lambda: all(r.served > s + 20 for r, s in zip(replicas, served, strict=True)),
            10,
            "serving",
        )
        assert all(r.fallbacks[None] > b + 10 for r, b in zip(replicas, before, strict=True)), (
            "back to normal"
        )
        batch = replicas[0].store.lookup("item", ["i1", "i2"], ["hate"])
        assert batch.found.all(), "the data survived the crash (AOF)"
    finally:
        for replica in replicas:
            replica.stop()
        loader.close()
    for replica in replicas:
        assert not replica.errors, f"an exception escaped Guard.apply: {replica.errors[0]!r}"
        assert replica.store.failures >= 1
        assert replica.store.degraded_lookups >= 1
