"""Fitting a fast detector's head: a linear model, then calibration on held-out data.

The head is a logistic regression or a linear SVM (Crammer and Singer's
multi-class SVM for more than two classes); either way it is linear, and
calibration maps its scores to probabilities. Training needs the ``train``
extra (scikit-learn and SciPy), imported here and nowhere on the scoring
path. The fitted weights are copied into a :class:`LinearHead`, which scores
with NumPy alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from bastion.detectors._errors import DetectorError
from bastion.detectors._fast import FastTextDetector, Output, TextEncoder, Windows
from bastion.detectors._hashing import NgramHasher
from bastion.detectors._linear import LinearHead, Link
from bastion.detectors._normalize import normalize

Loss = Literal["logistic", "hinge"]
LOSSES: tuple[Loss, ...] = ("logistic", "hinge")


@dataclass(frozen=True)
class HeadSpec:
    """What to fit.

    Attributes:
        name: The detector's registered name.
        classes: The classes, in the order the head uses (for a sigmoid,
            negative first).
        outputs: The columns the detector returns.
        hasher: The n-gram hashing (``None``: no hashed features).
        embedding: The embedding's name when *embedder* is used.
        c: Inverse regularisation strength of the linear model.
        class_weight: Per class, a weight on its training examples.
        windows: How the detector cuts long texts.
        loss: ``logistic`` (a logistic regression) or ``hinge`` (a linear
            SVM: Crammer and Singer's multi-class SVM, or a plain one for
            two classes); calibration turns its margins into probabilities.
    """

    name: str
    classes: tuple[str, ...]
    outputs: tuple[Output, ...]
    hasher: NgramHasher | None = field(default_factory=NgramHasher)
    embedding: str | None = None
    c: float = 10.0
    class_weight: Mapping[str, float] | None = None
    windows: Windows = field(default_factory=Windows)
    loss: Loss = "logistic"

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")

    @property
    def link(self) -> Link:
        """A sigmoid for two classes, a softmax otherwise."""
        return "sigmoid" if len(self.classes) == 2 else "softmax"


def _require_sklearn() -> Any:
    try:
        import scipy.sparse
        import sklearn.linear_model
        import sklearn.svm
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise DetectorError(
            "training needs scikit-learn and SciPy: pip install 'bastion-safety[train]'"
        ) from error
    return sklearn, scipy.sparse


def _design(texts: Sequence[str], spec: HeadSpec, embedder: TextEncoder | None) -> tuple[Any, int]:
    _, sparse = _require_sklearn()
    plain = [normalize(t)[: spec.windows.size] for t in texts]
    blocks = []
    hashed_width = 0
    if spec.hasher is not None:
        features = spec.hasher.transform(plain)
        hashed_width = spec.hasher.dimension
        blocks.append(
            sparse.csr_matrix(
                (features.weights, (features.rows, features.buckets)),
                shape=(len(plain), hashed_width),
                dtype=np.float32,
            )
        )
    if embedder is not None:
        blocks.append(sparse.csr_matrix(embedder.encode(plain)))
    if not blocks:
        raise DetectorError(f"{spec.name}: neither hashed features nor an embedding to fit on")
    return sparse.hstack(blocks, format="csr"), hashed_width


def fit_detector(
    texts: Sequence[str],
    labels: Sequence[str],
    spec: HeadSpec,
    *,
    embedder: TextEncoder | None = None,
    calibration: tuple[Sequence[str], Sequence[str]] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> FastTextDetector:
    """Fit a detector on (*texts*, *labels*) and calibrate it on *calibration*.

    Raises:
        DetectorError: A label is not one of ``spec.classes``, or a class has no example.
    """
    y = _encode_labels(labels, spec.classes, spec.name)
    design, hashed_width = _design(texts, spec, embedder)
    model = _linear_model(spec)
    model.fit(design, y)
    coef = np.asarray(model.coef_, dtype=np.float32).T  # (features, logits)
    bias = np.asarray(model.intercept_, dtype=np.float32).reshape(-1)
    head = LinearHead(
        classes=spec.classes,
        link=spec.link,
        hashed=coef[:hashed_width] if hashed_width else None,
        dense=coef[hashed_width:] if embedder is not None else None,
        bias=bias,
    )
    detector = FastTextDetector(
        name=spec.name,
        head=head,
        outputs=spec.outputs,
        hasher=spec.hasher or NgramHasher(),
        embedder=embedder,
        embedding=spec.embedding if embedder is not None else None,
        windows=spec.windows,
        thresholds={o.label: 0.5 for o in spec.outputs},
        meta=dict(meta or {}),
    )
    if calibration is not None:
        detector = calibrate_head(detector, *calibration)
    return detector


def _linear_model(spec: HeadSpec) -> Any:
    """The unfitted scikit-learn model *spec* asks for."""
    sklearn, _ = _require_sklearn()
    weights = None
    if spec.class_weight is not None:
        weights = {spec.classes.index(k): v for k, v in spec.class_weight.items()}
    if spec.loss == "hinge":
        return sklearn.svm.LinearSVC(
            C=spec.c,
            class_weight=weights,
            multi_class="crammer_singer" if len(spec.classes) > 2 else "ovr",
            max_iter=5000,
            random_state=0,
        )
    return sklearn.linear_model.LogisticRegression(
        C=spec.c, class_weight=weights, max_iter=3000, tol=1e-5, solver="lbfgs"
    )


def _encode_labels(
    labels: Sequence[str], classes: tuple[str, ...], name: str
) -> npt.NDArray[np.int64]:
    index = {c: i for i, c in enumerate(classes)}
    unknown = sorted(set(labels) - set(index))
    if unknown:
        raise DetectorError(f"{name}: labels {unknown} are not among the classes {list(classes)}")
    y = np.asarray([index[label] for label in labels], dtype=np.int64)
    missing = [c for c, i in index.items() if not (y == i).any()]
    if missing:
        raise DetectorError(f"{name}: no training example of {missing}")
    return y


def calibrate_head(
    detector: FastTextDetector, texts: Sequence[str], labels: Sequence[str]
) -> FastTextDetector:
    """Refit the head's calibration (scale and shift of the logits) on held-out data.

    A softmax gets temperature scaling (scale only, so the predicted class
    never changes); a sigmoid gets Platt scaling (scale and shift).
    """
    head = detector.head
    y = _encode_labels(labels, head.classes, detector.name)
    uncalibrated = replace(detector, head=_with_calibration(head, 1.0, 0.0))
    plain = [normalize(t)[: detector.windows.size] for t in texts]
    hashed = detector.hasher.transform(plain) if head.hashed is not None else None
    dense = detector.embedder.encode(plain) if detector.embedder is not None else None
    logits = uncalibrated.head.logits(hashed, dense, len(plain)).astype(np.float64)
    scale, shift = _fit_scale_shift(logits, y, sigmoid=head.link == "sigmoid")
    return replace(
        detector,
        head=_with_calibration(head, scale, shift),
        meta={**detector.meta, "calibration": {"scale": scale, "shift": shift, "examples": len(y)}},
    )


def _with_calibration(head: LinearHead, scale: float, shift: float) -> LinearHead:
    return replace(head, scale=scale, shift=shift)


def _fit_scale_shift(
    logits: npt.NDArray[np.float64], y: npt.NDArray[np.int64], *, sigmoid: bool
) -> tuple[float, float]:
    from scipy.optimize import minimize

    def loss(params: npt.NDArray[np.float64]) -> float:
        scale, shift = float(params[0]), float(params[1]) if sigmoid else 0.0
        z = logits * scale + shift
        if sigmoid:
            s = np.where(y == 1, -z[:, 0], z[:, 0])
            return float(np.logaddexp(0.0, s).mean())
        z = z - z.max(axis=1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-log_probs[np.arange(len(y)), y].mean())

    start = np.array([1.0, 0.0] if sigmoid else [1.0])
    result = minimize(loss, start, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-7})
    params = result.x
    scale = float(max(params[0], 1e-3))
    return scale, float(params[1]) if sigmoid else 0.0
