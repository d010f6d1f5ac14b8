"""The ``bastion`` command: exit codes, errors that name the place, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bastion.cli import app

ROOT = Path(__file__).resolve().parents[3]
POLICIES = ROOT / "examples" / "policies"
runner = CliRunner()


def test_policy_check_prints_the_plan() -> None:
    result = runner.invoke(app, ["policy", "check", str(POLICIES / "feed-safety.yaml")])
    assert result.exit_code == 0, result.output
    assert "feed-safety" in result.output and "10 rules" in result.output
    assert "def plan(v, n):" in result.output
    assert "creator-diversity" in result.output


def test_policy_check_json() -> None:
    result = runner.invoke(
        app, ["policy", "check", "--json", str(POLICIES / "election-misinfo.yaml")]
    )
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["name"] == "election-misinfo" and len(data["version"]) == 64
    assert data["rules"][0]["sql"].startswith("(((item.topic = 'election')")


def test_policy_check_refuses_a_bad_bundle_with_its_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (POLICIES / "feed-safety.yaml").read_text().replace("item.hate >= 0.9", "item.hat >= 0.9")
    )
    result = runner.invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code == 1
    assert (
        f"{bad}:13: rule 'severe-hate', field 'when': unknown field 'item.hat'; did you mean item.hate"
        in result.output
    )


def test_policy_check_against_a_signal_file(tmp_path: Path) -> None:
    signals = tmp_path / "items.jsonl"
    signals.write_text('{"id": "a", "hate": 0.1}\n')
    result = runner.invoke(
        app, ["policy", "check", "--signals", str(signals), str(POLICIES / "feed-safety.yaml")]
    )
    assert result.exit_code == 1
    assert (
        "field 'item.spam': no signal source provides item.spam (the sources have item fields: item.hate)"
        in (result.output)
    )


def test_policy_test_passes_and_fails(tmp_path: Path) -> None:
    ok = runner.invoke(
        app,
        [
            "policy",
            "test",
            str(POLICIES / "feed-safety.yaml"),
            str(POLICIES / "feed-safety.cases.yaml"),
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "8 passed, 0 failed" in ok.output
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        "cases:\n  - name: oops\n    items: [{id: a, hate: 0.95}]\n    expect: {a: allow}\n"
    )
    failed = runner.invoke(app, ["policy", "test", str(POLICIES / "feed-safety.yaml"), str(wrong)])
    assert failed.exit_code == 1
    assert "FAIL" in failed.output and "expected 'allow', got 'block'" in failed.output
    as_json = runner.invoke(
        app, ["policy", "test", "--json", str(POLICIES / "feed-safety.yaml"), str(wrong)]
    )
    assert as_json.exit_code == 1 and json.loads(as_json.output)["passed"] is False


def test_guard_apply_json() -> None:
    result = runner.invoke(
        app,
        [
            "guard",
            "apply",
            "--json",
            "--policy",
            str(POLICIES / "election-misinfo.yaml"),
            "--signals",
            str(ROOT / "examples/signals/items.jsonl"),
            "--creators",
            str(ROOT / "examples/signals/creators.jsonl"),
            "--request",
            str(ROOT / "examples/requests/election.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    decisions = {d["item_id"]: d for d in data["decisions"]}
    assert decisions["v3"]["action"] == "block"
    assert decisions["v2"]["rules"] == ["election-claim-demote", "election-authority"]
    assert data["slate"] == ["v2", "v4", "v5", "v7"]
    assert decisions["v6"]["constraints"] == ["event-spacing"]


def _apply_election(request: Path) -> tuple[int, str]:
    result = runner.invoke(
        app,
        [
            "guard",
            "apply",
            "--policy",
            str(POLICIES / "election-misinfo.yaml"),
            "--signals",
            str(ROOT / "examples/signals/items.jsonl"),
            "--creators",
            str(ROOT / "examples/signals/creators.jsonl"),
            "--request",
            str(request),
        ],
    )
    return result.exit_code, result.output


def test_guard_apply_reports_a_bad_request(tmp_path: Path) -> None:
    request = tmp_path / "r.json"
    request.write_text(
        '{"request_id": "r", "slate_size": 2, "candidates": [{"item_id": "a", "score": "x"}]}'
    )
    code, output = _apply_election(request)
    assert code == 1 and "request.candidates[0].score" in output
    request.write_text("{not json")
    code, output = _apply_election(request)
    assert code == 1 and f"{request}:1: not valid JSON" in output


def test_version_and_help() -> None:
    assert runner.invoke(app, ["--version"]).output.startswith("bastion ")
    help_text = runner.invoke(app, ["policy", "test", "--help"]).output
    assert "expected action" in help_text
