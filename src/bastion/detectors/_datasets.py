"""Labelled texts for training, calibrating and evaluating detectors, and how to split them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row a reader left out because it was malformed (with ``on_bad_row="skip"``).

    Attributes:
        file: The file the row is in.
        line: Its 1-based line (for Parquet, its 1-based row number).
        reason: What is wrong with it.
    """

    file: str
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class LabelledTexts:
    """Texts with one label each, and where each came from.

    Attributes:
        texts: The texts, in file order.
        labels: The label of each text.
        source: The file they were read from (several, comma-separated, after
            :meth:`concat`).
        lines: The 1-based line each text's record starts on in its file
            (for Parquet, the 1-based row number).
        files: The file of each text when they come from several files; empty
            when every text comes from ``source``.
        skipped: The malformed rows the reader left out.
    """

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    source: str
    lines: tuple[int, ...]
    files: tuple[str, ...] = ()
    skipped: tuple[SkippedRow, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.texts)
        if len(self.labels) != n or len(self.lines) != n or (self.files and len(self.files) != n):
            raise ValueError(
                f"{self.source}: {n} texts, {len(self.labels)} labels, {len(self.lines)} lines"
                f" and {len(self.files)} files do not line up"
            )

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def classes(self) -> tuple[str, ...]:
        """The distinct labels, sorted."""
        return tuple(sorted(set(self.labels)))

    def counts(self) -> dict[str, int]:
        """How many texts carry each label, by label (sorted)."""
        counts = Counter(self.labels)
        return {label: counts[label] for label in sorted(counts)}

    def file_of(self, index: int) -> str:
        """The file text *index* was read from."""
        return self.files[index] if self.files else self.source

    def where(self, index: int) -> str:
        """``file:line`` of text *index*, for error messages and evidence."""
        return f"{self.file_of(index)}:{self.lines[index]}"

    def subset(self, indices: Iterable[int]) -> LabelledTexts:
        """The texts at *indices*, in that order (``skipped`` is kept)."""
        picked = [int(i) for i in indices]
        return LabelledTexts(
            tuple(self.texts[i] for i in picked),
            tuple(self.labels[i] for i in picked),
            self.source,
            tuple(self.lines[i] for i in picked),
            tuple(self.files[i] for i in picked) if self.files else (),
            self.skipped,
        )

    def where_label(self, *labels: str) -> LabelledTexts:
        """The texts whose label is one of *labels*, in order."""
        wanted = set(labels)
        return self.subset(i for i, label in enumerate(self.labels) if label in wanted)

    def deduplicated(self) -> LabelledTexts:
        """The texts without exact repeats, each kept where it first occurs."""
        first: dict[str, int] = {}
        for i, text in enumerate(self.texts):
            first.setdefault(text, i)
        keep = sorted(first.values())
        return self if len(keep) == len(self) else self.subset(keep)

    @classmethod
    def concat(cls, *parts: LabelledTexts) -> LabelledTexts:
        """The texts of every part, one after the other."""
        if not parts:
            raise ValueError("concat needs at least one LabelledTexts")
        sources = list(dict.fromkeys(part.source for part in parts))
        files = tuple(part.file_of(i) for part in parts for i in range(len(part)))
        return cls(
            tuple(text for part in parts for text in part.texts),
            tuple(label for part in parts for label in part.labels),
            ", ".join(sources),
            tuple(line for part in parts for line in part.lines),
            () if len(set(files)) <= 1 and len(sources) == 1 else files,
            tuple(row for part in parts for row in part.skipped),
        )


def split(
    data: LabelledTexts, *, test_size: float = 0.2, seed: int = 0, stratify: bool = True
) -> tuple[LabelledTexts, LabelledTexts]:
    """Split into a training and a test part, deterministically.

    Stratified, each class gives ``round(test_size * n_class)`` texts to the
    test part, but at least one to each side when the class has two or more.
    Both parts keep file order.

    Args:
        data: The texts to split.
        test_size: The fraction, in (0, 1), that goes to the test part.
        seed: Seeds :func:`numpy.random.default_rng`; the same seed and data
            give the same split.
        stratify: Whether every class is split in the same proportion.

    Returns:
        ``(train, test)``.
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), not {test_size}")
    rng = np.random.default_rng(seed)
    groups = _strata(data, stratify)
    test: list[int] = []
    for members in groups:
        n = len(members)
        n_test = round(test_size * n)
        if n >= 2:
            n_test = min(max(n_test, 1), n - 1)
        test.extend(rng.permutation(members)[:n_test].tolist())
    in_test = np.zeros(len(data), dtype=bool)
    in_test[test] = True
    return data.subset(np.flatnonzero(~in_test)), data.subset(np.flatnonzero(in_test))


def kfold(
    data: LabelledTexts, k: int = 5, *, seed: int = 0, stratify: bool = True
) -> list[tuple[LabelledTexts, LabelledTexts]]:
    """*k* ``(train, test)`` folds; every text is in exactly one test part.

    Each class is shuffled and dealt round the folds, so fold sizes differ by
    at most one per class.
    """
    if k < 2 or k > len(data):
        raise ValueError(f"k must be in [2, {len(data)}], not {k}")
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(data), dtype=np.int64)
    dealt = 0
    for members in _strata(data, stratify):
        shuffled = rng.permutation(members)
        fold_of[shuffled] = (np.arange(len(shuffled)) + dealt) % k
        dealt += len(shuffled)
    return [
        (data.subset(np.flatnonzero(fold_of != f)), data.subset(np.flatnonzero(fold_of == f)))
        for f in range(k)
    ]


def _strata(data: LabelledTexts, stratify: bool) -> list[npt.NDArray[np.intp]]:
    if not stratify:
        return [np.arange(len(data))]
    labels = np.asarray(data.labels, dtype=object)
    return [np.flatnonzero(labels == label) for label in data.classes]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences_of(data: LabelledTexts, shortest: int = 3, longest: int = 200) -> LabelledTexts:
    """The distinct sentences of *data*'s texts, each with its text's label and line.

    Texts are split after ``.``, ``!`` and ``?`` and at line breaks; sentences
    of *shortest* to *longest* characters are kept, each once.
    """
    seen: dict[str, int] = {}
    for index, text in enumerate(data.texts):
        for sentence in _SENTENCE_END.split(text):
            sentence = sentence.strip()
            if shortest <= len(sentence) <= longest:
                seen.setdefault(sentence, index)
    origin = list(seen.values())
    return LabelledTexts(
        tuple(seen),
        tuple(data.labels[i] for i in origin),
        data.source,
        tuple(data.lines[i] for i in origin),
        tuple(data.file_of(i) for i in origin) if data.files else (),
    )
