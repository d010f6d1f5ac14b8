"""Conformance suite for :class:`~bastion.core.DecisionSink` backends."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from bastion.core import (
    BreakerState,
    BreakerStatus,
    Candidate,
    DecisionRecord,
    DecisionSink,
    DecisionTable,
    GuardRequest,
    GuardResult,
    ModelRef,
    UserContext,
)

OpenSink = Callable[[], DecisionSink]
ReadBack = Callable[[DecisionSink], Sequence[str]]


def check_decision_sink(open_sink: OpenSink, read_back: ReadBack) -> None:
    """Run every check against fresh sinks.

    Args:
        open_sink: Returns a new sink, ready to take records, over empty storage.
        read_back: Given a sink after ``close``, the request ids it stored, in
            the order they were stored.

    Raises:
        AssertionError: Naming the first check that failed.
    """
    for check in (
        _stores_every_record_once_in_order,
        _empty_appends_are_harmless,
        _close_is_idempotent_and_later_appends_do_not_raise,
        _concurrent_appends_are_all_stored,
    ):
        try:
            check(open_sink, read_back)
        except AssertionError as error:
            raise AssertionError(f"{check.__name__.strip('_')}: {error}") from None


def sample_records(count: int, *, prefix: str = "conf", size: int = 6) -> list[DecisionRecord]:
    """*count* small, valid decision records with distinct request ids."""
    records = []
    for number in range(count):
        item_ids = [f"{prefix}-item-{number}-{i}" for i in range(size)]
        actions = np.array([3 if i == 0 else 0 for i in range(size)], dtype=np.int8)
        out_ranks = np.array([-1, *range(size - 1)], dtype=np.int32)
        fired = np.zeros((1, size), dtype=bool)
        fired[0, 0] = True
        table = DecisionTable(
            item_ids=item_ids,
            actions=actions,
            factors=np.ones(size),
            out_ranks=out_ranks,
            fired=fired,
            effective=fired.copy(),
            rule_ids=["conformance-block"],
            rule_labels=[None],
            rule_actions=["block"],
            rule_reasons=["first item is blocked"],
        )
        request = GuardRequest(
            request_id=f"{prefix}-{number:05d}",
            candidates=[
                Candidate(item_id, 1.0 - i / size, i, creator_id=f"creator-{i % 2}")
                for i, item_id in enumerate(item_ids)
            ],
            slate_size=size - 1,
            user=UserContext(user_id=f"user-{number}", age_band="25-34", region="DE"),
            model=ModelRef("conformance", "1"),
        )
        result = GuardResult(
            request_id=request.request_id,
            slate=tuple(item_ids[1:]),
            decisions=table,
            breakers=(BreakerState("b", BreakerStatus.CLOSED, 0.0, 0, "safe_pool"),),
            policy_version="0" * 64,
            fallback=None,
            latency_us=100.0,
            signals={"item.hate": np.linspace(0.0, 1.0, size), "user.age_band": "25-34"},
        )
        records.append(DecisionRecord(request, result, 1_790_000_000.0 + number))
    return records


def _ids(records: Sequence[DecisionRecord]) -> list[str]:
    return [r.request.request_id for r in records]


def _stores_every_record_once_in_order(open_sink: OpenSink, read_back: ReadBack) -> None:
    records = sample_records(25, prefix="order")
    sink = open_sink()
    sink.append(records[:1])
    sink.append(records[1:10])
    for record in records[10:]:
        sink.append([record])
    sink.close()
    stored = list(read_back(sink))
    assert stored == _ids(records), f"stored {len(stored)} records, expected 25 in order"


def _empty_appends_are_harmless(open_sink: OpenSink, read_back: ReadBack) -> None:
    records = sample_records(2, prefix="empty")
    sink = open_sink()
    sink.append([])
    sink.append(records)
    sink.append([])
    sink.close()
    assert list(read_back(sink)) == _ids(records)


def _close_is_idempotent_and_later_appends_do_not_raise(
    open_sink: OpenSink, read_back: ReadBack
) -> None:
    records = sample_records(3, prefix="closed")
    sink = open_sink()
    sink.append(records[:2])
    sink.close()
    sink.close()
    sink.append(records[2:])  # must not raise; a sink with counters counts it as dropped
    stored = list(read_back(sink))
    assert stored[:2] == _ids(records[:2]), "records appended before close were lost"
    assert len(stored) <= 3


def _concurrent_appends_are_all_stored(open_sink: OpenSink, read_back: ReadBack) -> None:
    per_thread = {t: sample_records(20, prefix=f"thread{t}") for t in range(4)}
    sink = open_sink()

    def feed(records: list[DecisionRecord]) -> None:
        for record in records:
            sink.append([record])

    threads = [threading.Thread(target=feed, args=(r,)) for r in per_thread.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sink.close()
    stored = list(read_back(sink))
    assert len(stored) == len(set(stored)) == 80, f"{len(stored)} stored, 80 expected, no repeats"
    for records in per_thread.values():
        mine = [s for s in stored if s.startswith(records[0].request.request_id[:8])]
        assert mine == _ids(records), "one thread's records were reordered"
