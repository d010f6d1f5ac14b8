"""Policy semantics as decision tables; the same files `bastion policy test` runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.core import PolicyError
from bastion.testing import run_case_file

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples" / "policies").glob("*.cases.yaml"))
CASES = Path(__file__).parent / "cases"


@pytest.mark.parametrize("cases", EXAMPLES, ids=lambda p: p.name)
def test_example_bundles_pass_their_cases(cases: Path) -> None:
    bundle = cases.with_name(cases.name.replace(".cases.yaml", ".yaml"))
    report = run_case_file(bundle, cases)
    assert report.results, "a case file without cases proves nothing"
    assert report.passed, [r.failures for r in report.results if not r.passed]


def test_examples_exist() -> None:
    names = {p.name for p in EXAMPLES}
    assert {
        "feed-safety.cases.yaml",
        "teen-protection.cases.yaml",
        "election-misinfo.cases.yaml",
    } <= names


def test_precedence_table() -> None:
    report = run_case_file(CASES / "precedence.bundle.yaml", CASES / "precedence.yaml")
    assert len(report.results) == 6
    assert report.passed, [r.failures for r in report.results if not r.passed]


def test_a_wrong_expectation_fails_with_a_readable_diff(tmp_path: Path) -> None:
    cases = tmp_path / "wrong.yaml"
    cases.write_text(
        "cases:\n  - name: wrong\n    items:\n      - {id: a, x: 0.95}\n"
        "    expect:\n      a: allow\n    expect_slate: [a]\n"
    )
    report = run_case_file(CASES / "precedence.bundle.yaml", cases)
    assert not report.passed and report.failed == 1
    failures = report.results[0].failures
    assert "a: action expected 'allow', got 'block'" in failures[0]
    assert "slate: expected ['a'], got []" in failures[1]
    assert report.results[0].line == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases: 3\n", "'cases' list"),
        ("cases:\n  - {name: x}\n", "needs 'items'"),
        ("cases:\n  - {items: [{id: a, x: 'high'}]}\n", "expected a number"),
        ("cases:\n  - {items: [{id: a}], expect: {b: block}}\n", "not among the items"),
        ("cases:\n  - {items: [{id: a}], expect: {a: {colour: red}}}\n", "expectation for 'a'"),
        ("cases:\n  - {items: [{id: a}], frobs: 1}\n", "unknown key(s) frobs"),
    ],
)
def test_bad_case_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    cases = tmp_path / "bad.yaml"
    cases.write_text(text)
    with pytest.raises(PolicyError) as caught:
        run_case_file(CASES / "precedence.bundle.yaml", cases)
    assert message in str(caught.value)
    assert caught.value.file == str(cases) and caught.value.line is not None
