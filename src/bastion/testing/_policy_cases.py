"""Table-driven policy tests: given signals and a user, expect actions.

A case file is YAML::

    defaults:                       # optional, merged into every case
      user: {age_band: '25-34', region: US}
      slate_size: 10
    cases:
      - name: severe hate is blocked
        user: {age_band: '13-17'}   # merged over defaults.user
        items:                      # candidates in ranker order
          - {id: a, creator: c1, hate: 0.95}      # other keys are item signals
          - {id: b, creator: c2, score: 0.5}
        creators:
          c1: {risk: 0.1, verified: true}
        expect:
          a: block                  # or {action, rules, labels, factor, out_rank, constraints}
        expect_slate: [b]           # optional

Scores default to 1.0, 0.99, 0.98 ... in item order. ``bastion policy test``
runs these files, and the project's own policy-semantics tests are such tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bastion.core import (
    Candidate,
    Decision,
    GuardRequest,
    ModelRef,
    PolicyError,
    RequestError,
    SignalSchema,
    SignalStoreError,
    UserContext,
)
from bastion.guard import Guard
from bastion.policy import REQUEST_FIELDS, Bundle, load_bundle
from bastion.policy._yaml import LocatedYaml, load_yaml
from bastion.signals import STANDARD_SIGNALS
from bastion.stores import MemorySignalStore

_EXPECT_KEYS = {"action", "rules", "labels", "factor", "out_rank", "constraints"}
_CASE_KEYS = {
    "name",
    "user",
    "surface",
    "slate_size",
    "items",
    "creators",
    "expect",
    "expect_slate",
    "model",
}


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case."""

    name: str
    line: int | None
    failures: tuple[str, ...] = ()
    decisions: tuple[Decision, ...] = ()
    slate: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.failures


@dataclass(frozen=True)
class CaseReport:
    """All cases of one file against one bundle."""

    bundle: Bundle
    file: str
    results: tuple[CaseResult, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """Whether every case passed."""
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        """How many cases failed."""
        return sum(not r.passed for r in self.results)


def run_case_file(bundle_path: str | Path, cases_path: str | Path) -> CaseReport:
    """Run every case in *cases_path* against the bundle at *bundle_path*.

    Raises:
        PolicyError: The bundle or the case file is invalid (file and line named).
    """
    file = str(cases_path)
    try:
        text = Path(cases_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(f"cannot read the case file: {error}", file=file) from None
    doc = load_yaml(text, file)
    bundle = load_bundle(bundle_path, STANDARD_SIGNALS)
    return CaseReport(bundle=bundle, file=file, results=tuple(run_cases(bundle, doc)))


def run_cases(bundle: Bundle, doc: LocatedYaml) -> list[CaseResult]:
    """Run the cases of a parsed case document against *bundle*."""
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise doc.error("a case file is a mapping with a 'cases' list", ())
    unknown = set(data) - {"cases", "defaults", "bundle"}
    if unknown:
        raise doc.error(f"unknown key(s) {', '.join(sorted(unknown))}", ())
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise doc.error("'defaults' must be a mapping", ("defaults",))
    return [
        _run_case(bundle, doc, index, case, defaults) for index, case in enumerate(data["cases"])
    ]


def _store_schema(bundle: Bundle) -> SignalSchema:
    fields = [
        f
        for f in bundle.schema
        if f.namespace in ("item", "creator") and f.name not in REQUEST_FIELDS
    ]
    return SignalSchema.of(fields)


def _run_case(
    bundle: Bundle, doc: LocatedYaml, index: int, case: Any, defaults: Mapping[str, Any]
) -> CaseResult:
    path: tuple[str | int, ...] = ("cases", index)
    line = doc.line_of(path)
    if not isinstance(case, dict):
        raise doc.error("each case is a mapping", path)
    unknown = set(case) - _CASE_KEYS
    if unknown:
        raise doc.error(f"unknown key(s) {', '.join(sorted(unknown))} in case", path)
    name = str(case.get("name", f"case {index + 1}"))
    store = MemorySignalStore(schema=_store_schema(bundle))
    candidates = _load_items(store, doc, path, case.get("items"))
    _load_creators(store, doc, path, case.get("creators") or {})
    user = {**(defaults.get("user") or {}), **(case.get("user") or {})}
    try:
        request = GuardRequest(
            request_id=f"case-{index + 1}",
            candidates=candidates,
            slate_size=int(
                case.get("slate_size", defaults.get("slate_size", len(candidates) or 1))
            ),
            user=UserContext(
                user_id=str(user.pop("user_id", "case-user")),
                age_band=user.pop("age_band", None),
                region=user.pop("region", None),
                attributes=user,
            ),
            surface=str(case.get("surface", defaults.get("surface", "feed"))),
            model=ModelRef(str(case.get("model", defaults.get("model", "case-ranker")))),
        )
        result = Guard(bundle, store).apply(request)
    except (RequestError, PolicyError, TypeError, ValueError) as error:
        raise doc.error(f"case {name!r} cannot run: {error}", path) from None
    decisions = result.decisions.by_item()
    failures = _compare(doc, path, case.get("expect") or {}, decisions)
    expected_slate = case.get("expect_slate")
    if expected_slate is not None and list(result.slate) != list(expected_slate):
        failures.append(f"slate: expected {list(expected_slate)}, got {list(result.slate)}")
    return CaseResult(name, line, tuple(failures), tuple(result.decisions), result.slate)


def _load_items(
    store: MemorySignalStore, doc: LocatedYaml, path: tuple[str | int, ...], items: Any
) -> list[Candidate]:
    if not isinstance(items, list) or not items:
        raise doc.error("a case needs 'items', a list of candidates", path)
    candidates = []
    for position, item in enumerate(items):
        where = (*path, "items", position)
        if not isinstance(item, dict) or "id" not in item:
            raise doc.error("each item is a mapping with an 'id'", where)
        signals = {k: v for k, v in item.items() if k not in ("id", "creator", "score", "rank")}
        item_id = str(item["id"])
        creator = item.get("creator")
        if creator is not None:
            signals["creator_id"] = str(creator)
        try:
            if signals:
                store.put("item", [item_id], {k: [v] for k, v in signals.items()})
        except SignalStoreError as error:
            raise doc.error(f"item {item_id!r}: {error}", where) from None
        score = item.get("score", round(1.0 - 0.01 * position, 6))
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise doc.error(f"item {item_id!r}: score must be a number", where)
        candidates.append(
            Candidate(
                item_id,
                float(score),
                int(item.get("rank", position)),
                None if creator is None else str(creator),
            )
        )
    return candidates


def _load_creators(
    store: MemorySignalStore, doc: LocatedYaml, path: tuple[str | int, ...], creators: Any
) -> None:
    if not isinstance(creators, dict):
        raise doc.error("'creators' maps creator ids to their signals", (*path, "creators"))
    for creator_id, signals in creators.items():
        where = (*path, "creators", creator_id)
        if not isinstance(signals, dict):
            raise doc.error(f"creator {creator_id!r}: signals must be a mapping", where)
        try:
            if signals:
                store.put("creator", [str(creator_id)], {k: [v] for k, v in signals.items()})
        except SignalStoreError as error:
            raise doc.error(f"creator {creator_id!r}: {error}", where) from None


def _compare(
    doc: LocatedYaml,
    path: tuple[str | int, ...],
    expect: Any,
    decisions: Mapping[str, Decision],
) -> list[str]:
    if not isinstance(expect, dict):
        raise doc.error(
            "'expect' maps item ids to an action or to expected fields", (*path, "expect")
        )
    failures = []
    for item_id, wanted in expect.items():
        where = (*path, "expect", item_id)
        got = decisions.get(str(item_id))
        if got is None:
            raise doc.error(f"expect names item {item_id!r}, which is not among the items", where)
        spec = {"action": wanted} if isinstance(wanted, str) else wanted
        if not isinstance(spec, dict) or set(spec) - _EXPECT_KEYS:
            raise doc.error(
                f"expectation for {item_id!r} must be an action or a mapping of "
                f"{', '.join(sorted(_EXPECT_KEYS))}",
                where,
            )
        actual = {
            "action": got.action.value,
            "rules": list(got.rules),
            "labels": list(got.labels),
            "factor": got.factor,
            "out_rank": got.out_rank,
            "constraints": list(got.constraints),
        }
        for key, value in spec.items():
            have = actual[key]
            same = (
                math.isclose(float(value), float(have), rel_tol=1e-9)
                if key == "factor" and isinstance(value, int | float) and isinstance(have, float)
                else value == have
            )
            if not same:
                failures.append(f"{item_id}: {key} expected {value!r}, got {have!r} ({got.reason})")
    return failures
