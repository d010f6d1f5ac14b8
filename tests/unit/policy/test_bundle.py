"""Loading bundles: every error names file, line, rule and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.core import FieldType, PolicyError, SignalField, SignalSchema
from bastion.policy import load_bundle, parse_bundle
from bastion.signals import STANDARD_SIGNALS

GOOD = """\
version: 1
name: test
signals:
  item.hate: {default: 0.0}
rules:
  - id: severe-hate
    when: item.hate >= 0.9
    action: block
  - id: risky
    when: creator.risk >= 0.7
    action: demote
    factor: 0.5
  - id: claim
    when: item.misinfo >= 0.6 AND NOT creator.verified
    action: label
    label: unverified
"""


def _error(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        parse_bundle(text, file="b.yaml", provided=STANDARD_SIGNALS)
    return caught.value


def test_a_good_bundle_compiles_with_its_sql() -> None:
    bundle = parse_bundle(GOOD, file="b.yaml", provided=STANDARD_SIGNALS)
    assert bundle.plan.rule_ids == ("severe-hate", "risky", "claim")
    assert bundle.plan.sql[2] == "((item.misinfo >= 0.6) AND (NOT creator.verified))"
    assert [f.name for f in bundle.read_fields()] == [
        "item.hate",
        "creator.risk",
        "item.misinfo",
        "creator.verified",
    ]
    assert bundle.schema.fields["item.hate"].default == 0.0


@pytest.mark.parametrize(
    ("edit", "line", "rule", "field", "message"),
    [
        (
            ("item.hate >= 0.9", "item.hat >= 0.9"),
            7,
            "severe-hate",
            "when",
            "did you mean item.hate",
        ),
        (("creator.risk >= 0.7", "creator.risk >= 'high'"), 10, "risky", "when", "cannot compare"),
        (("creator.risk >= 0.7", "creator.risk >== 0.7"), 10, "risky", "when", "cannot parse"),
        (
            ("action: label", "action: frobnicate"),
            15,
            "claim",
            "rules.2.action",
            "'allow', 'label'",
        ),
        (("id: risky", "id: severe-hate"), 9, "severe-hate", "id", "duplicate id"),
        (("factor: 0.5", "factor: 2"), 12, "risky", "rules.1.factor", "less than 1"),
        (("    label: unverified\n", ""), 13, "claim", None, "needs 'label'"),
        (
            ("    factor: 0.5\n", "    factor: 0.5\n    colour: red\n"),
            13,
            "risky",
            None,
            "unknown key 'colour'",
        ),
        (
            ("item.hate: {default: 0.0}", "item.hate: {default: 'zero'}"),
            4,
            None,
            "item.hate",
            "expected a number",
        ),
        (("NOT creator.verified", "NOT creator.risk"), 14, "claim", "when", "NOT needs a bool"),
    ],
)
def test_bad_bundles_name_file_line_rule_and_field(
    edit: tuple[str, str], line: int, rule: str | None, field: str | None, message: str
) -> None:
    error = _error(GOOD.replace(*edit))
    assert error.file == "b.yaml"
    assert error.line == line, str(error)
    assert error.rule == rule
    if field is not None:
        assert error.field == field
    assert message in str(error)
    assert str(error).startswith(f"b.yaml:{line}: ")


def test_yaml_syntax_and_duplicate_keys_are_located() -> None:
    assert _error("version: 1\nname: x\nrules: [\n").line is not None
    duplicate = _error("version: 1\nname: x\nname: y\n")
    assert duplicate.line == 3 and "duplicate key 'name'" in duplicate.message


def test_unknown_top_level_key_and_wrong_version() -> None:
    assert "unknown key 'rulez'" in str(_error("version: 1\nname: x\nrulez: []\n"))
    assert _error("version: 2\nname: x\n").line == 1


def test_allow_rule_needs_a_priority() -> None:
    error = _error(GOOD + "  - id: ok\n    when: creator.verified\n    action: allow\n")
    assert "priority" in error.message and error.rule == "ok"


def test_safe_pool_fallback_needs_a_pool() -> None:
    text = GOOD + (
        "breakers:\n  - id: surge\n    watch: block_rate\n    over: 60s\n"
        "    trip_above: 0.3\n    fallback: safe_pool\n"
    )
    error = _error(text)
    assert error.rule == "surge" and "safe_pool" in error.message
    assert parse_bundle(text + "safe_pool: [a, b]\n", provided=STANDARD_SIGNALS).spec.safe_pool == [
        "a",
        "b",
    ]


def test_breaker_durations_parse_and_bad_ones_are_refused() -> None:
    text = GOOD + (
        "breakers:\n  - id: surge\n    watch: block_rate\n    over: 2m\n"
        "    trip_above: 0.3\n    fallback: fail_open\n    cooldown: 1500ms\n"
    )
    breaker = parse_bundle(text, provided=STANDARD_SIGNALS).spec.breakers[0]
    assert (breaker.over, breaker.cooldown) == (120.0, 1.5)
    assert "not a duration" in str(_error(text.replace("2m", "two minutes")))
    assert "rate" in str(_error(text.replace("0.3", "1.5")))


def test_constraint_fields_are_type_checked() -> None:
    base = GOOD + "constraints:\n  - id: gap\n    min_gap: 2\n    field: FIELD\n"
    assert parse_bundle(
        base.replace("FIELD", "item.topic"), provided=STANDARD_SIGNALS
    ).spec.constraints
    assert "did you mean item.topic" in str(_error(base.replace("FIELD", "item.topik")))
    assert "string or number" in str(_error(base.replace("FIELD", "item.mature")))
    assert "exactly one of" in str(_error(GOOD + "constraints:\n  - id: c\n    window: 3\n"))


def test_custom_user_fields_must_be_declared_with_a_type() -> None:
    text = GOOD.replace("item.hate >= 0.9", "user.is_minor")
    error = _error(text)
    assert "Declare request-provided user fields" in error.message
    declared = text.replace("signals:\n", "signals:\n  user.is_minor: {type: bool}\n")
    bundle = parse_bundle(declared, provided=STANDARD_SIGNALS)
    assert bundle.schema.fields["user.is_minor"].type is FieldType.BOOL


def test_a_declared_type_must_match_the_source() -> None:
    error = _error(GOOD.replace("item.hate: {default: 0.0}", "item.hate: {type: string}"))
    assert "provides a number" in error.message


def test_fields_no_source_provides_are_refused_before_serving() -> None:
    bundle = parse_bundle(GOOD, provided=STANDARD_SIGNALS)
    store_schema = SignalSchema.of([SignalField("item.hate", FieldType.NUMBER)])
    with pytest.raises(PolicyError, match="no signal source provides creator.risk, item.misinfo"):
        bundle.check_provided(store_schema)


def test_version_is_the_hash_of_canonical_content() -> None:
    a = parse_bundle(GOOD, provided=STANDARD_SIGNALS)
    reformatted = "# a comment\n" + GOOD.replace("{default: 0.0}", "\n    default: 0")
    assert parse_bundle(reformatted, provided=STANDARD_SIGNALS).version == a.version
    changed = parse_bundle(GOOD.replace("0.9", "0.91"), provided=STANDARD_SIGNALS)
    assert changed.version != a.version
    assert len(a.version) == 64


def test_strict_bundles_load_relative_to_the_file_and_change_the_version(tmp_path: Path) -> None:
    strict = tmp_path / "strict.yaml"
    strict.write_text(GOOD.replace("name: test", "name: strict").replace("0.9", "0.5"))
    main = tmp_path / "main.yaml"
    main.write_text(
        GOOD + "breakers:\n  - id: drift\n    watch: score_psi\n    over: 5m\n"
        "    trip_above: 0.25\n    fallback: strict_bundle\n    bundle: strict.yaml\n"
    )
    first = load_bundle(main, STANDARD_SIGNALS)
    assert first.strict["drift"].name == "strict"
    strict.write_text(GOOD.replace("name: test", "name: strict").replace("0.9", "0.4"))
    assert load_bundle(main, STANDARD_SIGNALS).version != first.version
    strict.unlink()
    with pytest.raises(PolicyError, match="cannot read stricter bundle") as caught:
        load_bundle(main, STANDARD_SIGNALS)
    assert caught.value.rule == "drift" and caught.value.line == 23


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the bundle"):
        load_bundle(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"version: 1\nname: \xff\n")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_bundle(bad)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "just a string",
        "- a\n- list\n",
        "version: 1\nname: x\nrules: {a: 1}\n",
        "!!python/name:os.system",
    ],
)
def test_documents_that_are_not_bundles(text: str) -> None:
    assert isinstance(_error(text), PolicyError)


def test_a_stricter_bundle_cannot_declare_breakers(tmp_path: Path) -> None:
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        GOOD.replace("name: test", "name: strict")
        + "breakers:\n  - id: inner\n    watch: block_rate\n    over: 1m\n"
        "    trip_above: 0.5\n    fallback: fail_open\n"
    )
    main = tmp_path / "main.yaml"
    main.write_text(
        GOOD + "breakers:\n  - id: drift\n    watch: score_psi\n    over: 5m\n"
        "    trip_above: 0.25\n    fallback: strict_bundle\n    bundle: strict.yaml\n"
    )
    with pytest.raises(PolicyError, match="would never run") as caught:
        load_bundle(main, STANDARD_SIGNALS)
    assert caught.value.file == str(strict) and caught.value.rule == "inner"
