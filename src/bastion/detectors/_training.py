"""Train a shipped classifier from its recipe, measure it, and write the model and its card."""

from __future__ import annotations

import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bastion.detectors._cards import write_card
from bastion.detectors._datasets import LabelledTexts
from bastion.detectors._encoders import embedder_for
from bastion.detectors._fast import FastTextDetector
from bastion.detectors._fit import HeadSpec, fit_detector
from bastion.detectors._metrics import ClassificationReport, classification_report, recall_at_fpr
from bastion.detectors._model_files import load_model
from bastion.detectors._recipes import Recipe, TrainingData, recipe

Family = Literal["fast", "minilm"]


@dataclass(frozen=True)
class TrainResult:
    """A trained detector, where it was written, and how it measured on held-out data."""

    detector: FastTextDetector
    path: Path
    card: Path
    report: ClassificationReport
    benign_fpr: dict[str, float]
    speed: dict[str, float]


def model_file(name: str, family: Family = "fast") -> str:
    """The file name of a recipe's model: ``toxicity.npz``, ``toxicity-minilm.npz``."""
    return f"{name}.npz" if family == "fast" else f"{name}-{family}.npz"


def evaluate(detector: FastTextDetector, data: LabelledTexts) -> ClassificationReport:
    """The detector's classification report on *data* (labels must be its classes)."""
    probabilities = detector.class_probabilities(list(data.texts))
    return classification_report(list(data.labels), probabilities, detector.head.classes)


def measure_speed(detector: FastTextDetector, texts: Sequence[str]) -> dict[str, float]:
    """Batched texts per second and the median single-text latency, on *texts*."""
    batch = list(texts)[:5000]
    detector.score(batch[:50])  # warm up
    started = time.perf_counter()
    detector.score(batch)
    batched = len(batch) / (time.perf_counter() - started)
    singles = []
    for text in batch[:300]:
        started = time.perf_counter()
        detector.score([text])
        singles.append(time.perf_counter() - started)
    return {"texts_per_s": round(batched), "single_us": round(float(np.median(singles)) * 1e6, 1)}


def train(
    name: str,
    data: Path,
    out_dir: Path,
    *,
    family: Family = "fast",
    seed: int = 0,
    model_dir: Path | None = None,
) -> TrainResult:
    """Train recipe *name* on the data at *data*, write ``<out_dir>/<model>.npz`` and its card."""
    chosen = recipe(name)
    split_data = chosen.load(data, seed)
    spec = chosen.spec
    if family == "minilm":
        spec = replace(
            spec,
            name=f"{spec.name}-minilm",
            hasher=None,
            embedding="minilm",
            c=10.0,
            loss="logistic",
        )
    embedder = embedder_for(spec.embedding, model_dir)
    started = time.perf_counter()
    detector = fit_detector(
        split_data.fit.texts,
        split_data.fit.labels,
        spec,
        embedder=embedder,
        calibration=(split_data.calibration.texts, split_data.calibration.labels),
    )
    fit_seconds = time.perf_counter() - started
    report = evaluate(detector, split_data.test)
    benign_fpr = _benign_fpr(detector, split_data)
    recall = _recall_at_1pct(detector, split_data)
    if recall is not None:
        benign_fpr = {**benign_fpr, "recall_at_1pct_fpr": recall}
    speed = measure_speed(detector, split_data.test.texts)
    meta = _meta(
        chosen, spec, family, split_data, report, benign_fpr, speed, fit_seconds, seed, data
    )
    detector = replace(detector, meta={**detector.meta, **meta})
    path = out_dir / model_file(chosen.name, family)
    detector.save(path)
    card = write_card(path, load_model(path)[1])
    return TrainResult(detector, path, card, report, benign_fpr, speed)


def _benign_fpr(detector: FastTextDetector, data: TrainingData) -> dict[str, float]:
    if not data.benign:
        return {}
    column = detector.labels[0]
    threshold = detector.thresholds.get(column, 0.5)
    rates = {}
    for name, benign in data.benign.items():
        scores = detector.score(list(benign.texts)).column(column)
        rates[name] = float((scores >= threshold).mean())
    return rates


def _recall_at_1pct(detector: FastTextDetector, data: TrainingData) -> float | None:
    if not data.benign or detector.head.link != "sigmoid":
        return None
    column = detector.labels[0]
    positive = detector.head.classes[1]
    pos = detector.score(list(data.test.where_label(positive).texts)).column(column)
    neg = np.concatenate(
        [detector.score(list(b.texts)).column(column) for b in data.benign.values()]
    )
    return recall_at_fpr(pos, neg, 0.01)


def _meta(
    chosen: Recipe,
    spec: HeadSpec,
    family: Family,
    data: TrainingData,
    report: ClassificationReport,
    benign_fpr: dict[str, float],
    speed: dict[str, float],
    fit_seconds: float,
    seed: int,
    path: Path,
) -> dict[str, Any]:
    command = f"bastion detectors train {chosen.name} --data DATA/{chosen.main_set}"
    if family != "fast":
        command += f" --family {family}"
    return {
        "recipe": chosen.name,
        "model_family": family,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%d"),
        "command": command,
        "seed": seed,
        "sources": sorted(data.sources),
        "split": {
            "fit": data.fit.counts(),
            "calibration": data.calibration.counts(),
            "test": data.test.counts(),
            "benign_held_out": {name: len(b) for name, b in data.benign.items()},
        },
        "fit": {
            "loss": spec.loss,
            "c": spec.c,
            "class_weight": dict(spec.class_weight) if spec.class_weight else None,
        },
        "metrics": report.to_dict(),
        "benign_fpr_at_threshold": benign_fpr,
        "speed": {**speed, "machine": f"{platform.machine()}, {_cores()} cores"},
        "fit_seconds": round(fit_seconds, 1),
        "failure_modes": list(chosen.failure_modes_of(spec)),
    }


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
