"""The ``misinfo_claim`` detector: does a text repeat a claim already rated false?

A claim index is a model file of unit claim embeddings (``float16``) with
each claim's text, verdict and source. A text scores the best cosine
similarity to any claim, mapped to a probability by a logistic curve
``p = sigmoid(slope * similarity + intercept)``. The two parameters are
fitted when the index is built, on pairs made from the claims themselves:
a positive is a claim with every third word dropped against the index, a
negative is a claim against every *other* claim (leave-one-out), with
Platt's smoothed targets so that a cleanly separable set keeps a finite
slope. It is "calibrated-ish": it measures how far a rewording may drift,
not how often real posts repeat claims. The nearest claims are returned as
:class:`Evidence`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from bastion.detectors._claim_files import FALSE_VERDICTS, Claim, read_claims
from bastion.detectors._errors import DataError, DetectorError
from bastion.detectors._model_files import find_model, load_model, save_model
from bastion.detectors._registry import detector
from bastion.detectors._scores import Evidence, ScoreBatch

NAME = "bastion/misinfo_claim"
LABEL = "misinfo"
MODEL_KIND = "claim-index"
DEFAULT_FILE = "misinfo-claims.npz"
TRAIN_COMMAND = "bastion detectors train misinfo_claim --data PATH/liar/train.tsv"
EVIDENCE_FLOOR = 0.05
"""A neighbour is evidence only when it alone would give at least this probability."""
ENCODERS = ("static", "minilm")


class Encoder(Protocol):
    """What the index needs of an embedder: unit vectors of a fixed length."""

    dim: int

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit vectors, one row per text."""
        ...


def make_encoder(kind: str, model_dir: Path | None = None) -> Encoder:
    """The ``static`` (default, NumPy only) or ``minilm`` (torch) sentence encoder."""
    if kind == "static":
        from bastion.detectors._static import default_static_embedder

        return default_static_embedder(model_dir)
    if kind == "minilm":
        from bastion.detectors._minilm import MiniLMEncoder

        return MiniLMEncoder()
    raise DetectorError(f"unknown encoder {kind!r}; choose one of {', '.join(ENCODERS)}")


class ClaimMatcher:
    """Scores texts by their similarity to known false claims (a :class:`Detector`).

    Attributes:
        name: ``bastion/misinfo_claim``.
        labels: ``("misinfo",)``.
        thresholds: ``{"misinfo": 0.5}`` unless given.
        top_k: Nearest claims considered as evidence per text.
        slope: Logistic slope of the similarity-to-probability map.
        intercept: Its intercept.
    """

    def __init__(
        self,
        encoder: Encoder,
        embeddings: npt.NDArray[np.floating[Any]],
        claims: Sequence[Claim],
        *,
        slope: float,
        intercept: float,
        top_k: int = 3,
        threshold: float = 0.5,
        name: str = NAME,
    ) -> None:
        if embeddings.ndim != 2 or embeddings.shape != (len(claims), encoder.dim):
            raise DetectorError(
                f"claim index of shape {embeddings.shape} does not fit {len(claims)} claims "
                f"embedded in {encoder.dim} dimensions"
            )
        self._encoder = encoder
        self._index = np.ascontiguousarray(embeddings, dtype=np.float32)
        self._claims = tuple(claims)
        self.slope = slope
        self.intercept = intercept
        self.top_k = max(1, min(top_k, len(claims)))
        self._name = name
        self._thresholds = {LABEL: threshold}

    @classmethod
    def load(cls, path: Path, *, model_dir: Path | None = None) -> ClaimMatcher:
        """Read an index written by :func:`build_claim_index` (its encoder from *model_dir*)."""
        arrays, meta = load_model(path)
        needed = ("embeddings", "texts", "verdicts", "sources")
        if meta.get("kind") != MODEL_KIND or any(name not in arrays for name in needed):
            raise DetectorError(f"{path}: not a claim index (arrays {', '.join(needed)} expected)")
        encoder = make_encoder(str(meta.get("encoder", "static")), model_dir)
        claims = [
            Claim(str(t), str(v), str(s))
            for t, v, s in zip(arrays["texts"], arrays["verdicts"], arrays["sources"], strict=True)
        ]
        return cls(
            encoder,
            arrays["embeddings"],
            claims,
            slope=float(meta["slope"]),
            intercept=float(meta["intercept"]),
            top_k=int(meta.get("top_k", 3)),
        )

    @property
    def name(self) -> str:
        """The detector name."""
        return self._name

    @property
    def labels(self) -> tuple[str, ...]:
        """``("misinfo",)``."""
        return (LABEL,)

    @property
    def thresholds(self) -> Mapping[str, float]:
        """The flag threshold of ``misinfo``."""
        return self._thresholds

    def probability(self, similarity: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The calibrated probability for a best cosine similarity."""
        z = np.clip(self.slope * similarity + self.intercept, -50.0, 50.0)
        probs: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
        return probs

    def score(self, texts: Sequence[str]) -> ScoreBatch:
        """``misinfo`` probabilities, with the nearest claims as evidence."""
        if not texts:
            return ScoreBatch(self._name, (LABEL,), np.zeros((0, 1), np.float32), evidence=())
        sims = self._encoder.encode(texts) @ self._index.T
        k = self.top_k
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        near_sims = np.take_along_axis(sims, nearest, axis=1)
        order = np.argsort(-near_sims, axis=1, kind="stable")
        nearest = np.take_along_axis(nearest, order, axis=1)
        near_sims = np.take_along_axis(near_sims, order, axis=1)
        probs = self.probability(near_sims)
        evidence = tuple(
            self._evidence(row, srow, prow)
            for row, srow, prow in zip(nearest, near_sims, probs, strict=True)
        )
        return ScoreBatch(self._name, (LABEL,), probs[:, :1].copy(), evidence=evidence)

    def _evidence(
        self,
        rows: npt.NDArray[np.intp],
        sims: npt.NDArray[np.float32],
        probs: npt.NDArray[np.float32],
    ) -> tuple[Evidence, ...]:
        found = []
        for j, sim, prob in zip(rows, sims, probs, strict=True):
            if prob >= EVIDENCE_FLOOR:
                claim = self._claims[j]
                found.append(Evidence(claim.text, claim.verdict, float(sim), claim.source))
        return tuple(found)


def _perturb(text: str) -> str:
    """*text* lowercased with every third word dropped: a rewording for calibration."""
    words = text.lower().split()
    return " ".join(w for i, w in enumerate(words) if i % 3 != 1) or text


def fit_logistic(
    similarity: npt.NDArray[np.float64], target: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """Slope and intercept of ``sigmoid(slope * s + intercept)`` by Newton's method (Platt)."""
    positives = float(target.sum())
    negatives = float(target.size - positives)
    y = np.where(target > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    x = np.stack([similarity, np.ones_like(similarity)], axis=1)
    w = np.zeros(2)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        hessian = (x * (p * (1 - p))[:, None]).T @ x + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, x.T @ (p - y))
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return float(w[0]), float(w[1])


def calibrate(
    encoder: Encoder, index: npt.NDArray[np.float32], texts: Sequence[str]
) -> tuple[float, float]:
    """Fit the similarity-to-probability map on pairs made from the indexed claims."""
    if len(texts) < 2:
        return 20.0, -15.0  # one claim: p = 0.5 at similarity 0.75
    own = index @ index.T
    np.fill_diagonal(own, -1.0)
    negatives = own.max(axis=1)
    positives = (encoder.encode([_perturb(t) for t in texts]) @ index.T).max(axis=1)
    sims = np.concatenate([positives, negatives]).astype(np.float64)
    target = np.concatenate([np.ones(len(texts)), np.zeros(len(texts))])
    return fit_logistic(sims, target)


def build_claim_index(
    claims_path: Path,
    out_path: Path,
    *,
    encoder: str = "static",
    verdicts: Collection[str] | None = FALSE_VERDICTS,
    top_k: int = 3,
    model_dir: Path | None = None,
) -> ClaimMatcher:
    """Embed the claims of *claims_path* and write the index to *out_path*.

    Duplicate claim texts are kept once (the first).

    Raises:
        DataError: The claims file is malformed or has no claim with those verdicts.
    """
    claims_path = Path(claims_path)
    unique: dict[str, Claim] = {}
    for claim in read_claims(claims_path, verdicts=verdicts):
        text = claim.text.encode("utf-8", "replace").decode("utf-8")
        unique.setdefault(text, Claim(text, claim.verdict, claim.source))
    if not unique:
        wanted = "any verdict" if verdicts is None else ", ".join(verdicts)
        raise DataError(f"no claims with verdict {wanted}", file=str(claims_path))
    claims = list(unique.values())
    embedder = make_encoder(encoder, model_dir)
    texts = [c.text for c in claims]
    embeddings = embedder.encode(texts).astype(np.float16)
    index = embeddings.astype(np.float32)
    slope, intercept = calibrate(embedder, index, texts)
    meta = {
        "kind": MODEL_KIND,
        "detector": NAME,
        "encoder": encoder,
        "dims": int(embedder.dim),
        "claims": len(claims),
        "verdicts": None if verdicts is None else sorted(verdicts),
        "data": claims_path.name,
        "slope": slope,
        "intercept": intercept,
        "calibration": "self-pairs: claim minus every third word vs leave-one-out (Platt)",
        "top_k": top_k,
    }
    arrays = {
        "embeddings": embeddings,
        "texts": np.array(texts, dtype=np.str_),
        "verdicts": np.array([c.verdict for c in claims], dtype=np.str_),
        "sources": np.array([c.source for c in claims], dtype=np.str_),
    }
    save_model(out_path, arrays, meta)
    return ClaimMatcher(embedder, embeddings, claims, slope=slope, intercept=intercept, top_k=top_k)


@detector(NAME)
def misinfo_claim(*, model_dir: Path | None = None) -> ClaimMatcher:
    """The claim matcher over ``misinfo-claims.npz`` (shipped: a small invented example set)."""
    path = find_model(DEFAULT_FILE, model_dir, detector=NAME, train=TRAIN_COMMAND)
    return ClaimMatcher.load(path, model_dir=model_dir)
