"""``bastion trace``: why, query, stats and verify over a real log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bastion.cli import app
from bastion.trace import TraceConfig, TraceWriter

from ..trace.records import records

runner = CliRunner()
RECORDS = records(12)


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("trace")
    with TraceWriter(TraceConfig(directory=directory, hmac_key="k" * 32)) as writer:
        writer.append(RECORDS)
    return directory


def blocked(index: int) -> tuple[str, str]:
    record = RECORDS[index]
    item = next(d.item_id for d in record.result.decisions if d.action.value == "block")
    return record.request.request_id, item


def test_why_explains_an_item(log: Path) -> None:
    request_id, item_id = blocked(0)
    result = runner.invoke(app, ["trace", "why", request_id, item_id, "--log", str(log)])
    assert result.exit_code == 0, result.output
    assert f"item {item_id}" in result.output
    assert "removed: blocked by" in result.output
    assert "ranker two-tower 2026.11.1" in result.output


def test_why_json_and_log_from_the_environment(log: Path) -> None:
    request_id, _ = blocked(0)
    result = runner.invoke(
        app, ["trace", "why", request_id, "--json"], env={"BASTION_TRACE_DIR": str(log)}
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["request_id"] == request_id
    assert any(i["action"] == "block" for i in data["items"])


def test_why_for_an_unknown_request_fails_clearly(log: Path) -> None:
    result = runner.invoke(app, ["trace", "why", "missing", "--log", str(log)])
    assert result.exit_code == 1
    assert "no decision record for request 'missing'" in result.output


def test_query_outputs(log: Path) -> None:
    sql = "SELECT count(*) AS n FROM decisions"
    as_json = runner.invoke(app, ["trace", "query", sql, "--log", str(log), "--output", "json"])
    assert json.loads(as_json.output) == [{"n": 12 * 40}]
    as_csv = runner.invoke(app, ["trace", "query", sql, "--log", str(log), "--output", "csv"])
    assert as_csv.output.splitlines() == ["n", "480"]
    bad = runner.invoke(app, ["trace", "query", "SELECT nope", "--log", str(log)])
    assert bad.exit_code == 1 and "query failed" in bad.output


def test_stats(log: Path) -> None:
    result = runner.invoke(
        app, ["trace", "stats", "--log", str(log), "--group-by", "creator.group", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    blocked_total = sum(r["blocked"] for r in data["block rate by rule"])
    assert blocked_total >= sum(
        1 for r in RECORDS for d in r.result.decisions if d.action.value == "block"
    )
    shares = [row["exposure_share"] for row in data["exposure by creator.group"]]
    assert sum(shares) == pytest.approx(1.0)
    bad = runner.invoke(app, ["trace", "stats", "--log", str(log), "--group-by", "creator.nope"])
    assert bad.exit_code == 1 and "no such column" in bad.output


def test_verify_passes_then_fails_after_tampering(log: Path, tmp_path: Path) -> None:
    ok = runner.invoke(app, ["trace", "verify", "--log", str(log), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["ok"]
    copy = tmp_path / "copy"
    (copy / "segments").mkdir(parents=True)
    for path in log.rglob("*"):
        if path.is_file():
            target = copy / path.relative_to(log)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    manifest = copy / "manifest.jsonl"
    manifest.write_text(manifest.read_text().replace('"records": 12', '"records": 11'))
    failed = runner.invoke(app, ["trace", "verify", "--log", str(copy)])
    assert failed.exit_code == 1
    assert "segment 00000001: mismatch: 12 records, the manifest says 11" in failed.output


def test_a_missing_log_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["trace", "verify", "--log", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "not a decision log" in result.output
