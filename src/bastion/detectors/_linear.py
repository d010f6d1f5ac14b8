"""A calibrated linear head over hashed n-grams and (optionally) a dense text embedding.

Logits are ``hashed_features @ W_hashed + embedding @ W_dense + bias``; the
link is a softmax over classes or, for two classes, a sigmoid of one logit.
Calibration is one affine map of the logits fitted on held-out data
(temperature scaling for a softmax, Platt scaling for a sigmoid), so the
probabilities can be read as frequencies; ``ece`` in a model card says how
well that held.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from bastion.detectors._hashing import HashedFeatures

Link = Literal["softmax", "sigmoid"]
Array = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class LinearHead:
    """Weights, bias and calibration of one linear classifier.

    Attributes:
        classes: The class names; with a ``sigmoid`` link exactly two, the
            logit being that of the second.
        link: ``softmax`` (one logit per class) or ``sigmoid`` (one logit).
        hashed: ``(buckets, logits)`` weights of the hashed n-grams, or ``None``.
        dense: ``(dimension, logits)`` weights of the embedding, or ``None``.
        bias: ``(logits,)``.
        scale: Calibration: logits are multiplied by it ...
        shift: ... and shifted by it before the link.
    """

    classes: tuple[str, ...]
    link: Link
    hashed: Array | None
    dense: Array | None
    bias: Array
    scale: float = 1.0
    shift: float = 0.0

    def __post_init__(self) -> None:
        logits = 1 if self.link == "sigmoid" else len(self.classes)
        if self.link == "sigmoid" and len(self.classes) != 2:
            raise ValueError(f"a sigmoid head needs two classes, got {self.classes}")
        for name, weights in (("hashed", self.hashed), ("dense", self.dense)):
            if weights is not None and (weights.ndim != 2 or weights.shape[1] != logits):
                raise ValueError(
                    f"{name} weights of shape {weights.shape}: {logits} logits expected"
                )
        if self.bias.shape != (logits,):
            raise ValueError(f"bias of shape {self.bias.shape}: ({logits},) expected")

    def logits(self, hashed: HashedFeatures | None, dense: Array | None, count: int) -> Array:
        """Uncalibrated logits, ``(count, logits)``."""
        out = np.repeat(self.bias[None, :].astype(np.float32), count, axis=0)
        if self.hashed is not None and hashed is not None and len(hashed.rows):
            # Features come grouped by text: sum each text's run of weights, then scale.
            nonempty = np.flatnonzero(hashed.scale)
            sums = np.add.reduceat(self.hashed[hashed.buckets], hashed.starts[nonempty], axis=0)
            out[nonempty] += sums * hashed.scale[nonempty, None]
        if self.dense is not None and dense is not None:
            out += (dense @ self.dense).astype(np.float32)
        return out

    def probabilities(self, logits: Array) -> Array:
        """Calibrated class probabilities, ``(n, len(classes))``."""
        z = logits * np.float32(self.scale) + np.float32(self.shift)
        if self.link == "sigmoid":
            positive = 1.0 / (1.0 + np.exp(-np.clip(z[:, 0], -60.0, 60.0)))
            return np.stack([1.0 - positive, positive], axis=1).astype(np.float32)
        exp: Array = np.exp(z - z.max(axis=1, keepdims=True))
        exp /= exp.sum(axis=1, keepdims=True)
        return exp

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """The arrays to store (weights as ``float16``: half the size, no measurable loss)."""
        arrays: dict[str, npt.NDArray[Any]] = {"bias": self.bias.astype(np.float32)}
        if self.hashed is not None:
            arrays["hashed"] = self.hashed.astype(np.float16)
        if self.dense is not None:
            arrays["dense"] = self.dense.astype(np.float16)
        return arrays

    def to_meta(self) -> dict[str, Any]:
        """The scalar settings to store beside the arrays."""
        return {
            "classes": list(self.classes),
            "link": self.link,
            "scale": self.scale,
            "shift": self.shift,
        }

    @classmethod
    def from_stored(cls, arrays: dict[str, npt.NDArray[Any]], meta: dict[str, Any]) -> LinearHead:
        """The head written by :meth:`to_arrays` and :meth:`to_meta`."""
        link = meta["link"]
        if link not in ("softmax", "sigmoid"):
            raise ValueError(f"unknown link {link!r}")
        hashed = arrays.get("hashed")
        dense = arrays.get("dense")
        return cls(
            classes=tuple(str(c) for c in meta["classes"]),
            link=link,
            hashed=None if hashed is None else hashed.astype(np.float32),
            dense=None if dense is None else dense.astype(np.float32),
            bias=arrays["bias"].astype(np.float32),
            scale=float(meta["scale"]),
            shift=float(meta["shift"]),
        )
