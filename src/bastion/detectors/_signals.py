"""From detector scores to signal columns: one ``item.<name>`` field per detector column.

A column keeps its label as its name (``toxicity``, ``prompt_injection``,
``pii``, ``misinfo``), so a policy reads ``item.toxicity``. When two
detectors return a column of the same name (``bastion/toxicity`` and
``bastion/toxicity-minilm``), each of those columns is prefixed with its
detector's short name (``toxicity_toxicity``, ``toxicity_minilm_toxicity``),
whatever order the detectors come in. Names must be valid signal field names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bastion.detectors._errors import DetectorError
from bastion.detectors._scores import ScoreBatch

FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
"""A signal field name without its namespace: ``toxicity`` of ``item.toxicity``."""


def short_name(detector: str) -> str:
    """A detector's name as a field-name prefix: ``bastion/toxicity-minilm`` -> ``toxicity_minilm``.

    Bastion's own detectors drop their namespace; others keep it
    (``acme/spam`` -> ``acme_spam``).
    """
    bare = detector.removeprefix("bastion/")
    return re.sub(r"[^a-z0-9_]", "_", bare.lower())


def signal_names(sources: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[str, ...]]:
    """The field name of every column of every detector, prefixed where names collide.

    Args:
        sources: Per detector, its name and its column labels, in order.

    Returns:
        Per detector, the field name of each of its columns.

    Raises:
        DetectorError: A label is not a valid field name, or names still
            collide after prefixing (the same detector given twice).
    """
    for detector, labels in sources:
        for label in labels:
            if not FIELD_NAME.match(label):
                raise DetectorError(
                    f"{detector}: column {label!r} is not a valid signal name "
                    "(lowercase letters, digits and _, not starting with a digit)"
                )
    counts = Counter(label for _, labels in sources for label in labels)
    names = [
        tuple(
            label if counts[label] == 1 else f"{short_name(detector)}_{label}" for label in labels
        )
        for detector, labels in sources
    ]
    seen: dict[str, str] = {}
    for (detector, _), fields in zip(sources, names, strict=True):
        for name in fields:
            if name in seen:
                raise DetectorError(
                    f"signal {name!r} comes from both {seen[name]} and {detector}; "
                    "give each detector once"
                )
            if not FIELD_NAME.match(name):
                raise DetectorError(f"{detector}: {name!r} is not a valid signal name")
            seen[name] = detector
    return names


def signal_columns(batches: Sequence[ScoreBatch]) -> dict[str, npt.NDArray[np.float32]]:
    """The scores of *batches* (one per detector, same texts) as signal columns, by field name.

    Raises:
        DetectorError: The batches score different numbers of texts, or their
            names are invalid or collide (see :func:`signal_names`).
    """
    sizes = {len(batch) for batch in batches}
    if len(sizes) > 1:
        counts = ", ".join(f"{batch.detector} {len(batch)}" for batch in batches)
        raise DetectorError(f"score batches of different lengths: {counts}")
    names = signal_names([(batch.detector, batch.labels) for batch in batches])
    columns: dict[str, npt.NDArray[np.float32]] = {}
    for batch, fields in zip(batches, names, strict=True):
        for i, name in enumerate(fields):
            columns[name] = np.ascontiguousarray(batch.scores[:, i], dtype=np.float32)
    return columns
