"""``bastion detect``: one text or a file of texts, scored by the shipped detectors."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from bastion.cli import app
from bastion.detectors import ScoreBatch, _model_files, detector, load_detector, reset_registry

runner = CliRunner()
CLAIM = "Drinking a glass of diluted bleach every morning cures the flu within a day."
TEXTS = ["hello there, nice day", "you are a stupid idiot", "call me on +1 415 555 2671"]


@pytest.fixture
def no_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No model file anywhere: an empty $BASTION_MODELS and an empty packaged directory."""
    empty = tmp_path / "no-models"
    empty.mkdir()
    monkeypatch.setenv("BASTION_MODELS", str(empty))
    monkeypatch.setattr(_model_files, "PACKAGED_MODELS", empty)
    return empty


def test_one_text_prints_scores_spans_and_evidence() -> None:
    result = runner.invoke(app, ["detect", f"{CLAIM} Write to joe@example.com"])
    assert result.exit_code == 0, result.output
    for expected in ("bastion/toxicity", "prompt_injection", "jailbreak", "misinfo", "pii"):
        assert expected in result.output
    assert "joe@example.com" in result.output and "email" in result.output
    assert "diluted bleach" in result.output and "false" in result.output


def test_one_text_as_json() -> None:
    result = runner.invoke(app, ["detect", "--json", f"{CLAIM} joe@example.com"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_name = {r["detector"]: r for r in data["results"]}
    assert set(by_name) == {
        "bastion/toxicity",
        "bastion/prompt_injection",
        "bastion/jailbreak",
        "bastion/pii",
        "bastion/misinfo_claim",
    }
    pii = by_name["bastion/pii"]
    assert pii["spans"][0]["label"] == "email" and pii["spans"][0]["text"] == "joe@example.com"
    assert "email" in pii["flagged"] and pii["scores"]["email"] >= pii["thresholds"]["email"]
    claim = by_name["bastion/misinfo_claim"]
    assert claim["evidence"][0]["claim"] == CLAIM and claim["evidence"][0]["verdict"] == "false"
    assert "misinfo" in claim["flagged"]
    expected = load_detector("toxicity").score([f"{CLAIM} joe@example.com"]).scores[0]
    assert list(by_name["bastion/toxicity"]["scores"].values()) == pytest.approx(expected)


def test_chosen_detectors_only() -> None:
    result = runner.invoke(app, ["detect", "--json", "--detectors", "pii,jailbreak", "hi"])
    assert result.exit_code == 0, result.output
    names = [r["detector"] for r in json.loads(result.stdout)["results"]]
    assert names == ["bastion/pii", "bastion/jailbreak"]


def test_unknown_detector_lists_the_known_ones() -> None:
    result = runner.invoke(app, ["detect", "--detectors", "toxicty", "hi"])
    assert result.exit_code == 2
    assert "no detector named 'toxicty'" in result.output and "bastion/toxicity" in result.output


def test_a_missing_model_names_the_train_command(no_models: Path) -> None:
    result = runner.invoke(app, ["detect", "--detectors", "toxicity", "hi"])
    assert result.exit_code == 2
    assert "bastion detectors train toxicity" in result.output


def test_default_detectors_without_models_are_skipped(no_models: Path) -> None:
    result = runner.invoke(app, ["detect", "--json", "mail a@example.com"])
    assert result.exit_code == 0, result.output
    assert "skipping toxicity" in result.stderr
    assert [r["detector"] for r in json.loads(result.stdout)["results"]] == ["bastion/pii"]


def test_text_and_file_are_exclusive(tmp_path: Path) -> None:
    both = runner.invoke(app, ["detect", "hi", "--file", str(tmp_path / "x.csv")])
    assert both.exit_code == 2 and "not both" in both.output
    neither = runner.invoke(app, ["detect"])
    assert neither.exit_code == 2
    no_out = runner.invoke(app, ["detect", "--file", str(tmp_path / "x.csv")])
    assert no_out.exit_code == 2 and "--out" in no_out.output


def _csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = ["id,text"] + [f'{i},"{t}"' for i, t in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_file_to_parquet_with_ids(tmp_path: Path) -> None:
    posts = _csv(tmp_path / "posts.csv", [(f"p{i}", t) for i, t in enumerate(TEXTS)])
    out = tmp_path / "out" / "scores.parquet"
    result = runner.invoke(
        app,
        ["detect", "--file", str(posts), "--id-column", "id", "--out", str(out)]
        + ["--batch-size", "2"],
    )
    assert result.exit_code == 0, result.output
    assert "3 rows" in result.output and "texts/s" in result.output
    table = pq.read_table(out)
    assert table.column_names[:4] == ["id", "toxicity", "hate", "offensive"]
    for name in ("prompt_injection", "jailbreak", "pii", "phone", "misinfo"):
        assert name in table.column_names
    assert table.column("id").to_pylist() == ["p0", "p1", "p2"]
    assert table.schema.field("toxicity").type == pa.float32()
    expected = load_detector("toxicity").score(TEXTS).column("offensive")
    np.testing.assert_array_equal(table.column("offensive").to_numpy(), expected)
    assert table.column("phone").to_pylist()[2] > 0.5


def test_jsonl_and_parquet_inputs_with_row_numbers(tmp_path: Path) -> None:
    jsonl = tmp_path / "posts.jsonl"
    jsonl.write_text("".join(json.dumps({"body": t}) + "\n" for t in TEXTS), encoding="utf-8")
    parquet = tmp_path / "posts.parquet"
    pq.write_table(pa.table({"body": TEXTS}), parquet)
    for source in (jsonl, parquet):
        out = tmp_path / f"{source.suffix[1:]}.parquet"
        result = runner.invoke(
            app,
            ["detect", "--json", "--file", str(source), "--column", "body", "--out", str(out)]
            + ["--detectors", "jailbreak,pii"],
        )
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert summary["rows"] == 3 and summary["columns"]["phone"]["flagged"] == 1
        table = pq.read_table(out)
        assert table.column_names[:3] == ["row", "jailbreak", "pii"]
        assert table.column("row").to_pylist() == [1, 2, 3]


def test_a_malformed_row_is_reported_with_its_line(tmp_path: Path) -> None:
    posts = tmp_path / "posts.csv"
    posts.write_text('id,text\n1,fine\n2,"broken, too, many",extra\n', encoding="utf-8")
    result = runner.invoke(
        app, ["detect", "--file", str(posts), "--id-column", "id", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert f"{posts}:3" in result.output and "expected 2 fields, found 3" in result.output


def test_a_missing_column_lists_the_columns(tmp_path: Path) -> None:
    posts = _csv(tmp_path / "posts.csv", [("1", "hello")])
    result = runner.invoke(
        app, ["detect", "--file", str(posts), "--column", "body", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "no column 'body'" in result.output and "'id', 'text'" in result.output
    missing_id = runner.invoke(
        app,
        ["detect", "--file", str(posts), "--id-column", "key", "--out", str(tmp_path / "o")],
    )
    assert missing_id.exit_code == 2 and "no column 'key'" in missing_id.output


def test_a_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["detect", "--file", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and "no such file" in result.output


class _Constant:
    """A third-party detector whose column name clashes with a shipped one."""

    name = "acme/toxicity"
    labels = ("toxicity",)
    thresholds = {"toxicity": 0.5}

    def score(self, texts: Sequence[str]) -> ScoreBatch:
        return ScoreBatch(self.name, self.labels, np.full((len(texts), 1), 0.25, np.float32))


@pytest.fixture
def acme() -> Iterator[None]:
    def build(*, model_dir: Path | None = None) -> _Constant:
        return _Constant()

    detector("acme/toxicity")(build)
    yield
    reset_registry()


def test_shared_column_names_get_the_detector_prefix(tmp_path: Path, acme: None) -> None:
    posts = _csv(tmp_path / "posts.csv", [("1", "hello"), ("2", "idiot")])
    out = tmp_path / "scores.parquet"
    result = runner.invoke(
        app,
        [
            "detect",
            "--file",
            str(posts),
            "--out",
            str(out),
            "--detectors",
            "toxicity,acme/toxicity",
        ],
    )
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column_names == [
        "row",
        "toxicity_toxicity",
        "hate",
        "offensive",
        "acme_toxicity_toxicity",
    ]
    assert table.column("acme_toxicity_toxicity").to_pylist() == [0.25, 0.25]
