"""Guard replicas in separate processes share their breakers through a test-owned Redis.

Run as a module with a Redis URL, this file is one replica: it reads commands
on stdin (``traffic``, ``probe``, ``wait <status>``, ``status``) and answers
each with one JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bastion.core import BreakerStatus, Candidate, GuardRequest, UserContext
from bastion.guard import Guard
from bastion.policy import parse_bundle
from bastion.stores import MemorySignalStore, RedisBreakerSync
from tests.redis_server import RedisServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = """
version: 1
name: replicas
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
breakers:
  - id: surge
    watch: block_rate
    over: 60s
    trip_above: 0.25
    min_events: 250
    fallback: fail_open
    cooldown: 1s
"""


def _slate(hateful: int, clean: int) -> GuardRequest:
    ids = [f"h{i}" for i in range(hateful)] + [f"c{i}" for i in range(clean)]
    candidates = [Candidate(item, 1.0 - i / 1000, i) for i, item in enumerate(ids)]
    return GuardRequest("r", candidates=candidates, slate_size=10, user=UserContext("u"))


def _replica(url: str) -> None:
    store = MemorySignalStore()
    store.put("item", [f"h{i}" for i in range(50)], {"hate": [0.95] * 50})
    store.put("item", [f"c{i}" for i in range(50)], {"hate": [0.1] * 50})
    bundle = parse_bundle(BUNDLE, file="replicas.yaml", provided=store.schema)
    sync = RedisBreakerSync(url, prefix="replicas", timeout=1.0)
    guard = Guard(bundle, store, shared=sync, sync_every=0.05)
    for line in sys.stdin:
        command = line.split()
        if command[0] == "traffic":  # 100 events, half blocked
            guard.apply(_slate(25, 25))
            guard.apply(_slate(25, 25))
        elif command[0] == "probe":  # 100 clean events
            guard.apply(_slate(0, 50))
            guard.apply(_slate(0, 50))
        elif command[0] == "wait":
            deadline = time.monotonic() + 15
            wanted = BreakerStatus(command[1])
            while guard.breaker_states()[0].status is not wanted or not guard.healthy():
                if time.monotonic() > deadline:
                    break
                time.sleep(0.005)
        state = guard.breaker_states()[0]
        answer = {"status": state.status.value, "events": state.events, "at": time.time()}
        sys.stdout.write(json.dumps(answer | {"healthy": guard.healthy()}) + "\n")
        sys.stdout.flush()
    guard.close()


class ReplicaProcess:
    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.test_redis_replicas", url],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def answer(self) -> dict[str, object]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"replica exited with {self.process.wait(timeout=10)}"
        reply: dict[str, object] = json.loads(line)
        return reply

    def ask(self, command: str) -> dict[str, object]:
        self.send(command)
        return self.answer()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def ask_all(replicas: list[ReplicaProcess], command: str) -> list[dict[str, object]]:
    for replica in replicas:  # all at once: the replicas wait in parallel
        replica.send(command)
    return [replica.answer() for replica in replicas]


def test_replicas_in_three_processes_trip_and_recover_together(redis_server: RedisServer) -> None:
    replicas = [ReplicaProcess(redis_server.url) for _ in range(3)]
    try:
        closed, opened, half_open = "closed", "open", "half_open"
        joined = ask_all(replicas, f"wait {closed}")
        assert all(a["healthy"] for a in joined), joined
        # two replicas' events (200) stay under min_events (250): nobody trips
        for replica in replicas[:2]:
            assert replica.ask("traffic")["status"] == closed
        time.sleep(0.3)  # several exchanges
        assert [r.ask("status")["status"] for r in replicas] == [closed] * 3
        # the third replica's 100 events cross the threshold for all three
        replicas[2].send("traffic")
        replicas[2].answer()
        trips = ask_all(replicas, f"wait {opened}")
        assert [a["status"] for a in trips] == [opened] * 3, trips
        spread = max(float(a["at"]) for a in trips) - min(float(a["at"]) for a in trips)  # type: ignore[arg-type]
        assert spread < 2.0, f"replicas opened {spread:.2f} s apart"
        # after the 1 s cooldown, probes count across replicas: 2 x 100 < 250 <= 3 x 100
        assert [a["status"] for a in ask_all(replicas, f"wait {half_open}")] == [half_open] * 3
        for replica in replicas[:2]:
            replica.ask("probe")
        time.sleep(0.3)
        assert [r.ask("status")["status"] for r in replicas] == [half_open] * 3
        replicas[2].ask("probe")
        recovered = ask_all(replicas, f"wait {closed}")
        assert [a["status"] for a in recovered] == [closed] * 3, recovered
    finally:
        for replica in replicas:
            replica.close()


if __name__ == "__main__":
    _replica(sys.argv[1])
