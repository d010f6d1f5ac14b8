"""The hot path's wire format: the same language as ``GuardRequest.from_dict``, the same
answer as ``bastion guard apply --json``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.cli._guard import result_to_json
from bastion.core import CandidateColumns, GuardRequest, ManualClock, RequestError
from bastion.guard import Guard
from bastion.policy import load_bundle, parse_bundle
from bastion.server import decode_guard_request, encode_guard_result
from bastion.server._wire import BodyError, TooManyCandidatesError
from bastion.stores import MemorySignalStore

from .conftest import EXAMPLES

# -- decoding ----------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
)
anything = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


candidate = st.fixed_dictionaries(
    {"item_id": st.text(max_size=5), "score": st.floats(-10, 10) | st.integers(-5, 5)},
    optional={
        "rank": st.integers(0, 50) | st.integers(-(2**65), 2**65),
        "creator_id": st.none() | st.text(max_size=3),
        "attributions": st.none()
        | st.dictionaries(st.text(max_size=3), st.floats(-1, 1) | st.integers(), max_size=2),
        "extra": anything,
    },
)
user = st.fixed_dictionaries(
    {},
    optional={
        "user_id": st.text(max_size=3),
        "age_band": st.none() | st.sampled_from(["13-17", "25-34"]),
        "region": st.none() | st.text(max_size=2),
        "premium": scalars,
    },
)
valid_request = st.fixed_dictionaries(
    {
        "request_id": st.text(max_size=4),
        "slate_size": st.integers(1, 10) | st.integers(-(2**65), 2**65),
        "candidates": st.lists(candidate, max_size=4),
    },
    optional={
        "user": user,
        "surface": st.text(max_size=4),
        "model": st.fixed_dictionaries({}, optional={"name": st.text(), "version": st.text()}),
    },
)


@st.composite
def bodies(draw: st.DrawFn) -> Any:
    """A valid request, one with a single field replaced or removed, or any JSON."""
    kind = draw(st.sampled_from(["valid", "changed", "changed", "anything"]))
    if kind == "anything":
        return draw(anything)
    data = draw(valid_request)
    if kind == "changed":
        places: list[tuple[dict[str, Any], str]] = [(data, key) for key in (*data, "unexpected")]
        for nested in ("user", "model"):
            if isinstance(data.get(nested), dict):
                places += [(data[nested], key) for key in data[nested]]
        for entry in data["candidates"]:
            places += [(entry, key) for key in entry]
        container, key = draw(st.sampled_from(places))
        if key in container and draw(st.booleans()):
            del container[key]
        else:
            container[key] = draw(anything)
    return data


def _reference(data: Any) -> GuardRequest | str:
    try:
        return GuardRequest.from_dict(data)
    except RequestError as error:
        return str(error)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=bodies())
def test_decoding_agrees_with_from_dict(data: Any) -> None:
    body = json.dumps(data).encode()
    expected = _reference(json.loads(body))
    try:
        decoded: GuardRequest | str = decode_guard_request(body)
    except RequestError as error:
        decoded = str(error)
    if isinstance(expected, GuardRequest):
        if isinstance(decoded, str):
            # from_dict accepts integers past 32 bits that the decision log cannot store; the
            # server refuses them up front, naming the field.
            assert "out of range" in decoded, decoded
        else:
            assert decoded == expected
    else:
        assert decoded == expected


def test_unknown_candidate_fields_are_ignored_as_in_from_dict() -> None:
    body = {
        "request_id": "r",
        "slate_size": 1,
        "candidates": [{"item_id": "a", "score": 1, "x": [1]}],
    }
    assert decode_guard_request(json.dumps(body).encode()) == GuardRequest.from_dict(body)


def test_missing_ranks_default_to_the_candidate_position() -> None:
    body = {
        "request_id": "r",
        "slate_size": 2,
        "candidates": [
            {"item_id": "a", "score": 1},
            {"item_id": "b", "score": 1, "rank": 7},
            {"item_id": "c", "score": 0},
        ],
    }
    request = decode_guard_request(json.dumps(body).encode())
    assert [c.rank for c in request.candidates] == [0, 7, 2]
    assert request.candidates[0].attributions is None and request.candidates[0].creator_id is None


def test_candidates_are_decoded_as_columns() -> None:
    body = {
        "request_id": "r",
        "slate_size": 2,
        "candidates": [
            {"item_id": "a", "score": 1, "creator_id": "c1"},
            {"item_id": "b", "score": 0.5, "rank": 7, "attributions": {"watch": 1}},
        ],
    }
    candidates = decode_guard_request(json.dumps(body).encode()).candidates
    assert isinstance(candidates, CandidateColumns)
    assert candidates.item_ids == ["a", "b"] and candidates.creator_ids == ["c1", None]
    assert candidates.scores.tolist() == [1.0, 0.5] and candidates.ranks.tolist() == [0, 7]
    assert candidates.attributions == [None, {"watch": 1.0}]
    assert candidates == GuardRequest.from_dict(body).candidates
    del body["candidates"][1]["attributions"]  # type: ignore[index]
    assert decode_guard_request(json.dumps(body).encode()).candidates.attributions is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("rank", [2**31, 2**63, 2**64 - 1])
def test_ranks_past_32_bits_are_refused_by_position(rank: int) -> None:
    body = {
        "request_id": "r",
        "slate_size": 1,
        "candidates": [{"item_id": "a", "score": 1}, {"item_id": "b", "score": 1, "rank": rank}],
    }
    with pytest.raises(RequestError) as raised:
        decode_guard_request(json.dumps(body).encode())
    assert str(raised.value) == (
        f"request.candidates[1].rank: {rank} is out of range (-2147483648 to 2147483647)"
    )


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"", BodyError, "request body: not valid JSON"),
        (b"{", BodyError, "request body: not valid JSON"),
        (b'{"request_id": NaN}', BodyError, "not valid JSON"),
        (b"[]", RequestError, "request: expected a JSON object"),
        (
            b'{"request_id": "r", "slate_size": 1}',
            RequestError,
            "request.candidates: expected a list",
        ),
        (
            b'{"request_id": "r", "slate_size": 1, "candidates": [{"item_id": "a", "score": 1e400}]}',
            RequestError,
            "request.candidates[0].score: number out of range",
        ),
        (
            b'{"request_id": "r", "slate_size": 1, "candidates": [{"item_id": "a", "score": 1, "rank": 1e30}]}',
            RequestError,
            "request.candidates[0].rank: expected int (an integer), got 1e+30",
        ),
        (
            b'{"request_id": "r", "slate_size": 1, "candidates": [{"item_id": "a", "score": 1, "rank": 99999999999999999999999}]}',
            RequestError,
            "request.candidates[0].rank: 99999999999999999999999 is out of range",
        ),
        (
            b'{"request_id": "r", "slate_size": 99999999999999999999999, "candidates": []}',
            RequestError,
            "request.slate_size: 99999999999999999999999 is out of range",
        ),
        (
            b'{"request_id": "r", "slate_size": 2147483648, "candidates": []}',
            RequestError,
            "request.slate_size: 2147483648 is out of range (-2147483648 to 2147483647)",
        ),
        (
            b'{"request_id": "r", "slate_size": 1, "candidates": [{"item_id": "a", "score": 1, "rank": -2147483649}]}',
            RequestError,
            "request.candidates[0].rank: -2147483649 is out of range (-2147483648 to 2147483647)",
        ),
        (b"[" * 100_000 + b"]" * 100_000, RequestError, "request: expected"),
    ],
)
def test_bad_bodies_name_the_problem(body: bytes, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as raised:
        decode_guard_request(body)
    assert message in str(raised.value)


def test_too_many_candidates() -> None:
    body = {
        "request_id": "r",
        "slate_size": 1,
        "candidates": [{"item_id": str(i), "score": 0} for i in range(11)],
    }
    with pytest.raises(
        TooManyCandidatesError, match=r"11 candidates; this server takes at most 10"
    ):
        decode_guard_request(json.dumps(body).encode(), max_candidates=10)
    assert len(decode_guard_request(json.dumps(body).encode(), max_candidates=11).candidates) == 11


# -- encoding ----------------------------------------------------------------------

POOL_BUNDLE = """
version: 1
name: pool
rules:
  - {id: hate, when: item.hate >= 0.9, action: block}
  - {id: mild, when: item.hate >= 0.5, action: label, label: mild}
breakers:
  - {id: surge, watch: block_rate, over: 60s, trip_above: 0.5, min_events: 4, fallback: safe_pool, cooldown: 30s}
  - {id: outage, watch: missing_signal_rate, over: 60s, trip_above: 0.9, min_events: 1000000, fallback: fail_closed}
safe_pool: [p1, p2]
"""


def _catalogue() -> MemorySignalStore:
    from bastion.cli._catalogue import build_catalogue

    return build_catalogue(400, 40, 3)


STORE = _catalogue()
FEED = Guard(
    load_bundle(EXAMPLES / "policies" / "feed-safety.yaml", STORE.schema),
    STORE,
    clock=ManualClock(),
)


@settings(max_examples=40, deadline=None)
@given(
    picks=st.lists(st.integers(0, 409), min_size=0, max_size=60, unique=True),
    slate=st.integers(1, 30),
    teen=st.booleans(),
    unknown=st.integers(0, 3),
)
def test_encoding_equals_the_cli_json(
    picks: list[int], slate: int, teen: bool, unknown: int
) -> None:
    ids = [f"item-{p:05d}" if p < 400 else f"evergreen-{p - 399:03d}" for p in picks]
    ids += [f"unknown-{k}" for k in range(unknown)]
    rng = np.random.default_rng(len(ids))
    body = {
        "request_id": "r",
        "slate_size": slate,
        "user": {"age_band": "13-17" if teen else "25-34"},
        "candidates": [
            {"item_id": i, "score": float(s)}
            for i, s in zip(ids, rng.random(len(ids)), strict=True)
        ],
    }
    result = FEED.apply(GuardRequest.from_dict(body))
    assert json.loads(encode_guard_result(result)) == result_to_json(result)


def test_encoding_of_fallback_results_equals_the_cli_json() -> None:
    store = MemorySignalStore()
    store.put(
        "item",
        ["bad0", "bad1", "bad2", "bad3", "x", "p1", "p2"],
        {"hate": [0.99] * 4 + [0.6, 0, 0]},
    )
    clock = ManualClock()
    guard = Guard(
        parse_bundle(POOL_BUNDLE, file="pool.yaml", provided=store.schema), store, clock=clock
    )

    def decide(*ids: str) -> None:
        body = {
            "request_id": "r",
            "slate_size": 3,
            "candidates": [{"item_id": i, "score": 1 - k / 10} for k, i in enumerate(ids)],
        }
        result = guard.apply(GuardRequest.from_dict(body))
        assert json.loads(encode_guard_result(result)) == result_to_json(result)
        return result

    assert decide("x", "bad0", "missing").fallback is None
    decide("bad0", "bad1", "bad2", "bad3")
    assert decide("x", "p2", "bad0").fallback == "safe_pool"
