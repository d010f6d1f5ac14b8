"""Candidate columns read exactly as the list of candidates they hold."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.core import (
    Candidate,
    CandidateColumns,
    GuardRequest,
    RequestError,
    UserContext,
    candidate_columns,
)

candidate = st.builds(
    Candidate,
    item_id=st.text(max_size=4),
    score=st.floats(allow_nan=False) | st.integers(-(2**40), 2**40),
    rank=st.integers(-(2**63), 2**63 - 1),
    creator_id=st.none() | st.text(max_size=3),
    attributions=st.none()
    | st.dictionaries(st.text(max_size=3), st.floats(allow_nan=False), max_size=2),
)
candidate_lists = st.lists(candidate, max_size=8)


def _columns(candidates: list[Candidate]) -> CandidateColumns:
    """The columns of *candidates*, through the public constructor."""
    return CandidateColumns(
        item_ids=[c.item_id for c in candidates],
        scores=[c.score for c in candidates],
        ranks=[c.rank for c in candidates],
        creator_ids=[c.creator_id for c in candidates],
        attributions=[c.attributions for c in candidates],
    )


@given(candidates=candidate_lists, data=st.data())
def test_columns_read_as_the_list(candidates: list[Candidate], data: st.DataObject) -> None:
    for columns in (_columns(candidates), candidate_columns(candidates)):
        assert len(columns) == len(candidates)
        assert list(columns) == candidates
        assert columns == candidates and candidates == columns
        assert not (columns != candidates) and not (candidates != columns)
        assert columns == tuple(candidates)
        for index in range(-len(candidates), len(candidates)):
            assert columns[index] == candidates[index]
            assert type(columns[index].score) is float and type(columns[index].rank) is int
        for index in (len(candidates), -len(candidates) - 1):
            with pytest.raises(IndexError):
                columns[index]
        bounds = st.none() | st.integers(-10, 10)
        step = data.draw(st.none() | st.integers(-3, 3).filter(bool))
        part = slice(data.draw(bounds), data.draw(bounds), step)
        assert isinstance(columns[part], CandidateColumns)
        assert list(columns[part]) == candidates[part] and columns[part] == candidates[part]
        assert list(reversed(columns)) == candidates[::-1]
        if candidates:
            assert candidates[-1] in columns
            assert columns.index(candidates[-1]) == candidates.index(candidates[-1])
            assert columns.count(candidates[0]) == candidates.count(candidates[0])


@given(candidates=candidate_lists)
def test_candidate_columns_round_trips(candidates: list[Candidate]) -> None:
    columns = candidate_columns(candidates)
    assert candidate_columns(columns) is columns
    again = _columns(list(columns))
    assert again == columns and columns == again and again == candidates
    assert columns.item_ids == [c.item_id for c in candidates]
    assert columns.scores.dtype == np.float64 and columns.ranks.dtype == np.int64
    assert columns.scores.tolist() == [float(c.score) for c in candidates]
    assert columns.ranks.tolist() == [c.rank for c in candidates]
    assert columns.creator_ids == [c.creator_id for c in candidates]
    if all(c.attributions is None for c in candidates):
        assert columns.attributions is None
    else:
        assert columns.attributions == [c.attributions for c in candidates]
    assert pickle.loads(pickle.dumps(columns)) == candidates


@given(candidates=st.lists(candidate, min_size=1, max_size=6), data=st.data())
def test_a_different_candidate_makes_them_unequal(
    candidates: list[Candidate], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(candidates) - 1))
    field = data.draw(st.sampled_from(["item_id", "score", "rank", "creator_id", "attributions"]))
    changed = list(candidates)
    old = candidates[index]
    new_value = {
        "item_id": old.item_id + "x",
        "score": old.score + 1 if abs(old.score) < 2**50 else 0.5,
        "rank": old.rank + 1 if old.rank < 2**63 - 1 else 0,
        "creator_id": (old.creator_id or "") + "x",
        "attributions": {**(old.attributions or {}), "not-drawn": 1.0},
    }[field]
    changed[index] = Candidate(
        **{f: getattr(old, f) for f in Candidate.__dataclass_fields__} | {field: new_value}
    )
    mine, theirs = candidate_columns(candidates), candidate_columns(changed)
    assert mine != changed and changed != mine
    assert mine != theirs and theirs != mine
    assert mine != candidates[:-1] and mine != [*candidates, candidates[0]]


@given(candidates=candidate_lists)
def test_requests_with_columns_equal_requests_with_lists(candidates: list[Candidate]) -> None:
    user = UserContext("u", "13-17", "DE", {"premium": True})
    listed = GuardRequest("r", candidates, 3, user=user)
    columnar = GuardRequest("r", candidate_columns(candidates), 3, user=user)
    assert listed == columnar and columnar == listed
    assert GuardRequest("other", candidate_columns(candidates), 3, user=user) != listed


def test_columns_are_unhashable_and_read_only() -> None:
    columns = candidate_columns([Candidate("a", 1.0, 0), Candidate("b", 0.5, 1)])
    with pytest.raises(TypeError):
        hash(columns)
    with pytest.raises(ValueError, match="read-only"):
        columns.scores[0] = 2.0
    with pytest.raises(ValueError, match="read-only"):
        columns.ranks[0] = 2
    assert columns != "ab" and columns != 3 and columns != [1, 2]
    assert repr(columns).startswith("CandidateColumns([Candidate(item_id='a'")


def test_constructor_defaults_and_checks_lengths() -> None:
    columns = CandidateColumns(item_ids=["a", "b"], scores=[1, 0.5], ranks=[0, 1])
    assert columns == [Candidate("a", 1.0, 0), Candidate("b", 0.5, 1)]
    assert columns.creator_ids == [None, None] and columns.attributions is None
    empty = CandidateColumns(item_ids=[], scores=[], ranks=[])
    assert len(empty) == 0 and empty == [] and list(empty) == []
    for bad in (
        {"scores": [1.0]},
        {"ranks": [0, 1, 2]},
        {"creator_ids": ["c"]},
        {"attributions": [None]},
        {"scores": [[1.0], [2.0]]},
    ):
        arguments = {"item_ids": ["a", "b"], "scores": [1.0, 0.5], "ranks": [0, 1]} | bad
        with pytest.raises(ValueError, match="expected 2 values"):
            CandidateColumns(**arguments)  # type: ignore[arg-type]


def test_columns_of_a_generic_sequence_and_a_rank_past_64_bits() -> None:
    assert candidate_columns((Candidate("a", 1.0, 4),)).ranks.tolist() == [4]
    with pytest.raises(RequestError, match=r"candidate 1 \('b'\) has rank 9223372036854775808"):
        candidate_columns([Candidate("a", 1.0, 0), Candidate("b", 1.0, 2**63)])
