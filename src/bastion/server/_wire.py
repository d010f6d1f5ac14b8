"""The guard endpoint's wire format: raw JSON bytes to a request, a result to bytes.

This is the hot path, so it skips pydantic and per-candidate dicts. Figures
for 500 candidates on the 2-core reference machine (``gc.freeze`` after
start-up):

* decoding: ``json.loads`` + :meth:`GuardRequest.from_dict` 1.3-1.5 ms;
  msgspec ``Struct`` decoding 0.05-0.09 ms, plus 0.05 ms to lay the
  candidates out as :class:`~bastion.core.CandidateColumns`, which the guard
  and the decision log read as they are (building 500
  :class:`~bastion.core.Candidate` records instead took 0.15-0.19 ms through
  their slot descriptors, 0.36-0.8 ms through their dataclass ``__init__``);
* encoding: :class:`~bastion.core.DecisionTable` rows built one
  :class:`~bastion.core.Decision` at a time cost 4-6 ms; reading its columns
  and encoding msgspec structs costs well under a tenth of that.

The accepted language is exactly :meth:`GuardRequest.from_dict`'s: when
msgspec refuses a body, the body is decoded again generically and handed to
``from_dict``, so that the error names the field in the same words (a test
checks both agree on generated bodies).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec
import numpy as np

from bastion.core import (
    ACTION_BY_SEVERITY,
    CandidateColumns,
    GuardRequest,
    GuardResult,
    ModelRef,
    RequestError,
    UserContext,
)

JSON_MEDIA_TYPE: Final = "application/json"
# Ranks and slate sizes are stored as 32-bit integers in the decision log (and
# ranked as 64-bit ones by the guard); from_dict takes any integer.
_INT32 = (-(2**31), 2**31 - 1)
_UserValue = str | int | float | bool | None


class BodyError(RequestError):
    """The request body is not JSON at all (answered 400, not 422)."""


class CandidateBody(msgspec.Struct, gc=False):
    """One candidate as sent; fields other than these are ignored, as in ``from_dict``."""

    item_id: str
    score: float
    rank: int | msgspec.UnsetType = msgspec.UNSET
    creator_id: str | None = None
    attributions: dict[str, float] | None = None


class ModelBody(msgspec.Struct, gc=False):
    """The ranker model that produced the slate."""

    name: str = "unknown"
    version: str = ""


class GuardRequestBody(msgspec.Struct, forbid_unknown_fields=True):
    """A ``POST /v1/guard`` body (the format of :meth:`GuardRequest.from_dict`)."""

    request_id: str
    slate_size: int
    candidates: list[CandidateBody]
    user: dict[str, _UserValue] = {}
    surface: str = "feed"
    model: ModelBody = msgspec.field(default_factory=ModelBody)


class BreakerBody(msgspec.Struct, gc=False):
    """A circuit breaker's state when the request was decided."""

    id: str
    status: str
    value: float
    events: int


class DecisionBody(msgspec.Struct, gc=False):
    """What the guard decided for one candidate, and why."""

    item_id: str
    action: str
    factor: float
    rules: tuple[str, ...]
    labels: tuple[str, ...]
    out_rank: int | None
    constraints: tuple[str, ...]


class GuardResponseBody(msgspec.Struct):
    """A ``POST /v1/guard`` answer (the format of ``bastion guard apply --json``)."""

    request_id: str
    slate: list[str]
    policy_version: str
    fallback: str | None
    latency_us: float
    breakers: list[BreakerBody]
    decisions: list[DecisionBody]


_DECODER: Final = msgspec.json.Decoder(GuardRequestBody)
_ENCODER: Final = msgspec.json.Encoder()


def decode_guard_request(body: bytes, *, max_candidates: int | None = None) -> GuardRequest:
    """Decode a ``POST /v1/guard`` body into a request.

    Args:
        body: The raw body.
        max_candidates: Refuse requests with more candidates than this.

    Raises:
        BodyError: The body is not JSON.
        RequestError: A field is missing or has the wrong type (named as
            ``from_dict`` names it), or a rank or the slate size is outside
            the 32-bit range the decision log stores.
        TooManyCandidatesError: More than *max_candidates* candidates.
    """
    try:
        decoded = _DECODER.decode(body)
    except msgspec.ValidationError as error:
        raise _explain(body, error) from None
    except msgspec.DecodeError as error:
        raise BodyError(f"request body: not valid JSON: {error}") from None
    candidates = decoded.candidates
    if max_candidates is not None and len(candidates) > max_candidates:
        raise TooManyCandidatesError(
            f"request.candidates: {len(candidates)} candidates; "
            f"this server takes at most {max_candidates} per request"
        )
    # Type errors first (in from_dict's words), then the ranges from_dict does not check.
    user = _user(decoded.user) if decoded.user else _NO_USER
    built = _candidates(candidates)
    _check_range(decoded.slate_size, "request.slate_size")
    return GuardRequest(
        request_id=decoded.request_id,
        candidates=built,
        slate_size=decoded.slate_size,
        user=user,
        surface=decoded.surface,
        model=ModelRef(decoded.model.name, decoded.model.version),
    )


class TooManyCandidatesError(RequestError):
    """A request has more candidates than the server takes (answered 413)."""


_NO_USER: Final = UserContext()


def _candidates(bodies: list[CandidateBody]) -> CandidateColumns:
    unset = msgspec.UNSET
    ranks = [index if body.rank is unset else body.rank for index, body in enumerate(bodies)]
    low, high = _INT32
    try:
        rank_column = np.array(ranks, dtype=np.int64)  # min and max in NumPy: 3x faster
        in_range = not ranks or low <= rank_column.min() <= rank_column.max() <= high
    except OverflowError:  # msgspec decodes integers up to 2**64 - 1
        in_range = False
    if not in_range:
        bad = next(i for i, rank in enumerate(ranks) if not low <= rank <= high)
        raise RequestError(
            f"request.candidates[{bad}].rank: {ranks[bad]} is out of range ({low} to {high})"
        )
    return CandidateColumns.of(
        [body.item_id for body in bodies],
        np.array([body.score for body in bodies], dtype=np.float64),
        rank_column,
        [body.creator_id for body in bodies],
        [body.attributions for body in bodies],
    )


def _user(data: dict[str, _UserValue]) -> UserContext:
    user_id = data.get("user_id", "")
    age_band = data.get("age_band")
    region = data.get("region")
    if (
        not isinstance(user_id, str)
        or not (age_band is None or isinstance(age_band, str))
        or not (region is None or isinstance(region, str))
    ):
        # from_dict names the field and the problem, in its words.
        GuardRequest.from_dict({"request_id": "", "slate_size": 1, "candidates": [], "user": data})
        raise RequestError("request.user: invalid")  # not reached: from_dict raised
    attributes = {k: v for k, v in data.items() if k not in ("user_id", "age_band", "region")}
    return UserContext(user_id=user_id, age_band=age_band, region=region, attributes=attributes)


def _check_range(value: int, where: str) -> None:
    low, high = _INT32
    if not low <= value <= high:
        raise RequestError(f"{where}: {value} is out of range ({low} to {high})")


def _explain(body: bytes, error: msgspec.ValidationError) -> RequestError:
    """The error ``from_dict`` gives for *body*, or msgspec's own in its words."""
    try:
        data = msgspec.json.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        data = _UNDECODABLE
    if data is not _UNDECODABLE:
        try:
            GuardRequest.from_dict(data)
        except RequestError as canonical:
            return canonical
        except (ValueError, TypeError, OverflowError):
            pass
    message = str(error)
    what, found, where = message.rpartition(" - at `")
    if not found:
        what, where = message, "$`"
    location = "request" + where.rstrip("`").removeprefix("$")
    return RequestError(f"{location}: {what[:1].lower()}{what[1:]}")


_UNDECODABLE: Final = object()


def encode_guard_result(result: GuardResult) -> bytes:
    """The JSON answer for *result*, built from the decision table's columns."""
    return _ENCODER.encode(_guard_response(result))


def _guard_response(result: GuardResult) -> GuardResponseBody:
    table = result.decisions
    size = len(table)
    rules = _per_item(table.fired, table.rule_ids, size)
    for index, notes in table.extra_rules.items():
        rules[index] = (*rules[index], *notes)
    labelled = [r for r, label in enumerate(table.rule_labels) if label is not None]
    labels = _per_item(
        table.effective[labelled] if labelled else table.effective[:0],
        [table.rule_labels[r] or "" for r in labelled],
        size,
    )
    constraints: list[tuple[str, ...]] = [()] * size
    for index, names in table.constraint_effects.items():
        constraints[index] = names
    action_names = _ACTION_NAMES
    decision = DecisionBody
    decisions = [
        decision(
            item_id, action_names[action], factor, rule, label, None if rank < 0 else rank, notes
        )
        for item_id, action, factor, rule, label, rank, notes in zip(
            table.item_ids,
            table.actions.tolist(),
            table.factors.tolist(),
            rules,
            labels,
            table.out_ranks.tolist(),
            constraints,
            strict=True,
        )
    ]
    return GuardResponseBody(
        request_id=result.request_id,
        slate=list(result.slate),
        policy_version=result.policy_version,
        fallback=result.fallback,
        latency_us=round(result.latency_us, 1),
        breakers=[
            BreakerBody(b.breaker_id, b.status.value, b.value, b.events) for b in result.breakers
        ],
        decisions=decisions,
    )


_ACTION_NAMES: Final = tuple(a.value for a in ACTION_BY_SEVERITY)


def _per_item(matrix: np.ndarray, names: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """For each column of a (names x items) boolean matrix, the names set in it, in order."""
    out: list[tuple[str, ...]] = [()] * size
    if not matrix.size:
        return out
    items, rows = np.nonzero(matrix.T)
    for item, row in zip(items.tolist(), rows.tolist(), strict=True):
        out[item] = (*out[item], names[row])
    return out
