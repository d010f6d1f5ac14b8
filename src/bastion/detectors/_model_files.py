"""Where model files live and how they are read and written.

A model is one ``NAME.npz`` file: NumPy arrays plus a ``meta`` entry holding
JSON (format, version, labels, thresholds, training data and metrics). It is
read with ``allow_pickle=False``: a model file cannot run code. Beside it,
``NAME.md`` is its model card.

Directories are searched in order: the one passed explicitly, then
``$BASTION_MODELS``, then the models shipped inside the package.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bastion.detectors._errors import DetectorError, ModelNotFoundError

PACKAGED_MODELS = Path(__file__).with_name("models")
FORMAT = "bastion-detector-model"


def model_dirs(model_dir: Path | None) -> list[Path]:
    """The directories searched for model files, first match wins."""
    dirs: list[Path] = []
    if model_dir is not None:
        dirs.append(Path(model_dir))
    env = os.environ.get("BASTION_MODELS")
    if env:
        dirs.append(Path(env))
    dirs.append(PACKAGED_MODELS)
    return dirs


def find_model(file_name: str, model_dir: Path | None, *, detector: str, train: str) -> Path:
    """The first *file_name* among :func:`model_dirs`, or a :class:`ModelNotFoundError`."""
    dirs = model_dirs(model_dir)
    for directory in dirs:
        candidate = directory / file_name
        if candidate.is_file():
            return candidate
    return _missing(file_name, dirs, detector, train)


def _missing(file_name: str, dirs: list[Path], detector: str, train: str) -> Path:
    searched = " or ".join(str(d / file_name) for d in dirs)
    raise ModelNotFoundError(detector, searched, train)


def save_model(path: Path, arrays: Mapping[str, npt.NDArray[Any]], meta: Mapping[str, Any]) -> None:
    """Write a model file atomically (a crash leaves the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"format": FORMAT, **meta}, sort_keys=True)
    fd, staging = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            stored: dict[str, Any] = {**arrays, "meta": np.array(header)}
            np.savez_compressed(out, allow_pickle=False, **stored)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(staging, 0o644)  # mkstemp makes it private; a model is meant to be read
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def load_model(path: Path) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """Read a model file: its arrays and its metadata."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files if name != "meta"}
            header = str(data["meta"]) if "meta" in data.files else ""
    except (OSError, ValueError, KeyError) as error:
        raise DetectorError(f"{path}: not a readable model file ({error})") from error
    try:
        meta = json.loads(header)
    except json.JSONDecodeError as error:
        raise DetectorError(f"{path}: its metadata is not JSON ({error})") from error
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DetectorError(f"{path}: not a Bastion detector model (format {FORMAT!r} expected)")
    return arrays, meta
