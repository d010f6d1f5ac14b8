"""Malformed and unusual requests: what the guard refuses and what it tolerates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bastion.core import Action, MemoryDecisionSink, RequestError, UserContext
from bastion.guard import Guard

from ._support import cands, make_guard, make_store, parse, request

HATE = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
"""


@pytest.fixture
def guard() -> Guard:
    store = make_store({"a": {"hate": 0.95}, "b": {"hate": 0.1}, "c": {"hate": 0.2}})
    return make_guard(HATE, store)


def test_duplicate_item_ids_name_the_id_and_both_positions(guard: Guard) -> None:
    req = request(cands(("a", 0.9), ("b", 0.8), ("c", 0.7), ("b", 0.6)))
    with pytest.raises(RequestError) as info:
        guard.apply(req)
    message = str(info.value)
    assert "'b'" in message
    assert "candidates 1 and 3" in message


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_scores_name_the_candidate(guard: Guard, bad: float) -> None:
    req = request(cands(("a", 0.9), ("b", 0.8), ("c", bad)))
    with pytest.raises(RequestError) as info:
        guard.apply(req)
    message = str(info.value)
    assert "candidate 2" in message
    assert "'c'" in message
    assert "non-finite" in message


def test_a_refused_request_is_not_recorded() -> None:
    sink = MemoryDecisionSink()
    store = make_store({"a": {"hate": 0.1}})
    guard = Guard(parse(HATE, store), store, sink=sink)
    with pytest.raises(RequestError):
        guard.apply(request(cands(("a", math.nan))))
    guard.apply(request(cands(("a", 0.5))))
    assert [r.result.request_id for r in sink.records] == ["r1"]


def test_empty_candidate_list_gives_an_empty_slate(guard: Guard) -> None:
    result = guard.apply(request([], slate_size=5))
    assert result.slate == ()
    assert len(result.decisions) == 0
    assert list(result.decisions) == []
    assert result.decisions.counts() == {a: 0 for a in Action}
    assert result.fallback is None
    assert result.policy_version == guard.bundle.version


def test_slate_size_larger_than_candidates_serves_every_allowed_item(guard: Guard) -> None:
    result = guard.apply(request(cands(("a", 0.9), ("b", 0.8), ("c", 0.7)), slate_size=10))
    assert result.slate == ("b", "c")
    assert len(result.slate) < 10
    by_item = result.decisions.by_item()
    assert by_item["a"].out_rank is None
    assert (by_item["b"].out_rank, by_item["c"].out_rank) == (0, 1)


@pytest.mark.parametrize("size", [0, -1])
def test_slate_size_below_one_is_refused(guard: Guard, size: int) -> None:
    with pytest.raises(RequestError, match="slate_size"):
        guard.apply(request(cands(("a", 0.9)), slate_size=size))


def test_slate_size_zero_with_no_candidates_is_still_refused(guard: Guard) -> None:
    with pytest.raises(RequestError, match="slate_size"):
        guard.apply(request([], slate_size=0))


def test_unknown_user_attributes_are_ignored(guard: Guard) -> None:
    candidates = cands(("a", 0.9), ("b", 0.8), ("c", 0.7))
    plain = guard.apply(request(candidates, user=UserContext("u1")))
    extra = UserContext("u1", attributes={"shoe_size": 44, "mood": "sunny", "odd": None})
    noisy = guard.apply(request(candidates, user=extra))
    assert noisy.slate == plain.slate
    assert list(noisy.decisions) == list(plain.decisions)
    assert not any(key.startswith("user.") for key in noisy.signals)


MINOR = """
signals:
  user.is_minor: {type: bool}
  user.hour: {type: number}
rules:
  - id: minor-nsfw
    when: user.is_minor AND item.nsfw >= 0.2
    action: block
  - id: night
    when: user.hour BETWEEN 0 AND 5
    action: label
    label: night
"""


@pytest.mark.parametrize(
    "attributes",
    [
        {"is_minor": "yes", "hour": 3},
        {"is_minor": 1, "hour": 3},
        {"is_minor": True, "hour": "3"},
        {"is_minor": True, "hour": True},
    ],
)
def test_declared_user_attribute_of_the_wrong_type_is_refused(
    attributes: dict[str, object],
) -> None:
    store = make_store({"a": {"nsfw": 0.5}})
    guard = make_guard(MINOR, store)
    user = UserContext("u1", attributes=attributes)  # type: ignore[arg-type]
    with pytest.raises(RequestError) as info:
        guard.apply(request(cands(("a", 0.9)), user=user))
    wrong = "is_minor" if not isinstance(attributes["is_minor"], bool) else "hour"
    assert wrong in str(info.value)


def test_declared_user_attributes_of_the_right_type_are_read() -> None:
    store = make_store({"a": {"nsfw": 0.5}, "b": {"nsfw": 0.1}})
    guard = make_guard(MINOR, store)
    minor = UserContext("u1", attributes={"is_minor": True, "hour": 3})
    adult = UserContext("u2", attributes={"is_minor": False, "hour": 12})
    candidates = cands(("a", 0.9), ("b", 0.8))
    for_minor = guard.apply(request(candidates, user=minor)).decisions.by_item()
    for_adult = guard.apply(request(candidates, user=adult)).decisions.by_item()
    assert for_minor["a"].action is Action.BLOCK
    assert for_minor["b"].labels == ("night",)
    assert for_adult["a"].action is Action.ALLOW
    assert for_adult["a"].labels == ()


def test_an_absent_declared_user_attribute_reads_null() -> None:
    store = make_store({"a": {"nsfw": 0.5}})
    guard = make_guard(MINOR, store)
    result = guard.apply(request(cands(("a", 0.9)), user=UserContext("u1")))
    assert result.decisions[0].action is Action.ALLOW
    assert result.decisions[0].rules == ()


def test_ids_missing_from_the_store_read_null_and_fire_nothing() -> None:
    body = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
  - id: not-clean
    when: NOT item.hate < 0.5
    action: label
    label: unclear
"""
    store = make_store({"known": {"hate": 0.95}})
    guard = make_guard(body, store)
    result = guard.apply(request(cands(("known", 0.9), ("ghost", 0.8))))
    by_item = result.decisions.by_item()
    assert by_item["known"].action is Action.BLOCK
    assert by_item["known"].rules == ("hate", "not-clean")
    assert by_item["ghost"].action is Action.ALLOW
    assert by_item["ghost"].rules == ()
    assert result.slate == ("ghost",)
    hate = result.signals["item.hate"]
    assert hate[0] == 0.95
    assert np.isnan(hate[1])


def test_ids_missing_from_the_store_take_a_declared_default() -> None:
    body = """
signals:
  item.nsfw: {default: 1.0}
  creator.risk: {default: 0.9}
rules:
  - id: nsfw
    when: item.nsfw >= 0.2
    action: block
  - id: risky
    when: creator.risk >= 0.7
    action: demote
    factor: 0.5
"""
    store = make_store({"clean": {"nsfw": 0.0}}, {"good": {"risk": 0.1}})
    guard = make_guard(body, store)
    candidates = cands(("clean", 0.9, "good"), ("ghost", 0.8, "good"), ("clean2", 0.7, "nobody"))
    result = guard.apply(request(candidates))
    by_item = result.decisions.by_item()
    assert by_item["clean"].action is Action.ALLOW
    assert by_item["ghost"].action is Action.BLOCK
    assert by_item["ghost"].rules == ("nsfw",)
    # clean2 is unknown too (nsfw defaults to 1.0) and its creator is unknown.
    assert by_item["clean2"].rules == ("nsfw", "risky")
    assert result.signals["item.nsfw"].tolist() == [0.0, 1.0, 1.0]
    assert result.signals["creator.risk"].tolist() == [0.1, 0.1, 0.9]
