"""DecisionTable: a Sequence of Decision records stored as read-only columns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from bastion.core import Action, Decision, DecisionTable, GuardResult

from ._support import cands, make_guard, make_store, request

BODY = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
  - id: toxic
    when: item.toxicity >= 0.5
    action: demote
    factor: 0.5
  - id: news
    when: item.topic = 'news'
    action: label
    label: news
"""


@pytest.fixture
def result() -> GuardResult:
    store = make_store(
        {
            "blocked": {"hate": 0.95},
            "demoted": {"toxicity": 0.9, "topic": "news"},
            "labelled": {"topic": "news"},
            "plain": {},
            "plain2": {},
        }
    )
    guard = make_guard(BODY, store)
    candidates = cands(
        ("blocked", 0.9), ("demoted", 0.8), ("labelled", 0.7), ("plain", 0.6), ("plain2", 0.3)
    )
    return guard.apply(request(candidates, slate_size=3))


def test_it_is_a_sequence_in_request_order(result: GuardResult) -> None:
    table = result.decisions
    assert isinstance(table, Sequence)
    assert len(table) == 5
    assert [d.item_id for d in table] == ["blocked", "demoted", "labelled", "plain", "plain2"]
    assert all(isinstance(d, Decision) for d in table)


def test_indexing(result: GuardResult) -> None:
    table = result.decisions
    assert table[0] == Decision("blocked", Action.BLOCK, 1.0, ("hate",), None, (), ())
    assert table[1] == Decision("demoted", Action.DEMOTE, 0.5, ("toxic", "news"), 2, ("news",), ())
    assert table[2] == Decision("labelled", Action.LABEL, 1.0, ("news",), 0, ("news",), ())
    assert table[3].out_rank == 1
    assert table[4].out_rank is None


def test_negative_index(result: GuardResult) -> None:
    table = result.decisions
    assert table[-1] == table[4]
    assert table[-5] == table[0]
    with pytest.raises(IndexError):
        table[-6]
    with pytest.raises(IndexError):
        table[5]


def test_slicing(result: GuardResult) -> None:
    table = result.decisions
    items = [d.item_id for d in table]
    assert [d.item_id for d in table[1:3]] == items[1:3]
    assert [d.item_id for d in table[::-1]] == items[::-1]
    assert [d.item_id for d in table[::2]] == items[::2]
    assert [d.item_id for d in table[-2:]] == items[-2:]
    assert list(table[10:]) == []
    assert list(table[:]) == list(table)


def test_sequence_helpers(result: GuardResult) -> None:
    table = result.decisions
    assert table[2] in table
    assert table.index(table[3]) == 3
    assert list(reversed(table)) == list(table)[::-1]


def test_by_item(result: GuardResult) -> None:
    by_item = result.decisions.by_item()
    assert list(by_item) == ["blocked", "demoted", "labelled", "plain", "plain2"]
    assert by_item["demoted"].factor == 0.5
    assert by_item["blocked"] == result.decisions[0]


def test_counts(result: GuardResult) -> None:
    counts = result.decisions.counts()
    assert counts == {Action.ALLOW: 2, Action.LABEL: 1, Action.DEMOTE: 1, Action.BLOCK: 1}
    assert sum(counts.values()) == len(result.decisions)
    assert list(counts) == [Action.ALLOW, Action.LABEL, Action.DEMOTE, Action.BLOCK]


def test_reason_is_one_line(result: GuardResult) -> None:
    table = result.decisions
    assert table[0].reason == "block (hate); not served"
    assert table[1].reason == "demote (toxic, news); position 2"


def test_columns_are_read_only(result: GuardResult) -> None:
    table = result.decisions
    for array in (table.actions, table.factors, table.out_ranks, table.fired, table.effective):
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array.flat[0] = array.flat[0]
    assert table[0].action is Action.BLOCK


def test_columns_match_the_records(result: GuardResult) -> None:
    table = result.decisions
    assert table.rule_ids == ("hate", "toxic", "news")
    assert table.fired.shape == (3, 5)
    np.testing.assert_array_equal(table.out_ranks, [-1, 2, 0, 1, -1])
    np.testing.assert_array_equal(table.factors, [1.0, 0.5, 1.0, 1.0, 1.0])
    assert [Action(a) for a in ("block", "demote", "label", "allow", "allow")] == [
        d.action for d in table
    ]


def test_a_table_built_by_hand() -> None:
    actions = np.array([0, 3, 2], dtype=np.int8)
    fired = np.array([[False, True, False], [False, True, True]])
    table = DecisionTable(
        item_ids=["a", "b", "c"],
        actions=actions,
        factors=np.array([1.0, 1.0, 0.25]),
        out_ranks=np.array([0, -1, 1], dtype=np.int32),
        fired=fired,
        effective=fired.copy(),
        rule_ids=["r1", "r2"],
        rule_labels=[None, "lbl"],
        extra_rules={1: ("breaker:x",)},
        constraints={2: ("cap",)},
    )
    assert not actions.flags.writeable
    assert table[1].rules == ("r1", "r2", "breaker:x")
    assert table[1].labels == ("lbl",)
    assert table[2].constraints == ("cap",)
    assert table[2].factor == 0.25
    assert table[0].rules == ()
    assert table.counts()[Action.BLOCK] == 1


def test_an_empty_table() -> None:
    table = DecisionTable(
        item_ids=[],
        actions=np.zeros(0, dtype=np.int8),
        factors=np.zeros(0),
        out_ranks=np.zeros(0, dtype=np.int32),
        fired=np.zeros((2, 0), dtype=bool),
        effective=np.zeros((2, 0), dtype=bool),
        rule_ids=["r1", "r2"],
        rule_labels=[None, None],
    )
    assert len(table) == 0
    assert list(table) == []
    assert table[:] == []
    assert table.by_item() == {}
    assert table.counts() == dict.fromkeys(Action, 0)
    with pytest.raises(IndexError):
        table[0]
