"""The text encoders a model file may name, built on demand."""

from __future__ import annotations

import threading
from pathlib import Path

from bastion.detectors._errors import DetectorError
from bastion.detectors._fast import TextEncoder

ENCODERS = ("static-minilm", "minilm")
_shared: dict[str, TextEncoder] = {}
_lock = threading.Lock()


def embedder_for(embedding: str | None, model_dir: Path | None = None) -> TextEncoder | None:
    """The encoder called *embedding* (``None`` for none).

    ``static-minilm`` is the shipped static table (NumPy and ``tokenizers``);
    ``minilm`` is the packaged MiniLM through sentence-transformers, loaded
    on first use.
    """
    if embedding is None:
        return None
    if embedding == "static-minilm":
        from bastion.detectors._static import default_static_embedder

        return default_static_embedder(model_dir)
    if embedding == "minilm":
        from bastion.detectors._minilm import MiniLMEncoder

        with _lock:  # one MiniLM per process, however many detectors use it
            if "minilm" not in _shared:
                _shared["minilm"] = MiniLMEncoder()
            return _shared["minilm"]
    raise DetectorError(f"unknown embedding {embedding!r}; known: {', '.join(ENCODERS)}")
