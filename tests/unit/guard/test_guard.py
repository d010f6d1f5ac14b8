"""Guard.apply: precedence, demotion and re-ranking, labels, reasons and signals."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.core import (
    Action,
    Candidate,
    CandidateColumns,
    FieldType,
    ManualClock,
    MemoryDecisionSink,
    SignalField,
)
from bastion.guard import Guard
from bastion.stores import MemorySignalStore

from ._support import SCHEMA, cands, make_guard, make_store, parse, request

RULES = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
  - id: toxic
    when: item.toxicity >= 0.6
    action: demote
    factor: 0.5
  - id: risky
    when: creator.risk >= 0.7
    action: demote
    factor: 0.4
  - id: nsfw-label
    when: item.nsfw >= 0.5
    action: label
    label: sensitive
  - id: topic-label
    when: item.topic = 'news'
    action: label
    label: news
"""


@pytest.fixture
def store() -> MemorySignalStore:
    return make_store(
        {
            "blocked": {"hate": 0.95, "toxicity": 0.9, "nsfw": 0.9},
            "toxic": {"hate": 0.1, "toxicity": 0.7},
            "both": {"toxicity": 0.8},
            "label": {"nsfw": 0.6, "topic": "news"},
            "clean": {"hate": 0.0, "toxicity": 0.0, "nsfw": 0.0, "topic": "sport"},
        },
        {"shady": {"risk": 0.9}, "fine": {"risk": 0.1}},
    )


def test_blocked_items_leave_the_slate(store: MemorySignalStore) -> None:
    guard = make_guard(RULES, store)
    result = guard.apply(request(cands(("blocked", 0.99), ("clean", 0.5))))
    assert result.slate == ("clean",)
    blocked = result.decisions[0]
    assert blocked.action is Action.BLOCK
    assert blocked.out_rank is None
    assert blocked.factor == 1.0


def test_demoted_items_get_score_times_factor_and_rerank(store: MemorySignalStore) -> None:
    guard = make_guard(RULES, store)
    # toxic: 1.0 * 0.5 = 0.5 < 0.6 (clean) but > 0.4 (label)
    candidates = cands(("toxic", 1.0, "fine"), ("clean", 0.6, "fine"), ("label", 0.4, "fine"))
    result = guard.apply(request(candidates))
    assert result.slate == ("clean", "toxic", "label")
    toxic = result.decisions.by_item()["toxic"]
    assert toxic.action is Action.DEMOTE
    assert toxic.factor == pytest.approx(0.5)
    assert toxic.out_rank == 1


def test_demote_factors_multiply(store: MemorySignalStore) -> None:
    guard = make_guard(RULES, store)
    # both: toxic (0.5) and risky creator (0.4): 1.0 * 0.2 = 0.2 < 0.3
    candidates = cands(("both", 1.0, "shady"), ("clean", 0.3, "fine"))
    result = guard.apply(request(candidates))
    both = result.decisions[0]
    assert both.action is Action.DEMOTE
    assert both.factor == pytest.approx(0.2)
    assert both.rules == ("toxic", "risky")
    assert result.slate == ("clean", "both")


def test_a_demote_not_strong_enough_keeps_the_position(store: MemorySignalStore) -> None:
    guard = make_guard(RULES, store)
    candidates = cands(("toxic", 1.0, "fine"), ("clean", 0.45, "fine"))
    assert guard.apply(request(candidates)).slate == ("toxic", "clean")


def test_negative_scores_are_divided_by_the_factor(store: MemorySignalStore) -> None:
    guard = make_guard(RULES, store)
    # toxic: -0.2 / 0.5 = -0.4 < -0.3; multiplying would give -0.1 > -0.3.
    candidates = cands(("toxic", -0.2, "fine"), ("clean", -0.3, "fine"))
    result = guard.apply(request(candidates))
    assert result.slate == ("clean", "toxic")
    assert result.decisions[0].factor == pytest.approx(0.5)


def test_a_demote_never_lifts_a_negative_score_above_a_positive_one(
    store: MemorySignalStore,
) -> None:
    guard = make_guard(RULES, store)
    candidates = cands(("clean", 0.01, "fine"), ("toxic", -0.01, "fine"))
    assert guard.apply(request(candidates)).slate == ("clean", "toxic")


@pytest.mark.parametrize("first", ["toxic", "clean"])
def test_ties_keep_the_ranker_order(store: MemorySignalStore, first: str) -> None:
    guard = make_guard(RULES, store)
    # toxic is demoted from 1.0 to exactly 0.5, the score of clean.
    scores = {"toxic": 1.0, "clean": 0.5}
    second = "clean" if first == "toxic" else "toxic"
    candidates = cands((first, scores[first], "fine"), (second, scores[second], "fine"))
    assert guard.apply(request(candidates)).slate == (first, second)


def test_equal_scores_keep_the_ranker_rank_not_the_input_position(store: MemorySignalStore) -> None:
    guard = make_guard(RULES, store)
    candidates = [
        Candidate("clean", 0.5, 2),
        Candidate("label", 0.5, 1),
        Candidate("toxic", 0.5, 0),
    ]
    store.put("item", ["toxic"], {"toxicity": [0.0]})
    assert guard.apply(request(candidates)).slate == ("toxic", "label", "clean")


def test_labels_attach(store: MemorySignalStore) -> None:
    guard = make_guard(RULES, store)
    result = guard.apply(request(cands(("label", 0.9), ("clean", 0.8))))
    label = result.decisions[0]
    assert label.action is Action.LABEL
    assert label.labels == ("sensitive", "news")
    assert label.rules == ("nsfw-label", "topic-label")
    assert label.out_rank == 0
    assert result.decisions[1].labels == ()
    assert result.slate == ("label", "clean")


def test_labels_also_attach_to_a_demoted_item(store: MemorySignalStore) -> None:
    store.put("item", ["toxic"], {"nsfw": [0.7]})
    guard = make_guard(RULES, store)
    toxic = guard.apply(request(cands(("toxic", 0.9)))).decisions[0]
    assert toxic.action is Action.DEMOTE
    assert toxic.labels == ("sensitive",)


def test_every_fired_rule_is_listed_in_bundle_order(store: MemorySignalStore) -> None:
    guard = make_guard(RULES, store)
    result = guard.apply(request(cands(("blocked", 0.9, "shady"), ("clean", 0.8, "fine"))))
    assert result.decisions[0].rules == ("hate", "toxic", "risky", "nsfw-label")
    assert result.decisions[0].action is Action.BLOCK
    assert result.decisions[1].rules == ()
    assert "no rule fired" in result.decisions[1].reason


def test_result_signals_hold_the_values_the_rules_read(store: MemorySignalStore) -> None:
    guard = make_guard(RULES, store)
    candidates = cands(("toxic", 0.9, "shady"), ("ghost", 0.8, "fine"), ("label", 0.7, None))
    result = guard.apply(request(candidates))
    signals = result.signals
    assert set(signals) == {"item.hate", "item.toxicity", "creator.risk", "item.nsfw", "item.topic"}
    np.testing.assert_array_equal(signals["item.hate"], [0.1, np.nan, np.nan])
    np.testing.assert_array_equal(signals["item.toxicity"], [0.7, np.nan, np.nan])
    np.testing.assert_array_equal(signals["creator.risk"], [0.9, 0.1, np.nan])
    assert list(signals["item.topic"]) == [None, None, "news"]


def test_policy_version_is_the_bundle_version(store: MemorySignalStore) -> None:
    bundle = parse(RULES, store)
    guard = Guard(bundle, store)
    result = guard.apply(request(cands(("clean", 0.5))))
    assert result.policy_version == bundle.version == guard.policy_version
    assert len(bundle.version) == 64
    other = parse(RULES.replace("0.9", "0.8", 1), store)
    assert other.version != bundle.version


def test_request_echo_and_latency(store: MemorySignalStore) -> None:
    guard = make_guard(RULES, store)
    result = guard.apply(request(cands(("clean", 0.5)), request_id="abc"))
    assert result.request_id == "abc"
    assert result.latency_us > 0
    assert result.fallback is None
    assert result.breakers == ()


def test_records_go_to_the_sink(store: MemorySignalStore) -> None:
    sink = MemoryDecisionSink()
    clock = ManualClock(start=5_000.0)
    guard = Guard(parse(RULES, store), store, sink=sink, clock=clock)
    req = request(cands(("clean", 0.5)))
    result = guard.apply(req)
    assert len(sink.records) == 1
    logged = sink.records[0].request
    assert logged == req
    # The record carries the candidates as the columns the guard built (the log reads them).
    assert isinstance(logged.candidates, CandidateColumns)
    assert not isinstance(req.candidates, CandidateColumns)
    assert sink.records[0].result is result
    assert sink.records[0].timestamp == 5_000.0


PRIORITY = """
rules:
  - id: block-p5
    when: item.hate >= 0.9
    action: block
    priority: 5
  - id: block-p0
    when: item.nsfw >= 0.9
    action: block
  - id: demote-p4
    when: item.toxicity >= 0.5
    action: demote
    factor: 0.5
    priority: 4
  - id: label-p0
    when: item.topic = 'news'
    action: label
    label: news
  - id: trusted
    when: creator.risk <= 0.1
    action: allow
    priority: 5
"""


@pytest.mark.parametrize(
    ("row", "creator", "action", "rules", "labels"),
    [
        # allow (5) overrides a lower-priority block, demote and label
        ({"nsfw": 0.95}, "trusted", Action.ALLOW, ("block-p0", "trusted"), ()),
        ({"toxicity": 0.6}, "trusted", Action.ALLOW, ("demote-p4", "trusted"), ()),
        ({"topic": "news"}, "trusted", Action.ALLOW, ("label-p0", "trusted"), ()),
        # ... but not a block of equal priority
        ({"hate": 0.95}, "trusted", Action.BLOCK, ("block-p5", "trusted"), ()),
        (
            {"hate": 0.95, "toxicity": 0.6, "topic": "news"},
            "trusted",
            Action.BLOCK,
            ("block-p5", "demote-p4", "label-p0", "trusted"),
            (),
        ),
        # without the allow, normal precedence: block > demote > label
        ({"nsfw": 0.95, "toxicity": 0.6}, "other", Action.BLOCK, ("block-p0", "demote-p4"), ()),
        (
            {"toxicity": 0.6, "topic": "news"},
            "other",
            Action.DEMOTE,
            ("demote-p4", "label-p0"),
            ("news",),
        ),
        ({}, "trusted", Action.ALLOW, ("trusted",), ()),
    ],
)
def test_allow_overrides_strictly_lower_priority_only(
    row: dict[str, object],
    creator: str,
    action: Action,
    rules: tuple[str, ...],
    labels: tuple[str, ...],
) -> None:
    store = make_store(
        {"x": row} if row else {}, {"trusted": {"risk": 0.0}, "other": {"risk": 0.5}}
    )
    guard = make_guard(PRIORITY, store)
    decision = guard.apply(request(cands(("x", 0.9, creator)))).decisions[0]
    assert decision.action is action
    assert decision.rules == rules
    assert decision.labels == labels
    assert decision.factor == (0.5 if action is Action.DEMOTE else 1.0)


def test_an_overridden_demote_does_not_move_the_item() -> None:
    store = make_store(
        {"x": {"toxicity": 0.9}, "y": {}}, {"trusted": {"risk": 0.0}, "other": {"risk": 0.5}}
    )
    guard = make_guard(PRIORITY, store)
    result = guard.apply(request(cands(("x", 1.0, "trusted"), ("y", 0.6, "other"))))
    assert result.slate == ("x", "y")
    result = guard.apply(request(cands(("x", 1.0, "other"), ("y", 0.6, "other"))))
    assert result.slate == ("y", "x")


def test_creator_ids_come_from_the_store_when_the_request_lacks_them() -> None:
    schema = SCHEMA.merged(SCHEMA.of([SignalField("item.creator_id", FieldType.STRING)]))
    store = make_store(
        {"x": {"creator_id": "shady"}, "y": {"creator_id": "fine"}},
        {"shady": {"risk": 0.9}, "fine": {"risk": 0.1}},
        schema=schema,
    )
    guard = make_guard(RULES, store)
    result = guard.apply(request(cands(("x", 0.9), ("y", 0.8), ("z", 0.7, "shady"))))
    by_item = result.decisions.by_item()
    assert by_item["x"].rules == ("risky",)
    assert by_item["y"].rules == ()
    assert by_item["z"].rules == ("risky",)
