import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bastion.detectors._metrics import (
    binary_auroc,
    classification_report,
    expected_calibration_error,
    recall_at_fpr,
    threshold_for_fpr,
)

sklearn_metrics = pytest.importorskip("sklearn.metrics")

LABELS = ("a", "b", "c", "d")
# Coarse grids make ties common, which is where AUROC and thresholds go wrong.
probability = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]) | st.floats(0, 1)


@st.composite
def scored(draw: st.DrawFn, min_k: int = 2) -> tuple[list[str], np.ndarray, tuple[str, ...]]:
    k = draw(st.integers(min_k, len(LABELS)))
    n = draw(st.integers(1, 40))
    truth = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    raw = draw(hnp.arrays(np.float64, (n, k), elements=probability))
    return [LABELS[i] for i in truth], raw, LABELS[:k]


def normalised(raw: np.ndarray) -> np.ndarray:
    rows = raw + 1e-3
    return np.asarray(rows / rows.sum(axis=1, keepdims=True), dtype=np.float64)


@settings(max_examples=150, deadline=None)
@given(scored())
def test_report_matches_sklearn(case: tuple[list[str], np.ndarray, tuple[str, ...]]) -> None:
    y_true, probs, labels = case
    report = classification_report(y_true, probs, labels)
    y_pred = [labels[i] for i in np.argmax(probs, axis=1)]
    kw = {"labels": list(labels), "zero_division": 0}
    assert report.accuracy == pytest.approx(sklearn_metrics.accuracy_score(y_true, y_pred))
    assert report.macro_f1 == pytest.approx(
        sklearn_metrics.f1_score(y_true, y_pred, average="macro", **kw)
    )
    assert report.weighted_f1 == pytest.approx(
        sklearn_metrics.f1_score(y_true, y_pred, average="weighted", **kw)
    )
    p, r, f, s = sklearn_metrics.precision_recall_fscore_support(y_true, y_pred, **kw)
    for i, label in enumerate(labels):
        m = report.per_class[label]
        assert (m.precision, m.recall, m.f1) == pytest.approx((p[i], r[i], f[i]))
        assert m.support == s[i]
    confusion = sklearn_metrics.confusion_matrix(y_true, y_pred, labels=list(labels))
    assert report.confusion == tuple(tuple(row) for row in confusion.tolist())
    assert report.n == len(y_true)


@settings(max_examples=150, deadline=None)
@given(scored())
def test_auroc_matches_sklearn(case: tuple[list[str], np.ndarray, tuple[str, ...]]) -> None:
    y_true, raw, labels = case
    probs = normalised(raw)
    report = classification_report(y_true, probs, labels)
    present = set(y_true)
    if len(labels) == 2:
        if len(present) < 2:
            assert report.auroc is None
            return
        expected = sklearn_metrics.roc_auc_score([y == labels[1] for y in y_true], probs[:, 1])
    elif present == set(labels):
        expected = sklearn_metrics.roc_auc_score(
            y_true, probs, multi_class="ovr", average="macro", labels=list(labels)
        )
    else:
        # sklearn refuses; ours averages the classes that have positives and negatives.
        aucs = [
            sklearn_metrics.roc_auc_score([y == label for y in y_true], probs[:, i])
            for i, label in enumerate(labels)
            if 0 < sum(y == label for y in y_true) < len(y_true)
        ]
        expected = float(np.mean(aucs)) if aucs else None
    if expected is None:
        assert report.auroc is None
    else:
        assert report.auroc == pytest.approx(expected)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(probability, min_size=1, max_size=60),
    st.lists(probability, min_size=1, max_size=60),
)
def test_binary_auroc_matches_sklearn(pos: list[float], neg: list[float]) -> None:
    expected = sklearn_metrics.roc_auc_score([1] * len(pos) + [0] * len(neg), pos + neg)
    assert binary_auroc(pos, neg) == pytest.approx(expected)


def test_binary_auroc_ties_count_half() -> None:
    assert binary_auroc([0.5], [0.5]) == 0.5
    assert binary_auroc([0.9, 0.5], [0.5, 0.1]) == pytest.approx(0.875)
    with pytest.raises(ValueError, match="at least one positive"):
        binary_auroc([], [0.1])


def test_ece_hand_computed() -> None:
    # Bins of width 1/15: 0.05 -> bin 0; 0.3 and 0.32 -> bin 4 (0.267, 0.333]; 0.95 -> bin 14.
    conf = [0.05, 0.3, 0.32, 0.95]
    hits = [0, 1, 0, 1]
    # bin 0: |0 - 0.05| = 0.05; bin 4: |1 - 0.62| = 0.38; bin 14: |1 - 0.95| = 0.05
    assert expected_calibration_error(conf, hits) == pytest.approx((0.05 + 0.38 + 0.05) / 4)
    assert expected_calibration_error([1.0, 0.0], [1, 0]) == 0.0
    assert expected_calibration_error([], []) == 0.0


def test_report_ece_uses_predicted_class_confidence() -> None:
    probs = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]])
    y_true = ["neg", "neg", "neg", "pos"]
    report = classification_report(y_true, probs, ["neg", "pos"])
    top = expected_calibration_error([0.8, 0.7, 0.6, 0.9], [1, 0, 1, 1])
    assert report.ece == pytest.approx(top)
    assert report.positive_ece == pytest.approx(
        expected_calibration_error([0.2, 0.7, 0.4, 0.9], [0, 0, 0, 1])
    )
    # Given predictions replace the argmax, confidence follows them.
    given_pred = classification_report(y_true, probs, ["neg", "pos"], predictions=["neg"] * 4)
    assert given_pred.accuracy == 0.75
    assert given_pred.ece == pytest.approx(
        expected_calibration_error([0.8, 0.3, 0.6, 0.1], [1, 1, 1, 0])
    )


def test_report_serialises_and_prints() -> None:
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]])
    report = classification_report(["x", "y", "z", "y"], probs, ["x", "y", "z"])
    data = json.loads(json.dumps(report.to_dict()))
    assert data["per_class"]["y"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert data["confusion"] == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    assert data["positive_ece"] is None
    text = report.to_text()
    assert "accuracy" in text and "macro f1" in text and "0.750" in text


def test_report_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="shape"):
        classification_report(["a"], np.zeros((1, 3)), ["a", "b"])
    with pytest.raises(ValueError, match=r"labels \['q'\]"):
        classification_report(["q"], np.zeros((1, 2)), ["a", "b"])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        classification_report(["a"], np.array([[1.5, 0.0]]), ["a", "b"])


def fpr_at(scores: np.ndarray, threshold: float) -> float:
    return float(np.mean(scores >= threshold))


@settings(max_examples=300, deadline=None)
@given(st.lists(probability, min_size=1, max_size=80), st.floats(0, 1))
def test_threshold_for_fpr_is_the_smallest_within_budget(values: list[float], fpr: float) -> None:
    scores = np.array(values)
    t = threshold_for_fpr(scores, fpr)
    assert fpr_at(scores, t) <= fpr
    below = scores[scores < t]
    if below.size:
        # The next distinct value down flags its ties too, and breaks the budget.
        assert fpr_at(scores, float(below.max())) > fpr


def test_threshold_for_fpr_ties_and_edges() -> None:
    scores = np.array([0.1, 0.2, 0.9, 0.9])
    assert threshold_for_fpr(scores, 0.5) == 0.9
    assert threshold_for_fpr(scores, 0.49) > 0.9  # the tied pair exceeds the budget
    assert threshold_for_fpr(scores, 0.0) > 0.9
    assert threshold_for_fpr(scores, 1.0) == 0.1
    assert threshold_for_fpr(scores, 0.75) == 0.2
    with pytest.raises(ValueError):
        threshold_for_fpr([], 0.1)
    with pytest.raises(ValueError):
        threshold_for_fpr([0.1], 1.5)


def test_recall_at_fpr() -> None:
    neg = np.linspace(0, 0.9, 10)  # 0.0 .. 0.9; fpr 0.1 -> threshold 0.9
    pos = np.array([0.95, 0.9, 0.5, 0.1])
    assert recall_at_fpr(pos, neg, 0.1) == 0.5
    assert recall_at_fpr(pos, neg, 0.0) == 0.25
