"""Static token embeddings: a sentence vector is the mean of its tokens' rows of one table.

The table is distilled from MiniLM (see :mod:`._distill` and the model card
``models/static-minilm.md``). Encoding needs NumPy and ``tokenizers`` only: the
texts are tokenised in one ``encode_batch`` call, the rows gathered and summed
per text with ``np.add.reduceat``, and the sums L2-normalised (so the mean's
divisor does not matter).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

from bastion.detectors._errors import DetectorError
from bastion.detectors._model_files import find_model, load_model

MODEL_KIND = "static-embedding"
DEFAULT_FILE = "static-minilm.npz"
MAX_TOKENS = 512
"""Tokens kept per text: the first 512 carry the topic; the cap bounds the cost of a 1 MB text."""
_CHARS_PER_TOKEN = 16
"""Characters kept before tokenising (MAX_TOKENS x 16): English averages under 5 per token."""
_CHUNK = 64
_TOKENIZE_CHUNK = 4096
"""Texts encoded at a time: keeps the gathered rows (~4 MB for short texts) in cache."""


def _utf8_safe(text: str) -> str:
    """*text* with lone surrogates replaced, so that it can cross into Rust."""
    return text.encode("utf-8", "replace").decode("utf-8")


class StaticEmbedder:
    """Encodes texts as L2-normalised means of static token vectors.

    Thread-safe (encoding reads shared state only) and deterministic.

    Attributes:
        dim: The length of every vector.
        meta: The model file's metadata.
    """

    def __init__(
        self,
        table: npt.NDArray[np.floating[Any]],
        tokenizer: Tokenizer,
        *,
        meta: dict[str, Any] | None = None,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        if table.ndim != 2 or table.shape[0] != tokenizer.get_vocab_size(with_added_tokens=True):
            raise DetectorError(
                f"static embedding table of shape {table.shape} does not match a vocabulary "
                f"of {tokenizer.get_vocab_size(with_added_tokens=True)} tokens"
            )
        # float32 in memory: gathering and summing float16 rows is slower on CPUs.
        self._table = np.ascontiguousarray(table, dtype=np.float32)
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_tokens)
        self._tokenizer = tokenizer
        self._max_chars = max_tokens * _CHARS_PER_TOKEN
        unk = tokenizer.model.unk_token if hasattr(tokenizer.model, "unk_token") else None
        self._unk_id = tokenizer.token_to_id(unk) if isinstance(unk, str) else None
        self.dim = int(table.shape[1])
        self.meta = dict(meta or {})

    @classmethod
    def load(cls, path: Path) -> StaticEmbedder:
        """Read a model file written by :func:`bastion.detectors._distill.distill_static`."""
        arrays, meta = load_model(path)
        if (
            meta.get("kind") != MODEL_KIND
            or "embeddings" not in arrays
            or "tokenizer" not in arrays
        ):
            raise DetectorError(f"{path}: not a static embedding model")
        try:
            tokenizer = Tokenizer.from_str(arrays["tokenizer"].tobytes().decode("utf-8"))
        except Exception as error:  # tokenizers raises plain Exception on bad JSON
            raise DetectorError(f"{path}: its tokenizer cannot be read ({error})") from error
        table = arrays["embeddings"]
        if "scales" in arrays:  # int8 rows, one scale each
            table = table.astype(np.float32) * arrays["scales"].astype(np.float32)[:, None]
        return cls(table, tokenizer, meta=meta)

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit vectors of shape ``(len(texts), dim)``; a text with no tokens gets zeros."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Tokenise in large batches (the tokenizer runs them in parallel), sum
        # vectors in small ones (their rows stay in the CPU cache).
        for start in range(0, len(texts), _TOKENIZE_CHUNK):
            ids = self._token_ids(texts[start : start + _TOKENIZE_CHUNK])
            for offset in range(0, len(ids), _CHUNK):
                at = start + offset
                self._encode_into(ids[offset : offset + _CHUNK], out[at : at + _CHUNK])
        return out

    def _encode_into(self, ids_per_text: list[list[int]], out: npt.NDArray[np.float32]) -> None:
        unk = self._unk_id
        if unk is not None:
            ids_per_text = [
                [i for i in ids if i != unk] if unk in ids else ids for ids in ids_per_text
            ]
        lengths = np.fromiter(map(len, ids_per_text), dtype=np.int64, count=len(ids_per_text))
        nonempty = np.flatnonzero(lengths)
        if nonempty.size == 0:
            return
        flat = np.fromiter(chain.from_iterable(ids_per_text), dtype=np.int64, count=lengths.sum())
        starts = np.zeros(nonempty.size, dtype=np.int64)
        np.cumsum(lengths[nonempty][:-1], out=starts[1:])
        sums = np.add.reduceat(self._table[flat], starts, axis=0)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        np.divide(sums, norms, out=sums, where=norms > 0)
        out[nonempty] = sums

    def _token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        clipped = [text[: self._max_chars] for text in texts]
        try:
            if len(clipped) == 1:
                return [self._tokenizer.encode(clipped[0], add_special_tokens=False).ids]
            encodings = self._tokenizer.encode_batch_fast(clipped, add_special_tokens=False)
        except TypeError:
            # A lone surrogate cannot become UTF-8; rare, so the happy path does not pay for it.
            safe = [_utf8_safe(text) for text in clipped]
            encodings = self._tokenizer.encode_batch_fast(safe, add_special_tokens=False)
        return [encoding.ids for encoding in encodings]


_default: dict[Path, StaticEmbedder] = {}
_default_lock = threading.Lock()


def default_static_embedder(model_dir: Path | None = None) -> StaticEmbedder:
    """The shipped ``static-minilm.npz`` (or the one in *model_dir*), loaded once per process."""
    path = find_model(
        DEFAULT_FILE,
        model_dir,
        detector="bastion/static-embedding",
        train="bastion detectors distill",
    )
    with _default_lock:
        cached = _default.get(path)
        if cached is None:
            cached = _default[path] = StaticEmbedder.load(path)
        return cached
