"""Batched lookup: defaults, missing masks, creator resolution, user attributes."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.core import Candidate, FieldType, GuardRequest, RequestError, SignalField, UserContext
from bastion.signals import STANDARD_SIGNALS, SignalGatherer
from bastion.stores import MemorySignalStore


def _store() -> MemorySignalStore:
    store = MemorySignalStore()
    store.put(
        "item",
        ["a", "b"],
        {"hate": [0.5, None], "creator_id": ["c1", None], "mature": [True, None]},
    )
    store.put("creator", ["c1"], {"risk": [0.9]})
    return store


def _request(**user: object) -> GuardRequest:
    return GuardRequest(
        "r",
        [Candidate("a", 1.0, 0), Candidate("b", 0.5, 1, creator_id="c2"), Candidate("zz", 0.1, 2)],
        3,
        user=UserContext("u", "13-17", None, dict(user)),  # type: ignore[arg-type]
    )


def test_values_defaults_and_missing() -> None:
    fields = [
        SignalField("item.hate", FieldType.NUMBER, 0.0),
        SignalField("item.mature", FieldType.BOOL),
        SignalField("creator.risk", FieldType.NUMBER),
        SignalField("item.creator_id", FieldType.STRING),
        SignalField("user.age_band", FieldType.STRING),
        SignalField("user.region", FieldType.STRING, "unknown"),
    ]
    request = _request()
    got = SignalGatherer(fields).gather(request, _store())
    assert got.values["item.hate"].tolist() == [0.5, 0.0, 0.0]  # default fills missing
    assert got.values["item.mature"].tolist() == [True, False, False]
    assert got.nulls["item.mature"].tolist() == [False, True, True]
    # b's creator comes from the request (c2, unknown to the store); zz has none.
    assert got.creator_ids is not None and got.creator_ids.tolist() == ["c1", "c2", None]
    assert np.isnan(got.values["creator.risk"][1:]).all() and got.values["creator.risk"][0] == 0.9
    assert got.values["user.age_band"] == "13-17" and got.values["user.region"] == "unknown"
    # Missing is measured before defaults: b and zz lack hate, mature and a known creator.
    assert got.missing.tolist() == [False, True, True]


def test_user_attribute_of_the_wrong_type_is_refused() -> None:
    fields = [SignalField("user.is_minor", FieldType.BOOL)]
    gatherer = SignalGatherer(fields)
    ok = gatherer.gather(_request(is_minor=True), _store())
    assert bool(ok.values["user.is_minor"]) is True and bool(ok.nulls["user.is_minor"]) is False
    absent = gatherer.gather(_request(), _store())
    assert bool(absent.nulls["user.is_minor"]) is True
    with pytest.raises(RequestError, match="request.user.is_minor: expected true or false"):
        gatherer.gather(_request(is_minor="yes"), _store())


def test_standard_signals_are_item_and_creator_fields() -> None:
    assert {f.namespace for f in STANDARD_SIGNALS} == {"item", "creator"}
    assert STANDARD_SIGNALS.fields["item.mature"].type is FieldType.BOOL
