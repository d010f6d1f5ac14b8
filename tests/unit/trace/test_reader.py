"""``why`` and queries over what the guard decided."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.trace import TraceConfig, TraceError, TraceNotFoundError, TraceReader, TraceWriter

from .records import records

RECORDS = records(20)


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> TraceReader:
    directory = tmp_path_factory.mktemp("log")
    config = TraceConfig(directory=directory, hmac_key="a-test-key-of-32-bytes-----------")
    with TraceWriter(config) as writer:
        writer.append(RECORDS[:12])
        writer.flush()
    writer = TraceWriter(config)  # a second run: sealed segment + open records
    writer.start()
    writer.append(RECORDS[12:])
    writer.flush()
    writer._log.sync()  # type: ignore[union-attr]
    yield TraceReader(directory)
    writer.close()


def blocked_item(index: int) -> tuple[str, str]:
    record = RECORDS[index]
    decision = next(d for d in record.result.decisions if d.action.value == "block")
    return record.request.request_id, decision.item_id


def test_why_explains_a_blocked_item_in_plain_language(reader: TraceReader) -> None:
    request_id, item_id = blocked_item(0)
    record = RECORDS[0]
    decision = record.result.decisions.by_item()[item_id]
    explanation = reader.explain(request_id, item_id)
    (item,) = explanation.items
    assert item.outcome.startswith("removed: blocked by ")
    assert [r.id for r in item.rules] == list(decision.rules)
    assert all(r.action in {"block", "demote", "label", "allow"} for r in item.rules)
    assert item.out_rank is None
    assert set(item.signals) == {
        n
        for n, v in record.result.signals.items()
        if hasattr(v, "__len__") and not isinstance(v, str)
    }
    text = explanation.to_text()
    assert "ranker two-tower 2026.11.1" in text
    assert f"item {item_id}" in text
    assert "breaker block-surge" in text


def test_why_shows_the_rankers_attributions_and_final_position(reader: TraceReader) -> None:
    record = RECORDS[3]
    first = record.result.slate[0]
    candidate = next(c for c in record.request.candidates if c.item_id == first)
    (item,) = reader.explain(record.request.request_id, first).items
    assert item.out_rank == 0
    assert item.outcome.startswith("served at position 1 of")
    assert item.input_rank == candidate.rank
    assert item.score == candidate.score
    if candidate.attributions:
        assert item.top_attributions[0] == ("watch_time", candidate.attributions["watch_time"])


def test_why_for_a_request_lists_every_changed_item(reader: TraceReader) -> None:
    record = RECORDS[15]  # in the open segment
    explanation = reader.explain(record.request.request_id)
    changed = {
        d.item_id for d in record.result.decisions if d.action.value != "allow" or d.constraints
    }
    assert {i.item_id for i in explanation.items} == changed
    assert explanation.slate == record.result.slate
    assert explanation.to_dict()["request_id"] == record.request.request_id


def test_unknown_request_or_item_is_a_clear_error(reader: TraceReader) -> None:
    with pytest.raises(TraceNotFoundError, match="no decision record for request 'nope'"):
        reader.explain("nope")
    with pytest.raises(TraceNotFoundError, match="was not a candidate"):
        reader.explain(RECORDS[0].request.request_id, "item-99999")


def test_queries_see_sealed_and_open_records(reader: TraceReader) -> None:
    table = reader.query(
        "SELECT count(DISTINCT request_id) AS requests, count(*) AS items, "
        "count(*) FILTER (WHERE action = 'block') AS blocked FROM decisions"
    )
    expected_blocked = sum(
        r.result.decisions.counts()[r.result.decisions[0].action.BLOCK] for r in RECORDS
    )
    assert table.to_pylist() == [{"requests": 20, "items": 800, "blocked": expected_blocked}]
    by_rule = reader.query(
        "SELECT rule, count(*) AS n FROM (SELECT unnest(rules) AS rule FROM decisions) GROUP BY rule"
    )
    assert by_rule.num_rows > 0


def test_bad_sql_names_the_problem(reader: TraceReader) -> None:
    with pytest.raises(TraceError, match="query failed"):
        reader.query("SELECT nope FROM decisions")


def test_a_folder_that_is_not_a_log_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="not a decision log"):
        TraceReader(tmp_path)
