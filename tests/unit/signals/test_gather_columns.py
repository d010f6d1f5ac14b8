"""Gathering from candidate columns gives the values gathering from Candidate records gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bastion.core import (
    Candidate,
    FieldType,
    GuardRequest,
    SignalField,
    UserContext,
    candidate_columns,
)
from bastion.signals import SignalGatherer
from bastion.stores import MemorySignalStore

FIELDS = [
    SignalField("item.hate", FieldType.NUMBER, 0.0),
    SignalField("item.rank", FieldType.NUMBER),
    SignalField("item.score", FieldType.NUMBER),
    SignalField("item.creator_id", FieldType.STRING, "nobody"),
    SignalField("creator.risk", FieldType.NUMBER),
]


def _store() -> MemorySignalStore:
    store = MemorySignalStore()
    store.put("item", ["a", "b"], {"hate": [0.5, None], "creator_id": ["c1", None]})
    store.put("creator", ["c1", "c2"], {"risk": [0.9, 0.2]})
    return store


rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        st.floats(-3, 3),
        st.integers(-(2**31), 2**31 - 1),
        st.none() | st.sampled_from(["c1", "c2", "c3"]),
    ),
    max_size=4,
    unique_by=lambda row: row[0],
)


@given(rows=rows)
def test_columns_gather_as_candidates(rows: list[tuple[str, float, int, str | None]]) -> None:
    candidates = [Candidate(item, score, rank, creator) for item, score, rank, creator in rows]
    columns = candidate_columns(candidates)
    gatherer = SignalGatherer(FIELDS)
    store = _store()
    user = UserContext("u")
    listed = gatherer.gather(GuardRequest("r", candidates, 2, user=user), store)
    expected_ranks = np.array([c.rank for c in candidates], dtype=np.float64)
    assert np.array_equal(listed.values["item.rank"], expected_ranks)
    for request, given_columns in (
        (GuardRequest("r", columns, 2, user=user), None),
        (GuardRequest("r", candidates, 2, user=user), columns),
    ):
        got = gatherer.gather(request, store, given_columns)
        assert got.values.keys() == listed.values.keys()
        for name, values in listed.values.items():
            assert np.array_equal(got.values[name], values, equal_nan=values.dtype.kind == "f")
        assert got.missing.tolist() == listed.missing.tolist()
        assert got.creator_ids is not None and listed.creator_ids is not None
        assert got.creator_ids.tolist() == listed.creator_ids.tolist()
        assert got.creator_ids.tolist() == [
            c.creator_id or {"a": "c1"}.get(c.item_id) for c in candidates
        ]
