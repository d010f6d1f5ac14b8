"""A request decoded into candidate columns is logged byte for byte as its Candidate list is."""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.cli._catalogue import build_catalogue
from bastion.core import (
    Candidate,
    CandidateColumns,
    DecisionRecord,
    GuardRequest,
    GuardResult,
    ManualClock,
    ModelRef,
    UserContext,
)
from bastion.guard import Guard
from bastion.policy import load_bundle
from bastion.server import decode_guard_request, encode_guard_result
from bastion.trace import Pseudonymiser, build_body, encode_body
from bastion.trace._body import Column, ItemColumns

from .records import BUNDLE

KEY = Pseudonymiser(b"k" * 32)
ITEMS = 300


@cache
def _store() -> Any:
    return build_catalogue(ITEMS, 30, 3)


def _guard() -> Guard:
    """A fresh guard (breakers closed), so that two of them decide alike."""
    store = _store()
    return Guard(load_bundle(BUNDLE, store.schema), store, clock=ManualClock())


def _as_json(request: GuardRequest) -> bytes:
    user = request.user
    return json.dumps(
        {
            "request_id": request.request_id,
            "slate_size": request.slate_size,
            "surface": request.surface,
            "model": {"name": request.model.name, "version": request.model.version},
            "user": {
                "user_id": user.user_id,
                "age_band": user.age_band,
                "region": user.region,
                **user.attributes,
            },
            "candidates": [
                {
                    "item_id": c.item_id,
                    "score": c.score,
                    "rank": c.rank,
                    "creator_id": c.creator_id,
                    "attributions": None if c.attributions is None else dict(c.attributions),
                }
                for c in request.candidates
            ],
        }
    ).encode()


def _items_as_before(request: GuardRequest, result: GuardResult) -> ItemColumns:
    """The item columns as the log built them from Candidate records, field by field."""
    candidates = request.candidates
    size = len(candidates)
    attributions = [c.attributions for c in candidates]
    table = result.decisions
    return ItemColumns(
        item_id=list(table.item_ids),
        creator_id=[c.creator_id for c in candidates],
        rank=Column.of(np.fromiter((c.rank for c in candidates), np.int32, size)),
        score=Column.of(np.fromiter((c.score for c in candidates), np.float64, size)),
        action=Column.of(table.actions.astype(np.int8)),
        factor=Column.of(table.factors),
        out_rank=Column.of(table.out_ranks.astype(np.int32)),
        attributions=None
        if not any(attributions)
        else [None if a is None else dict(a) for a in attributions],
    )


def _settled(result: GuardResult) -> GuardResult:
    return dataclasses.replace(result, latency_us=12.5)


slates = st.lists(
    st.tuples(
        st.integers(0, ITEMS + 20),  # a few ids the catalogue does not know
        st.floats(-5, 5) | st.integers(-3, 3),
        st.integers(-(2**31), 2**31 - 1) | st.integers(0, 5),
        st.none() | st.sampled_from(["creator-0001", "creator-0007", "nobody"]),
        st.none() | st.dictionaries(st.sampled_from(["watch", "fresh"]), st.floats(-1, 1)),
    ),
    max_size=30,
    unique_by=lambda row: row[0],
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=slates,
    slate_size=st.integers(1, 12),
    age_band=st.sampled_from(["13-17", "25-34"]),
    surface=st.sampled_from(["feed", "explore"]),
)
def test_decoded_columns_log_and_decide_as_the_candidate_list(
    rows: list[tuple[int, float, int, str | None, dict[str, float] | None]],
    slate_size: int,
    age_band: str,
    surface: str,
) -> None:
    listed = GuardRequest(
        request_id="req-1",
        candidates=[
            Candidate(f"item-{item:05d}", score, rank, creator, attributions)
            for item, score, rank, creator, attributions in rows
        ],
        slate_size=slate_size,
        user=UserContext("alice@example.com", age_band, "DE", {"premium": True}),
        surface=surface,
        model=ModelRef("two-tower", "2026.11.1"),
    )
    decoded = decode_guard_request(_as_json(listed))
    assert isinstance(decoded.candidates, CandidateColumns)
    assert decoded == listed

    result = _settled(_guard().apply(listed))
    from_columns = _settled(_guard().apply(decoded))
    assert encode_guard_result(from_columns) == encode_guard_result(result)
    assert from_columns.slate == result.slate

    def logged(request: GuardRequest, decided: GuardResult) -> bytes:
        body = build_body(DecisionRecord(request, decided, 1_790_000_000.0), KEY)
        assert body.items == _items_as_before(listed, result)
        return encode_body(body)

    from_dict = GuardRequest.from_dict(json.loads(_as_json(listed)))
    assert logged(decoded, from_columns) == logged(listed, result) == logged(from_dict, result)
