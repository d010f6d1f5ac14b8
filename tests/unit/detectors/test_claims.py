"""misinfo_claim: claims files, the claim index, the detector and its LIAR figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.detectors import DataError, Detector, DetectorError, load_detector
from bastion.detectors._claim_files import Claim, read_claims
from bastion.detectors._claims import (
    EVIDENCE_FLOOR,
    ClaimMatcher,
    build_claim_index,
    fit_logistic,
    misinfo_claim,
)
from bastion.detectors._model_files import PACKAGED_MODELS, load_model
from tests.shared_data import shared_data

REPOSITORY = Path(__file__).resolve().parents[3]
EXAMPLES = REPOSITORY / "examples" / "claims" / "known-false-claims.jsonl"

LIAR_ROWS = (
    "1.json\tfalse\tThe moon is made of cheese.\tscience\tjoe\t\t\t\t0\t0\t0\t0\t0\ta speech\n"
    '2.json\ttrue\tWater boils at 100 "degrees" at sea level.\tscience\tann\n'
    "3.json\tpants-fire\tBirds are government drones.\tanimals\n"
    "\n"
)


def write(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


# Claims files


def test_liar_tsv_keeps_false_and_pants_fire_with_line_sources(tmp_path: Path) -> None:
    path = write(tmp_path / "train.tsv", LIAR_ROWS)
    claims = read_claims(path)
    assert claims == [
        Claim("The moon is made of cheese.", "false", f"{tmp_path.name}/train.tsv:1"),
        Claim("Birds are government drones.", "pants-fire", f"{tmp_path.name}/train.tsv:3"),
    ]
    everything = read_claims(path, verdicts=None)
    assert [c.verdict for c in everything] == ["false", "true", "pants-fire"]
    assert everything[1].text == 'Water boils at 100 "degrees" at sea level.'


def test_csv_and_jsonl(tmp_path: Path) -> None:
    csv_path = write(
        tmp_path / "c.csv",
        'Claim,Verdict,source\n"Cats can fly, they say",FALSE,snopes:1\nDogs bark,true,\n',
    )
    assert read_claims(csv_path) == [Claim("Cats can fly, they say", "false", "snopes:1")]
    jsonl = write(
        tmp_path / "c.jsonl",
        '{"text": "Fish climb trees", "verdict": "False"}\n\n'
        '{"claim": "Snow is hot", "label": "pants-fire", "source": "x:9"}\n',
    )
    assert read_claims(jsonl) == [
        Claim("Fish climb trees", "false", f"{tmp_path.name}/c.jsonl:1"),
        Claim("Snow is hot", "pants-fire", "x:9"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "line", "field", "message"),
    [
        ("a.tsv", "1.json\tfalse\tok\n2.json\tfalse\n", 2, "statement", "2 tab-separated"),
        ("a.tsv", "1.json\tfalsy\tok\n", 1, "label", "unknown label 'falsy'"),
        ("a.tsv", "1.json\tfalse\t  \n", 1, "statement", "empty statement"),
        ("a.jsonl", '{"text": "x", "verdict": "false"}\n{oops\n', 2, None, "not JSON"),
        ("a.jsonl", "[1, 2]\n", 1, None, "not a JSON object"),
        ("a.jsonl", '{"text": 3, "verdict": "false"}\n', 1, "text", "must be a string"),
        ("a.jsonl", '{"text": "x"}\n', 1, "verdict", "must be a string"),
        ("a.jsonl", '{"text": "x", "verdict": "f", "source": 1}\n', 1, "source", "string"),
        ("a.csv", "words,verdict\nx,false\n", 1, "text", "no text column"),
        ("a.csv", "text,verdict\nx,false\ny\n", 3, None, "1 fields where"),
        ("a.csv", "text,verdict\nx,false\n,false\n", 3, "text", "empty text"),
    ],
)
def test_malformed_rows_name_file_line_and_field(
    tmp_path: Path, name: str, content: str, line: int, field: str | None, message: str
) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(DataError, match=message) as caught:
        read_claims(path)
    assert (caught.value.file, caught.value.line, caught.value.field) == (str(path), line, field)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unknown claims file type"):
        read_claims(write(tmp_path / "a.txt", "x"))
    with pytest.raises(DataError, match="cannot read"):
        read_claims(tmp_path / "absent.jsonl")
    (tmp_path / "latin.tsv").write_bytes(b"1\tfalse\tok\n2\tfalse\tcaf\xe9\n")
    with pytest.raises(DataError, match="not UTF-8") as caught:
        read_claims(tmp_path / "latin.tsv")
    assert caught.value.line == 2


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    suffix=st.sampled_from([".tsv", ".csv", ".jsonl"]),
    content=st.text(alphabet=st.sampled_from('\t\n\r,"{}[]:ab false-pants\x00\u2028é')),
)
def test_any_file_content_parses_or_raises_data_error(
    tmp_path: Path, suffix: str, content: str
) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content.encode("utf-8", "surrogatepass"))
    try:
        claims = read_claims(path, verdicts=None)
    except DataError as error:
        assert error.file == str(path)
        assert error.line is None or error.line >= 1
    else:
        assert all(c.text.strip() == c.text and c.text for c in claims)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.text(min_size=1).filter(lambda t: t.strip() == t and t.strip()),
            st.sampled_from(["false", "pants-fire", "true"]),
        ),
        max_size=8,
    )
)
def test_jsonl_round_trip(tmp_path: Path, rows: list[tuple[str, str]]) -> None:
    path = tmp_path / "round.jsonl"
    path.write_text("\n".join(json.dumps({"text": t, "verdict": v}) for t, v in rows) + "\n")
    claims = read_claims(path, verdicts=None)
    assert [(c.text, c.verdict) for c in claims] == rows


# Calibration, index, detector


def test_fit_logistic_recovers_known_parameters() -> None:
    rng = np.random.default_rng(1)
    sims = rng.uniform(0, 1, 20_000)
    target = (rng.uniform(size=sims.size) < 1 / (1 + np.exp(-(12 * sims - 7)))).astype(float)
    slope, intercept = fit_logistic(sims, target)
    assert slope == pytest.approx(12, rel=0.1) and intercept == pytest.approx(-7, rel=0.1)


def test_separable_pairs_keep_a_finite_slope() -> None:
    slope, intercept = fit_logistic(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0.0, 0, 1, 1]))
    assert 0 < slope < 100 and -intercept / slope == pytest.approx(0.5, abs=0.05)


def test_build_load_and_score(tmp_path: Path) -> None:
    out = tmp_path / "index.npz"
    built = build_claim_index(EXAMPLES, out)
    loaded = ClaimMatcher.load(out)
    arrays, meta = load_model(out)
    assert meta["claims"] == len(arrays["texts"]) == 32
    assert arrays["embeddings"].dtype == np.float16 and arrays["texts"].dtype.kind == "U"
    texts = [
        "Drinking bleach cures the flu.",
        "Glowmint toothpaste tracks you with metal particles",
        "I walked the dog along the river this morning.",
        "",
        "\ud800",
        "q" * 1_000_000,
    ]
    batch = loaded.score(texts)
    np.testing.assert_array_equal(batch.scores, built.score(texts).scores)
    assert batch.labels == ("misinfo",) and batch.scores.shape == (6, 1)
    misinfo = batch.column("misinfo")
    assert misinfo[0] > 0.5 and misinfo[1] > 0.5
    assert misinfo[2] < 0.1 and misinfo[3] < 0.1
    assert batch.evidence is not None
    first = batch.evidence[0][0]
    assert first.verdict == "false" and "bleach" in first.text
    assert first.source == "claims/known-false-claims.jsonl:1"
    assert batch.evidence[2] == ()  # nothing close enough to cite
    for row, evidence in zip(batch.scores, batch.evidence, strict=True):
        assert len(evidence) <= loaded.top_k
        sims = [e.similarity for e in evidence]
        assert sims == sorted(sims, reverse=True)
        assert all(loaded.probability(np.float32(s)) >= EVIDENCE_FLOOR for s in sims)
        if evidence:
            assert row[0] == pytest.approx(float(loaded.probability(np.float32(sims[0]))))
    assert len(loaded.score([])) == 0


def test_registered_detector_uses_the_shipped_index(tmp_path: Path) -> None:
    shipped = load_detector("misinfo_claim")
    assert isinstance(shipped, Detector) and shipped.name == "bastion/misinfo_claim"
    _, meta = load_model(PACKAGED_MODELS / "misinfo-claims.npz")
    assert meta["data"] == EXAMPLES.name
    assert meta["claims"] == sum(1 for line in EXAMPLES.read_text().splitlines() if line)
    texts = ["Vote by text message in Marrowby", "the weather is mild"]
    np.testing.assert_array_equal(
        shipped.score(texts).scores, misinfo_claim(model_dir=None).score(texts).scores
    )
    own = build_claim_index(EXAMPLES, tmp_path / "misinfo-claims.npz", verdicts=("false",))
    from_dir = load_detector("misinfo_claim", model_dir=tmp_path)
    assert from_dir.score(texts).scores.shape == (2, 1)
    assert isinstance(own, ClaimMatcher)


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no claims with verdict false"):
        build_claim_index(write(tmp_path / "t.tsv", "1\ttrue\tfine\n"), tmp_path / "x.npz")
    with pytest.raises(DetectorError, match="unknown encoder"):
        build_claim_index(EXAMPLES, tmp_path / "x.npz", encoder="word2vec")
    with pytest.raises(DetectorError, match="not a claim index"):
        ClaimMatcher.load(PACKAGED_MODELS / "static-minilm.npz")


def test_liar_exact_repeats_and_unseen_statements(tmp_path: Path) -> None:
    """The model card's LIAR figures (static encoder)."""
    liar = shared_data("liar")
    matcher = build_claim_index(liar / "train.tsv", tmp_path / "liar.npz")
    repeats = [c.text for c in read_claims(liar / "train.tsv")][:500]
    true_train = [c.text for c in read_claims(liar / "train.tsv", verdicts=("true",))][:500]
    assert (matcher.score(repeats).column("misinfo") >= 0.5).mean() > 0.95  # measured 1.000
    assert (matcher.score(true_train).column("misinfo") >= 0.5).mean() < 0.1  # measured 0.082
    unseen_false = [c.text for c in read_claims(liar / "valid.tsv")]
    unseen_true = [c.text for c in read_claims(liar / "valid.tsv", verdicts=("true",))]
    p_false = matcher.score(unseen_false).column("misinfo")
    p_true = matcher.score(unseen_true).column("misinfo")
    # Unseen statements: no better than chance (measured AUC 0.494); pin the false-positive rate.
    assert (p_true >= 0.5).mean() < 0.1  # measured 0.077
    assert (p_false >= 0.5).mean() < 0.3  # measured 0.124: new claims are not repeats
