"""Core contracts: request decoding, decision tables, errors."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.core import (
    Action,
    DecisionTable,
    FieldType,
    GuardRequest,
    PolicyError,
    RequestError,
    SignalField,
    validate_request,
)

REQUEST = {
    "request_id": "r1",
    "slate_size": 2,
    "surface": "explore",
    "model": {"name": "two-tower", "version": "v3"},
    "user": {"user_id": "u", "age_band": "13-17", "region": "DE", "is_minor": True},
    "candidates": [
        {"item_id": "a", "score": 1, "rank": 0, "attributions": {"watch": 0.7}},
        {"item_id": "b", "score": 0.5, "creator_id": "c9"},
    ],
}


def test_request_from_dict() -> None:
    request = GuardRequest.from_dict(REQUEST)
    assert request.model.version == "v3" and request.surface == "explore"
    assert request.user.attributes == {"is_minor": True}
    assert request.candidates[0].score == 1.0 and request.candidates[0].attributions == {
        "watch": 0.7
    }
    assert request.candidates[1].rank == 1 and request.candidates[1].creator_id == "c9"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"slate_size": "10"}, "request.slate_size: expected int"),
        ({"slate_size": True}, "request.slate_size: expected an integer"),
        ({"candidates": {}}, "request.candidates: expected a list"),
        ({"candidates": [{"score": 1}]}, "request.candidates[0].item_id: required"),
        (
            {"candidates": [{"item_id": "a", "score": "high"}]},
            "request.candidates[0].score: expected float",
        ),
        (
            {"candidates": [{"item_id": "a", "score": 1, "attributions": {"x": "y"}}]},
            "attributions",
        ),
        ({"user": {"age_band": 17}}, "request.user.age_band"),
        ({"user": {"nested": {"a": 1}}}, "request.user.nested"),
        ({"extra": 1}, "unknown field(s) extra"),
        ({"model": "m"}, "request.model"),
        (
            {"candidates": [{"item_id": "a", "score": 1, "rank": 2**31}]},
            "request.candidates[0].rank: 2147483648 is out of range",
        ),
    ],
)
def test_bad_requests_name_the_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(RequestError, match=None) as caught:
        GuardRequest.from_dict({**REQUEST, **change})
    assert message in str(caught.value)


def test_slate_size_must_fit_the_log() -> None:
    request = GuardRequest.from_dict({**REQUEST, "slate_size": 2**31})
    with pytest.raises(RequestError, match="slate_size must be at most 2147483647"):
        validate_request(request, ["a"], np.array([1.0]))


def test_missing_request_id() -> None:
    data = dict(REQUEST)
    del data["request_id"]
    with pytest.raises(RequestError, match="request.request_id: required field is missing"):
        GuardRequest.from_dict(data)


def _table() -> DecisionTable:
    fired = np.array([[True, False, False], [True, True, False]])
    return DecisionTable(
        item_ids=["a", "b", "c"],
        actions=np.array([3, 1, 0], dtype=np.int8),
        factors=np.ones(3),
        out_ranks=np.array([-1, 0, 1], dtype=np.int32),
        fired=fired,
        effective=fired,
        rule_ids=["block-it", "label-it"],
        rule_labels=[None, "lbl"],
        extra_rules={2: ("breaker:x",)},
        constraints={2: ("diversity",)},
    )


def test_decision_table_materialises_decisions() -> None:
    table = _table()
    assert len(table) == 3
    a, b, c = table
    assert a.action is Action.BLOCK and a.out_rank is None and a.rules == ("block-it", "label-it")
    assert a.labels == ("lbl",)
    assert b.action is Action.LABEL and b.out_rank == 0 and b.rules == ("label-it",)
    assert c.rules == ("breaker:x",) and c.constraints == ("diversity",)
    assert table[-1] == c and list(table[1:]) == [b, c]
    assert table.by_item()["b"] == b
    assert table.counts() == {Action.ALLOW: 1, Action.LABEL: 1, Action.DEMOTE: 0, Action.BLOCK: 1}
    with pytest.raises(IndexError):
        table[3]
    with pytest.raises(ValueError, match="read-only"):
        table.actions[0] = 0
    assert "block (block-it, label-it); not served" == a.reason


def test_policy_error_formatting() -> None:
    error = PolicyError("bad", file="f.yaml", line=3, rule="r", field="when")
    assert str(error) == "f.yaml:3: rule 'r', field 'when': bad"
    assert str(PolicyError("bad")) == "bad"
    assert str(PolicyError("bad").located(file="g.yaml", line=2)) == "g.yaml:2: bad"


def test_signal_field_validation() -> None:
    assert SignalField("item.hate", FieldType.NUMBER, 0).default == 0.0
    with pytest.raises(ValueError, match="must look like"):
        SignalField("hate", FieldType.NUMBER)
    with pytest.raises(ValueError, match="expected true or false"):
        SignalField("item.flag", FieldType.BOOL, "yes")
