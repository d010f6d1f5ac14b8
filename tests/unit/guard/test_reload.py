"""Guard.reload: atomic swaps, refused bundles, breaker state carried over."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bastion.core import (
    Action,
    BreakerStatus,
    FieldType,
    ManualClock,
    PolicyError,
    SignalField,
    SignalSchema,
)
from bastion.guard import Guard
from bastion.policy import Bundle, parse_bundle
from bastion.stores import MemorySignalStore

from ._support import SCHEMA, bundle_text, cands, make_guard, make_store, parse, request

BLOCK_HATE = """
rules:
  - id: hate
    when: item.hate >= 0.9
    action: block
"""
BLOCK_NSFW = """
rules:
  - id: nsfw
    when: item.nsfw >= 0.5
    action: block
"""
BREAKER = """
breakers:
  - id: surge
    watch: block_rate
    over: 60s
    trip_above: 0.5
    min_events: 4
    fallback: fail_open
    cooldown: 30s
"""


def _store() -> MemorySignalStore:
    return make_store({"hateful": {"hate": 0.95, "nsfw": 0.0}, "racy": {"hate": 0.0, "nsfw": 0.8}})


def _slate(guard: Guard) -> tuple[str, ...]:
    return guard.apply(request(cands(("hateful", 0.9), ("racy", 0.8)))).slate


def test_a_valid_bundle_takes_effect() -> None:
    store = _store()
    guard = make_guard(BLOCK_HATE, store)
    old = guard.policy_version
    assert _slate(guard) == ("racy",)
    new = parse(BLOCK_NSFW, store)
    returned = guard.reload(new)
    assert returned is new
    assert guard.policy_version == new.version != old
    result = guard.apply(request(cands(("hateful", 0.9), ("racy", 0.8))))
    assert result.slate == ("hateful",)
    assert result.policy_version == new.version
    assert guard.reload_failures == 0


def test_reload_from_a_file(tmp_path: Path) -> None:
    store = _store()
    guard = make_guard(BLOCK_HATE, store)
    path = tmp_path / "new.yaml"
    path.write_text(bundle_text(BLOCK_NSFW, name="from-file"), encoding="utf-8")
    bundle = guard.reload(path)
    assert bundle.name == "from-file"
    assert guard.bundle.name == "from-file"
    assert _slate(guard) == ("hateful",)


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nname: broken\nrules: [\n",  # bad YAML
        bundle_text(BLOCK_NSFW + "    colour: red\n"),  # unknown field in a rule
        bundle_text(BLOCK_NSFW) + "extra_section: 1\n",  # unknown top-level field
        bundle_text(BLOCK_NSFW.replace("item.nsfw", "item.nsfww")),  # unknown signal
        bundle_text(BLOCK_NSFW.replace(">= 0.5", ">= 'high'")),  # type error
    ],
    ids=["bad-yaml", "unknown-rule-key", "unknown-top-key", "unknown-signal", "type-error"],
)
def test_an_invalid_file_is_refused_and_the_old_bundle_keeps_deciding(
    tmp_path: Path, text: str
) -> None:
    store = _store()
    guard = make_guard(BLOCK_HATE, store)
    old = guard.policy_version
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        guard.reload(path)
    assert info.value.file == str(path)
    assert guard.reload_failures == 1
    assert guard.policy_version == old
    result = guard.apply(request(cands(("hateful", 0.9), ("racy", 0.8))))
    assert result.slate == ("racy",)
    assert result.policy_version == old
    with pytest.raises(PolicyError):
        guard.reload(path)
    assert guard.reload_failures == 2


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    guard = make_guard(BLOCK_HATE, _store())
    with pytest.raises(PolicyError):
        guard.reload(tmp_path / "nowhere.yaml")
    assert guard.reload_failures == 1


def _wider_bundle(body: str) -> Bundle:
    wider = SCHEMA.merged(SignalSchema.of([SignalField("item.spam", FieldType.NUMBER)]))
    return parse_bundle(bundle_text(body), file="wide.yaml", provided=wider)


SPAM = """
rules:
  - id: spam
    when: item.spam >= 0.9
    action: block
"""


def test_a_bundle_reading_a_field_the_store_lacks_is_refused_at_construction() -> None:
    store = _store()
    with pytest.raises(PolicyError, match="item.spam"):
        Guard(_wider_bundle(SPAM), store)


def test_a_constraint_on_a_field_the_store_lacks_is_refused() -> None:
    body = """
constraints:
  - id: gap
    min_gap: 2
    field: item.spam
"""
    with pytest.raises(PolicyError, match="item.spam"):
        Guard(_wider_bundle(body), _store())


def test_a_bundle_reading_a_field_the_store_lacks_is_refused_at_reload(tmp_path: Path) -> None:
    store = _store()
    guard = make_guard(BLOCK_HATE, store)
    old = guard.policy_version
    with pytest.raises(PolicyError, match="item.spam"):
        guard.reload(_wider_bundle(SPAM))
    assert guard.reload_failures == 1
    path = tmp_path / "spam.yaml"
    path.write_text(bundle_text(SPAM), encoding="utf-8")
    with pytest.raises(PolicyError, match="item.spam"):
        guard.reload(path)
    assert guard.reload_failures == 2
    assert guard.policy_version == old
    assert _slate(guard) == ("racy",)


def test_a_field_of_another_type_in_the_store_is_refused() -> None:
    other = SCHEMA.merged(SignalSchema.of([SignalField("item.hate", FieldType.STRING)]))
    text = bundle_text("rules:\n  - id: h\n    when: item.hate = 'x'\n    action: block\n")
    bundle = parse_bundle(text, provided=other)
    with pytest.raises(PolicyError, match="item.hate"):
        Guard(bundle, _store())


def test_latency_breaker_without_a_budget_is_refused() -> None:
    body = BREAKER.replace("block_rate", "latency_overrun_rate")
    with pytest.raises(PolicyError, match="latency_budget"):
        make_guard(body, _store())


def _trip(guard: Guard) -> None:
    """Three blocks out of four events: 0.75 > 0.5 with min_events 4."""
    guard.apply(request(cands(("hateful", 0.9), ("a", 0.1))))
    assert guard.breaker_states()[0].status is BreakerStatus.CLOSED
    guard.apply(request(cands(("hateful", 0.9))))
    guard.apply(request(cands(("hateful", 0.9))))
    assert guard.breaker_states()[0].status is BreakerStatus.OPEN


def test_breakers_with_an_unchanged_spec_keep_their_state() -> None:
    store = _store()
    clock = ManualClock()
    guard = make_guard(BLOCK_HATE + BREAKER, store, clock=clock)
    guard.apply(request(cands(("hateful", 0.9), ("racy", 0.8), ("a", 0.1), ("b", 0.0))))
    assert guard.breaker_states()[0].events == 4
    guard.reload(parse(BLOCK_NSFW + BREAKER, store))
    state = guard.breaker_states()[0]
    assert state.events == 4
    assert state.value == pytest.approx(0.25)
    # a second request of 4 with 2 blocks (racy, and nothing else) -> 3/8 still closed
    guard.apply(request(cands(("hateful", 0.9), ("racy", 0.8), ("a", 0.1), ("b", 0.0))))
    assert guard.breaker_states()[0].events == 8


def test_an_open_breaker_stays_open_across_a_reload() -> None:
    store = make_store({"hateful": {"hate": 0.95, "nsfw": 0.9}})
    clock = ManualClock()
    guard = make_guard(BLOCK_HATE + BREAKER, store, clock=clock)
    _trip(guard)
    guard.reload(parse(BLOCK_NSFW + BREAKER, store))
    assert guard.breaker_states()[0].status is BreakerStatus.OPEN
    result = guard.apply(request(cands(("hateful", 0.9), ("a", 0.1))))
    assert result.fallback == "fail_open"
    assert result.slate == ("hateful", "a")


def test_breakers_with_a_changed_spec_start_closed() -> None:
    store = make_store({"hateful": {"hate": 0.95}})
    guard = make_guard(BLOCK_HATE + BREAKER, store)
    _trip(guard)
    guard.reload(parse(BLOCK_HATE + BREAKER.replace("cooldown: 30s", "cooldown: 40s"), store))
    state = guard.breaker_states()[0]
    assert state.status is BreakerStatus.CLOSED
    assert state.events == 0
    result = guard.apply(request(cands(("hateful", 0.9), ("a", 0.1))))
    assert result.fallback is None
    assert result.decisions[0].action is Action.BLOCK


def test_reload_from_many_threads_while_others_apply() -> None:
    store = _store()
    first = parse(BLOCK_HATE, store)
    second = parse(BLOCK_NSFW, store, name="second")
    guard = Guard(first, store)
    versions = {first.version, second.version}
    expected = {first.version: ("racy",), second.version: ("hateful",)}
    errors: list[BaseException] = []
    seen: list[tuple[str, tuple[str, ...]]] = []
    start = threading.Barrier(8)

    def reloader(index: int) -> None:
        try:
            start.wait()
            for round_ in range(60):
                guard.reload(first if (index + round_) % 2 else second)
        except BaseException as error:  # noqa: BLE001 - collected and re-raised below
            errors.append(error)

    def applier() -> None:
        try:
            start.wait()
            for _ in range(150):
                result = guard.apply(request(cands(("hateful", 0.9), ("racy", 0.8))))
                seen.append((result.policy_version, result.slate))
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=reloader, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=applier) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert len(seen) == 600
    assert {version for version, _ in seen} <= versions
    # a result never mixes one bundle's version with the other's decisions
    assert all(slate == expected[version] for version, slate in seen)
    assert guard.policy_version in versions
    assert guard.reload_failures == 0
