"""Fitting a head: the logistic and hinge losses, and what the model card says of them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import cast

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bastion.detectors
from bastion.detectors import NgramHasher, load_davidson, load_xstest_completions
from bastion.detectors._cards import render_card
from bastion.detectors._datasets import sentences_of
from bastion.detectors._fit import LOSSES, HeadSpec, Loss, _design, _linear_model, fit_detector
from bastion.detectors._model_files import load_model
from bastion.detectors._recipes import PROMPT_INJECTION, TOXICITY
from tests.shared_data import shared_data

HATE = ["I hate those {} people, get them out", "all {} are vermin and should leave"]
OFFENSIVE = ["shut up you stupid {} idiot", "what a dumb {} moron lol"]
NEITHER = ["lovely weather for a {} walk today", "the {} game starts at eight tonight"]
WORDS = ["green", "tall", "loud", "quiet", "old", "young", "north", "south"]


def _filled(templates: list[str]) -> list[str]:
    return [t.format(w) for t in templates for w in WORDS]


TEXTS = _filled(HATE) + _filled(OFFENSIVE) + _filled(NEITHER)
LABELS = ["hate"] * 16 + ["offensive"] * 16 + ["neither"] * 16


def _spec(loss: str, base: HeadSpec = TOXICITY.spec) -> HeadSpec:
    return dataclasses.replace(base, hasher=NgramHasher(bits=12), loss=cast(Loss, loss))


def _sklearn_predictions(texts: list[str], labels: list[str], spec: HeadSpec) -> list[str]:
    """What scikit-learn's own model, fitted the same way, predicts for *texts*."""
    design, _ = _design(texts, spec, None)
    model = _linear_model(spec)
    model.fit(design, np.asarray([spec.classes.index(label) for label in labels]))
    return [spec.classes[int(i)] for i in model.predict(design)]


def _predictions(texts: list[str], labels: list[str], spec: HeadSpec) -> list[str]:
    detector = fit_detector(texts, labels, spec, calibration=(texts, labels))
    probabilities = detector.class_probabilities(texts)
    return [spec.classes[int(i)] for i in probabilities.argmax(axis=1)]


def test_the_toxicity_recipe_fits_a_multiclass_svm() -> None:
    assert TOXICITY.spec.loss == "hinge"
    assert PROMPT_INJECTION.spec.loss == "logistic"


def test_the_svm_weakness_goes_only_on_the_cards_of_svm_heads() -> None:
    svm_only = TOXICITY.head_failure_modes["hinge"]
    assert TOXICITY.failure_modes_of(TOXICITY.spec) == (*TOXICITY.failure_modes, *svm_only)
    logistic = _spec("logistic")  # the minilm family's head
    assert TOXICITY.failure_modes_of(logistic) == TOXICITY.failure_modes
    assert PROMPT_INJECTION.failure_modes_of(PROMPT_INJECTION.spec) == (
        PROMPT_INJECTION.failure_modes
    )


def test_the_shipped_cards_name_the_weaknesses_of_their_own_head() -> None:
    models = Path(bastion.detectors.__file__).parent / "models"
    for name in ("toxicity", "toxicity-minilm"):
        _, meta = load_model(models / f"{name}.npz")
        spec = dataclasses.replace(TOXICITY.spec, loss=meta["fit"]["loss"])
        assert meta["failure_modes"] == list(TOXICITY.failure_modes_of(spec))
        card = (models / f"{name}.md").read_text(encoding="utf-8")
        assert ("The SVM head" in card) == (meta["fit"]["loss"] == "hinge")


def test_a_hinge_head_learns_the_classes() -> None:
    predicted = _predictions(TEXTS, LABELS, _spec("hinge"))
    assert predicted == LABELS


def test_a_hinge_head_scores_as_scikit_learns_svm_predicts() -> None:
    # Labels that no linear model fits exactly: the head must still agree
    # with scikit-learn's own predictions, error for error.
    labels = [("hate", "offensive", "neither")[i % 3] for i in range(len(TEXTS))]
    spec = _spec("hinge")
    assert _predictions(TEXTS, labels, spec) == _sklearn_predictions(TEXTS, labels, spec)


def test_a_two_class_hinge_head_has_one_logit() -> None:
    spec = _spec("hinge", dataclasses.replace(PROMPT_INJECTION.spec, embedding=None))
    texts = _filled(HATE) + _filled(NEITHER)
    labels = ["injection"] * 16 + ["benign"] * 16
    detector = fit_detector(texts, labels, spec, calibration=(texts, labels))
    assert detector.head.link == "sigmoid"
    assert detector.head.bias.shape == (1,)
    predicted = [spec.classes[int(i)] for i in detector.class_probabilities(texts).argmax(axis=1)]
    assert predicted == _sklearn_predictions(texts, labels, spec) == labels


def test_calibration_keeps_the_svms_decisions_and_gives_probabilities() -> None:
    spec = _spec("hinge")
    detector = fit_detector(TEXTS, LABELS, spec, calibration=(TEXTS, LABELS))
    probabilities = detector.class_probabilities(TEXTS)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert detector.meta["calibration"]["scale"] > 0
    assert (probabilities.max(axis=1) > 1 / 3).all()


def test_an_unknown_loss_is_refused() -> None:
    with pytest.raises(ValueError, match="loss must be one of"):
        _spec("squared")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(st.text(min_size=0, max_size=40), min_size=6, max_size=24),
    loss=st.sampled_from(LOSSES),
)
def test_any_texts_fit_and_the_head_agrees_with_scikit_learn(texts: list[str], loss: str) -> None:
    labels = [("hate", "offensive", "neither")[i % 3] for i in range(len(texts))]
    spec = _spec(loss)
    detector = fit_detector(texts, labels, spec)
    probabilities = detector.class_probabilities(texts)
    assert probabilities.shape == (len(texts), 3)
    assert np.isfinite(probabilities).all()
    if loss == "hinge":
        # Ties between equal logits may break either way; compare where the margin is clear.
        ranked = np.sort(probabilities, axis=1)
        clear = ranked[:, -1] - ranked[:, -2] > 1e-3
        ours = np.asarray([spec.classes[int(i)] for i in probabilities.argmax(axis=1)])
        theirs = np.asarray(_sklearn_predictions(texts, labels, spec))
        assert (ours[clear] == theirs[clear]).all()


def test_the_toxicity_recipe_adds_benign_prose_as_neither_to_fit_only() -> None:
    path = shared_data("davidson-hate-offensive")
    tweets = load_davidson(path)
    data = TOXICITY.load(path, 0)
    assert set(data.benign) == {"truthfulqa", "xstest_safe", "bbq", "xstest_answers"}
    extra = {text for held in data.benign.values() for text in held.texts}
    assert all(set(held.labels) == {"neither"} for held in data.benign.values())
    # The calibration and test splits are tweets only; the fit split has the other
    # halves, and the fitted half of the LLM answers sentence by sentence as well.
    answers = load_xstest_completions(shared_data("xstest-completions"))
    held_answers = set(data.benign["xstest_answers"].texts)
    fitted_answers = answers.subset(
        [i for i, text in enumerate(answers.texts) if text not in held_answers]
    )
    sentences = sentences_of(fitted_answers)
    held = {text.strip() for text in extra}
    sentences = sentences.subset([i for i, t in enumerate(sentences.texts) if t not in held])
    assert len(sentences) > len(fitted_answers)
    assert set(sentences.texts) <= set(data.fit.texts)
    assert len(data.fit) + len(data.calibration) + len(data.test) == len(tweets) + sum(
        len(held) for held in data.benign.values()
    ) + len(sentences)
    assert data.test.counts() == {"hate": 229, "neither": 666, "offensive": 3070}
    assert set(data.test.texts) <= set(tweets.texts)
    assert set(data.calibration.texts) <= set(tweets.texts)
    added = [t for t in data.fit.texts if t not in set(tweets.texts)]
    assert added and not set(added) & extra


def _meta(fit: dict[str, object] | None, classes: list[str]) -> dict[str, object]:
    per_class = {c: {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1} for c in classes}
    meta: dict[str, object] = {
        "detector": "bastion/x",
        "outputs": [{"label": "x", "classes": classes[1:]}],
        "metrics": {
            "labels": classes,
            "per_class": per_class,
            "accuracy": 1.0,
            "weighted_f1": 1.0,
            "macro_f1": 1.0,
            "auroc": None,
            "ece": 0.0,
        },
        "head": {"link": "softmax" if len(classes) > 2 else "sigmoid", "classes": classes},
        "hasher": {"bits": 12, "char_sizes": [2, 3], "words": True},
        "sources": ["s"],
        "seed": 0,
        "split": {"fit": {"a": 1}, "calibration": {"a": 1}, "test": {"a": 1}},
        "speed": {"texts_per_s": 1, "single_us": 1.0, "machine": "m"},
        "command": "c",
        "fit_seconds": 1.0,
    }
    if fit is not None:
        meta["fit"] = fit
    return meta


def test_the_card_says_how_the_head_was_fitted() -> None:
    svm = {"loss": "hinge", "c": 0.5, "class_weight": {"hate": 2.0, "offensive": 1.0}}
    card = render_card("x.npz", _meta(svm, ["hate", "offensive", "neither"]))
    assert (
        "fitted as Crammer and Singer's multi-class linear SVM "
        "(C 0.5, class weights hate 2, offensive 1)." in card
    )
    logistic = {"loss": "logistic", "c": 10.0, "class_weight": None}
    card = render_card("x.npz", _meta(logistic, ["benign", "injection"]))
    assert "a calibrated linear head (sigmoid), fitted as a logistic regression (C 10)." in card
    binary = render_card("x.npz", _meta({**svm, "class_weight": None}, ["benign", "injection"]))
    assert "fitted as a linear SVM (C 0.5)." in binary
    unrecorded = render_card("x.npz", _meta(None, ["a", "b", "c"]))
    assert "a calibrated linear head (softmax)." in unrecorded
