"""Builders shared by the guard tests: stores, bundles, requests and guards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from bastion.core import (
    Candidate,
    FieldType,
    GuardRequest,
    ManualClock,
    SignalField,
    SignalSchema,
    UserContext,
)
from bastion.guard import Guard
from bastion.policy import Bundle, load_bundle, parse_bundle
from bastion.stores import MemorySignalStore

SCHEMA = SignalSchema.of(
    [
        SignalField("item.hate", FieldType.NUMBER),
        SignalField("item.nsfw", FieldType.NUMBER),
        SignalField("item.toxicity", FieldType.NUMBER),
        SignalField("item.topic", FieldType.STRING),
        SignalField("item.bad", FieldType.BOOL),
        SignalField("creator.risk", FieldType.NUMBER),
    ]
)

Row = Mapping[str, object]


def make_store(
    items: Mapping[str, Row] | None = None,
    creators: Mapping[str, Row] | None = None,
    *,
    schema: SignalSchema = SCHEMA,
) -> MemorySignalStore:
    """A memory store with *schema* declared and the given rows written."""
    store = MemorySignalStore(schema=schema)
    for entity, rows in (("item", items or {}), ("creator", creators or {})):
        if not rows:
            continue
        ids = list(rows)
        keys = sorted({key for row in rows.values() for key in row})
        for key in keys:
            present = [i for i in ids if key in rows[i]]
            store.put(entity, present, {key: [rows[i][key] for i in present]})  # type: ignore[arg-type]
    return store


def bundle_text(body: str, name: str = "test") -> str:
    """A bundle's YAML: the header, then *body* (already indented YAML)."""
    return f"version: 1\nname: {name}\n{body}"


def parse(body: str, store: MemorySignalStore, *, name: str = "test") -> Bundle:
    """Parse a bundle whose body is *body*, checked against *store*'s schema."""
    return parse_bundle(bundle_text(body, name), file="test.yaml", provided=store.schema)


def make_guard(
    body: str,
    store: MemorySignalStore,
    *,
    clock: ManualClock | None = None,
    name: str = "test",
) -> Guard:
    """A guard over a bundle with *body*, on a manual clock."""
    return Guard(parse(body, store, name=name), store, clock=clock or ManualClock())


def load_guard(path: Path, store: MemorySignalStore, clock: ManualClock) -> Guard:
    """A guard over the bundle file at *path* (relative stricter bundles resolve)."""
    return Guard(load_bundle(path, store.schema), store, clock=clock)


def cands(*items: tuple[str, float] | tuple[str, float, str | None]) -> list[Candidate]:
    """Candidates in ranker order: ``(item_id, score[, creator_id])``, rank = position."""
    out = []
    for rank, item in enumerate(items):
        creator = item[2] if len(item) == 3 else None
        out.append(Candidate(item[0], item[1], rank, creator_id=creator))
    return out


def request(
    candidates: Sequence[Candidate],
    slate_size: int = 10,
    *,
    user: UserContext | None = None,
    request_id: str = "r1",
    surface: str = "feed",
) -> GuardRequest:
    """A request for *candidates*."""
    return GuardRequest(
        request_id,
        candidates=list(candidates),
        slate_size=slate_size,
        user=user or UserContext("u1", age_band="25-34", region="US"),
        surface=surface,
    )


def ranked(count: int, prefix: str = "i") -> list[Candidate]:
    """*count* candidates with strictly decreasing scores."""
    return [Candidate(f"{prefix}{i}", 1.0 - i / (count + 1), i) for i in range(count)]
