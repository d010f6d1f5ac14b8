"""Hub text classifiers already on disk (Prompt Guard, toxic-bert, any sequence classifier).

Loads an ``AutoModelForSequenceClassification`` directory through
``transformers`` (imported lazily; ``local_files_only``, nothing is
downloaded). Labels are the config's ``id2label``, lowercased; scores are a
softmax over them, or per-label sigmoids for a multi-label model. Generative
guard models (Llama Guard) are not supported here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.detectors._errors import DetectorError
from bastion.detectors._scores import ScoreBatch

_INSTALL = "pip install 'bastion-safety[embed]'"
_CHARS_PER_TOKEN = 16
"""Characters kept per token of the model's length before tokenising (bounds a 1 MB text)."""


class HubClassifier:
    """A :class:`~bastion.detectors.Detector` over a local hub sequence classifier.

    Build one with :meth:`from_pretrained`. Thread-safe: the forward pass runs
    under a lock; deterministic (evaluation mode, no sampling).

    Attributes:
        name: The detector name (``hub/<directory name>`` unless given).
        labels: The model's ``id2label`` values, lowercased, in id order.
        thresholds: 0.5 for every label unless given.
        max_length: Tokens kept per text (the model's maximum).
        multi_label: Whether scores are independent sigmoids.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        name: str,
        labels: tuple[str, ...],
        max_length: int,
        multi_label: bool,
        batch_size: int = 16,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self._model = model
        self._tokenizer = tokenizer
        self._name = name
        self._labels = labels
        self.max_length = max_length
        self.multi_label = multi_label
        self.batch_size = batch_size
        self._thresholds = dict(thresholds or dict.fromkeys(labels, 0.5))
        self._lock = threading.Lock()

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        *,
        name: str | None = None,
        batch_size: int = 16,
        thresholds: Mapping[str, float] | None = None,
    ) -> HubClassifier:
        """Load the classifier saved (``save_pretrained``) in directory *path*.

        Raises:
            DetectorError: *path* is not a model directory, or ``transformers``
                is not installed.
        """
        directory = Path(path)
        if not (directory / "config.json").is_file():
            raise DetectorError(f"no hub classifier at {directory}: config.json not found")
        os.environ["HF_HUB_OFFLINE"] = "1"
        try:
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as error:
            raise DetectorError(
                f"hub classifiers need transformers ({error}); {_INSTALL}"
            ) from error
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(
                str(directory), local_files_only=True
            )
        except (OSError, ValueError, KeyError) as error:
            raise DetectorError(f"{directory}: cannot load the classifier ({error})") from error
        model.eval()
        config = model.config
        labels = tuple(str(config.id2label[i]).lower() for i in range(config.num_labels))
        if len(set(labels)) != len(labels):
            raise DetectorError(f"{directory}: id2label has duplicate labels {labels}")
        limits = [getattr(config, "max_position_embeddings", None), tokenizer.model_max_length]
        max_length = min(int(n) for n in limits if isinstance(n, int) and 0 < n < 1_000_000)
        return cls(
            model,
            tokenizer,
            name=name or f"hub/{directory.resolve().name}",
            labels=labels,
            max_length=max_length,
            multi_label=config.problem_type == "multi_label_classification",
            batch_size=batch_size,
            thresholds=thresholds,
        )

    @property
    def name(self) -> str:
        """The detector name."""
        return self._name

    @property
    def labels(self) -> tuple[str, ...]:
        """The model's labels, in id order."""
        return self._labels

    @property
    def thresholds(self) -> Mapping[str, float]:
        """Per-label flag thresholds."""
        return self._thresholds

    def score(self, texts: Sequence[str]) -> ScoreBatch:
        """Probabilities of every label for every text."""
        if not texts:
            return ScoreBatch.empty(self._name, self._labels)
        keep = self.max_length * _CHARS_PER_TOKEN
        safe = [text[:keep].encode("utf-8", "replace").decode("utf-8") for text in texts]
        parts = [
            self._forward(safe[start : start + self.batch_size])
            for start in range(0, len(safe), self.batch_size)
        ]
        return ScoreBatch(self._name, self._labels, np.concatenate(parts, axis=0))

    def _forward(self, batch: list[str]) -> npt.NDArray[np.float32]:
        import torch

        with self._lock, torch.inference_mode():
            inputs = self._tokenizer(
                batch,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            logits = self._model(**inputs).logits.float()
            probs = torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=-1)
            return np.asarray(probs.numpy(), dtype=np.float32)
