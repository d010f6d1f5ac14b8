"""The live feed: summaries of real guard results, history, slow consoles, the event stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bastion.core import GuardRequest, GuardResult
from bastion.guard import Guard
from bastion.server._live import FeedMetrics, IntervalTotals, LiveFeed, Tick, sse
from bastion.stores import MemorySignalStore, load_signals

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def guard() -> Guard:
    store = MemorySignalStore()
    load_signals(store, EXAMPLES / "signals" / "items.jsonl", entity="item")
    load_signals(store, EXAMPLES / "signals" / "creators.jsonl", entity="creator")
    return Guard.from_file(EXAMPLES / "policies" / "election-misinfo.yaml", store)


@pytest.fixture(scope="module")
def request_() -> GuardRequest:
    return GuardRequest.from_dict(json.loads((EXAMPLES / "requests" / "election.json").read_text()))


def results(guard: Guard, request: GuardRequest, n: int) -> list[GuardResult]:
    return [guard.apply(replace(request, request_id=f"r{i}")) for i in range(n)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


def feed_for(guard: Guard, clock: Callable[[], float], **options: int) -> LiveFeed:
    return LiveFeed(
        breakers=guard.breaker_states,
        policy=lambda: (guard.bundle.name, guard.policy_version),
        clock=clock,
        **options,  # type: ignore[arg-type]
    )


def summarise(observed: list[tuple[float, GuardResult]], interval_s: float) -> Tick:
    """The figures of an interval in which *observed* (time, result) came."""
    totals = IntervalTotals()
    for at, result in observed:
        totals.add(at, result)
    return totals.summary(interval_s)


def test_a_tick_summarises_every_result_of_the_interval(
    guard: Guard, request_: GuardRequest
) -> None:
    observed = results(guard, request_, 3)
    summary = summarise([(10.0 + i, r) for i, r in enumerate(observed)], 0.5)
    candidates = len(request_.candidates)
    assert summary["requests"] == 3 and summary["rps"] == 6.0
    assert summary["items"] == 3 * candidates
    assert summary["actions"]["block"] == 3, "v3's creator has four strikes"
    assert summary["blocked_by_rule"] == {"election-repeat-offender": 3}
    assert summary["block_rate"] == pytest.approx(3 / (3 * candidates))
    latency = summary["latency_us"]
    assert latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert (summary["oldest_at"], summary["newest_at"]) == (10.0, 12.0)
    newest = summary["new_blocked"][0]
    assert newest["request_id"] == "r2" and newest["item_id"] == "v3"
    assert "election-repeat-offender" in newest["rules"]


def test_only_block_rules_count_as_blocking(guard: Guard, request_: GuardRequest) -> None:
    [result] = results(guard, request_, 1)
    fired = {rule for d in result.decisions for rule in d.rules}
    assert "election-claim-label" in fired, "a label rule fires on this slate"
    assert set(summarise([(0.0, result)], 1.0)["blocked_by_rule"]) == {"election-repeat-offender"}


def test_a_busy_interval_counts_every_result_and_lists_the_newest_blocks(
    guard: Guard, request_: GuardRequest
) -> None:
    # Results are counted as they come (the tick only reads the totals), and
    # the feed keeps just the newest results that blocked something.
    feed = feed_for(guard, Clock())
    for result in results(guard, request_, 25):
        feed.observe(result)
    summary = feed.tick()
    assert summary["requests"] == 25
    assert summary["actions"]["block"] == 25
    assert summary["blocked_by_rule"] == {"election-repeat-offender": 25}
    assert [b["request_id"] for b in summary["new_blocked"]] == [f"r{i}" for i in range(24, 14, -1)]
    assert (summary["oldest_at"], summary["newest_at"]) == (1000.25, 1006.25)
    assert feed.tick()["requests"] == 0, "the next interval starts from zero"


def test_an_idle_interval_is_zero_not_missing() -> None:
    summary = summarise([], 1.0)
    assert summary["requests"] == 0 and summary["items"] == 0
    assert summary["block_rate"] == 0.0 and summary["latency_us"] is None
    assert summary["new_blocked"] == [] and summary["oldest_at"] is None


def test_history_and_recent_blocks_are_bounded(guard: Guard, request_: GuardRequest) -> None:
    feed = feed_for(guard, Clock(), history=10, recent=4)
    for result in results(guard, request_, 6):
        feed.observe(result)
        feed.tick()
    for _ in range(12):
        feed.tick()
    snapshot = feed.snapshot()
    assert [t["seq"] for t in snapshot["history"]] == list(range(9, 19))
    assert [b["request_id"] for b in snapshot["recent"]] == ["r5", "r4", "r3", "r2"]
    feed.observe(results(guard, request_, 2)[0])
    feed.observe(results(guard, request_, 2)[1])
    feed.tick()
    newest = [b["request_id"] for b in feed.snapshot()["recent"]]
    assert newest == ["r1", "r0", "r5", "r4"], "newest first, within a tick too"
    assert snapshot["policy"] == {"name": "election-misinfo", "version": guard.policy_version}
    assert {b["id"] for b in snapshot["breakers"]} == {b.breaker_id for b in guard.breaker_states()}


def test_a_slow_console_loses_its_oldest_updates(guard: Guard) -> None:
    async def scenario() -> list[int]:
        feed = feed_for(guard, Clock())
        queue = feed.subscribe()
        for _ in range(40):
            feed.publish(feed.tick())
        seqs = []
        while not queue.empty():
            message = queue.get_nowait()
            assert message is not None
            seqs.append(int(message.split("\n", 1)[0].removeprefix("id: ")))
        return seqs

    assert asyncio.run(scenario()) == list(range(9, 41))


def test_the_stream_sends_a_snapshot_then_ticks_until_the_feed_stops(
    guard: Guard, request_: GuardRequest
) -> None:
    async def scenario() -> list[str]:
        feed = feed_for(guard, Clock())
        stream = feed.stream()
        events = [await anext(stream)]
        assert feed.subscribers == 1
        feed.observe(results(guard, request_, 1)[0])
        feed.publish(feed.tick())
        events.append(await anext(stream))
        await feed.stop()
        events.extend([event async for event in stream])
        assert feed.subscribers == 0
        return events

    snapshot, tick = asyncio.run(scenario())
    assert snapshot.startswith("event: snapshot\ndata: {") and snapshot.endswith("\n\n")
    assert json.loads(snapshot.split("data: ", 1)[1])["history"] == []
    head, data = tick.split("\ndata: ")
    assert head == "id: 1\nevent: tick"
    assert json.loads(data)["blocked_by_rule"] == {"election-repeat-offender": 1}


def test_the_ticker_runs_on_the_event_loop_until_stopped(guard: Guard) -> None:
    async def scenario() -> int:
        feed = LiveFeed(breakers=guard.breaker_states, policy=lambda: None, interval_s=0.1)
        queue = feed.subscribe()
        feed.start()
        first = await asyncio.wait_for(queue.get(), timeout=10)
        await feed.stop()
        rest = [queue.get_nowait() for _ in range(queue.qsize())]
        assert first is not None and rest[-1] is None, "stopping ends every stream"
        return int(json.loads(first.split("data: ", 1)[1])["seq"])

    assert asyncio.run(scenario()) >= 1


def test_events_are_json_without_nan() -> None:
    event = sse("tick", {"value": float("nan"), "nested": [float("inf"), 1.5]}, event_id=7)
    assert event == 'id: 7\nevent: tick\ndata: {"value":null,"nested":[null,1.5]}\n\n'


def test_feed_metrics_count_and_feed(guard: Guard, request_: GuardRequest) -> None:
    feed = feed_for(guard, Clock())
    metrics = FeedMetrics(None, feed)
    metrics.observe_result(results(guard, request_, 1)[0])
    assert feed.tick()["requests"] == 1
    assert b'bastion_guard_decisions_total{action="block"} 1.0' in metrics.render()


def test_the_snapshot_event_holds_the_snapshot(guard: Guard, request_: GuardRequest) -> None:
    feed = feed_for(guard, Clock(), history=5)
    for result in results(guard, request_, 7):
        feed.observe(result)
        feed.tick()
    event = feed.snapshot_event()
    assert event.startswith("event: snapshot\ndata: ") and event.endswith("\n\n")
    sent = json.loads(event.removeprefix("event: snapshot\ndata: "))
    assert sent == json.loads(json.dumps(feed.snapshot()))
    assert [t["seq"] for t in sent["history"]] == [3, 4, 5, 6, 7]
    assert all("new_blocked" not in t and "policy" not in t for t in sent["history"])


def test_streams_can_be_ended_from_another_thread(guard: Guard) -> None:
    import threading

    async def scenario() -> list[str]:
        feed = LiveFeed(breakers=guard.breaker_states, policy=lambda: None, interval_s=5.0)
        feed.start()
        stream = feed.stream()
        events = [await anext(stream)]
        threading.Thread(target=feed.end_streams).start()
        events.extend([event async for event in stream])  # ends: no tick for 5 s
        await feed.stop()
        return events

    [snapshot] = asyncio.run(asyncio.wait_for(scenario(), timeout=4.0))
    assert snapshot.startswith("event: snapshot")
    LiveFeed(breakers=guard.breaker_states, policy=lambda: None).end_streams()  # never started
