"""The decision-sink suite catches sinks that lose, repeat or reorder records."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bastion.core import DecisionRecord, MemoryDecisionSink
from bastion.testing import check_decision_sink, sample_records


def ids(sink: MemoryDecisionSink) -> list[str]:
    return [r.request.request_id for r in sink.records]


class Losing(MemoryDecisionSink):
    def append(self, records: Sequence[DecisionRecord]) -> None:
        super().append([r for r in records if not r.request.request_id.endswith("7")])


class Repeating(MemoryDecisionSink):
    def append(self, records: Sequence[DecisionRecord]) -> None:
        super().append(list(records) * 2)


class RaisingAfterClose(MemoryDecisionSink):
    closed = False

    def close(self) -> None:
        if self.closed:
            raise RuntimeError("closed twice")
        self.closed = True


@pytest.mark.parametrize(
    ("sink", "check"),
    [
        (Losing, "stores_every_record_once_in_order"),
        (Repeating, "stores_every_record_once_in_order"),
        (RaisingAfterClose, "closed twice"),
    ],
)
def test_faulty_sinks_fail_the_suite(sink: type[MemoryDecisionSink], check: str) -> None:
    with pytest.raises((AssertionError, RuntimeError), match=check):
        check_decision_sink(sink, ids)  # type: ignore[arg-type]


def test_sample_records_are_distinct_and_valid() -> None:
    records = sample_records(5, prefix="x")
    assert len({r.request.request_id for r in records}) == 5
    first = records[0].result.decisions[0]
    assert first.action.value == "block" and first.out_rank is None
