"""Loaders for the public data sets detectors are trained and measured on.

Each takes the data set's file or its folder, checks an optional SHA-256,
reads the texts with their file and line, and drops exact repeats of a text
(keeping the first), so a text never sits on both sides of a split.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Literal

import numpy as np

from bastion.detectors._csv import CsvFormat
from bastion.detectors._datasets import LabelledTexts
from bastion.detectors._errors import DataError
from bastion.detectors._readers import read_labelled

Checksums = str | Mapping[str, str] | None

logger = logging.getLogger(__name__)

LIAR_VERDICTS = ("pants-fire", "false", "barely-true", "half-true", "mostly-true", "true")
"""The six PolitiFact verdicts of LIAR, from least to most true."""

LIAR_COLUMNS = (
    "id",
    "label",
    "statement",
    "subjects",
    "speaker",
    "job",
    "state",
    "party",
    "barely_true_count",
    "false_count",
    "half_true_count",
    "mostly_true_count",
    "pants_on_fire_count",
    "context",
)
"""The columns of LIAR's header-less TSV files, in order (from its README)."""


def load_davidson(path: str | Path, *, sha256: Checksums = None) -> LabelledTexts:
    """Davidson et al. (2017) tweets: ``hate``, ``offensive`` or ``neither``.

    *path* is ``labeled_data.csv`` or its folder; the file is read as
    distributed (its first column has an empty name).
    """
    (file,) = _files(path, "labeled_data.csv")
    return _read_all(
        [file],
        sha256,
        text_column="tweet",
        label_column="class",
        label_map={"0": "hate", "1": "offensive", "2": "neither"},
    )


def load_deepset(path: str | Path, *, sha256: Checksums = None) -> LabelledTexts:
    """Prompt injections of deepset: ``injection`` (label 1) or ``benign`` (label 0).

    *path* is ``prompt_injections.csv``, the Hub's Parquet file, or a folder
    holding the CSV.
    """
    (file,) = _files(path, "prompt_injections.csv")
    return _read_all(
        [file],
        sha256,
        text_column="text",
        label_column="label",
        label_map={"0": "benign", "1": "injection"},
    )


def load_jailbreaks(path: str | Path, *, sha256: Checksums = None) -> LabelledTexts:
    """In-the-wild jailbreak prompts (Shen et al.), each labelled ``jailbreak``.

    *path* is one ``jailbreak_prompts_<date>.csv`` or a folder, whose every
    ``jailbreak_prompts_*.csv`` is read in name order. Only rows whose
    ``jailbreak`` column is ``True`` are kept; a prompt found in several
    snapshots is kept once, at its first occurrence.
    """
    data = _read_all(
        _files(path, "jailbreak_prompts_*.csv"),
        sha256,
        text_column="prompt",
        label_column="jailbreak",
        label_map={"True": "jailbreak", "False": "regular"},
    )
    return data.where_label("jailbreak")


def load_xstest(
    path: str | Path, *, label_by: Literal["label", "type"] = "label", sha256: Checksums = None
) -> LabelledTexts:
    """XSTest prompts, labelled ``safe`` or ``unsafe`` (or by their ``type``).

    *path* is ``xstest_prompts.csv`` or its folder. With ``label_by="type"``
    the labels are the prompt types (``homonyms``, ``contrast_homonyms`` ...).
    """
    (file,) = _files(path, "xstest_prompts.csv")
    label_map = {"safe": "safe", "unsafe": "unsafe"} if label_by == "label" else None
    return _read_all(
        [file], sha256, text_column="prompt", label_column=label_by, label_map=label_map
    )


def load_xstest_completions(path: str | Path, *, sha256: Checksums = None) -> LabelledTexts:
    """The LLM answers of XSTest's completion files, each labelled ``benign``.

    *path* is one ``xstest_v2_completions_<model>.csv`` or a folder, whose
    every such file is read in name order. The answers (to safe and unsafe
    prompts alike: help, refusals, explanations, code) are long, ordinary
    assistant text: benign as a prompt, and the length that a detector
    trained on short benign prompts learns to mistake for an attack.
    """
    return _read_all(
        _files(path, "xstest_v2_completions_*.csv"),
        sha256,
        text_column="completion",
        label="benign",
    )


def load_truthfulqa_questions(path: str | Path, *, sha256: Checksums = None) -> LabelledTexts:
    """TruthfulQA's questions, each labelled ``benign``.

    *path* is ``TruthfulQA.csv`` or its folder.
    """
    (file,) = _files(path, "TruthfulQA.csv")
    return _read_all([file], sha256, text_column="Question", label="benign")


def load_bbq_contexts(
    path: str | Path,
    limit: int | None = None,
    *,
    with_question: bool = True,
    sha256: Checksums = None,
) -> LabelledTexts:
    """BBQ's contexts (followed by the question, by default), each labelled ``benign``.

    *path* is one category's ``.jsonl`` or a folder, whose every ``*.jsonl``
    is read in name order. With *limit*, an evenly spaced ``limit`` of the
    distinct texts is kept, so every category file keeps its share.
    """
    columns = ("context", "question") if with_question else ("context",)
    data = _read_all(_files(path, "*.jsonl"), sha256, text_column=columns, label="benign")
    if limit is not None and limit < len(data):
        if limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        data = data.subset(np.linspace(0, len(data) - 1, limit).round().astype(np.int64))
    return data


def load_liar(
    path: str | Path,
    verdicts: Collection[str] = LIAR_VERDICTS,
    *,
    sha256: Checksums = None,
) -> LabelledTexts:
    """LIAR's PolitiFact statements, labelled by their verdict.

    *path* is one of the header-less TSV files, or their folder (``train.tsv``,
    ``valid.tsv`` then ``test.tsv``, those present). Quotes are ordinary
    characters in these files. Only statements with one of *verdicts* are
    kept; a verdict outside :data:`LIAR_VERDICTS` in the file is an error.
    """
    unknown = set(verdicts) - set(LIAR_VERDICTS)
    if unknown:
        raise ValueError(f"unknown verdicts {sorted(unknown)}; LIAR has {', '.join(LIAR_VERDICTS)}")
    folder = Path(path)
    if folder.is_dir():
        files = [
            folder / n for n in ("train.tsv", "valid.tsv", "test.tsv") if (folder / n).exists()
        ]
        if not files:
            raise DataError("no train.tsv, valid.tsv or test.tsv here", file=str(folder))
    else:
        files = [folder]
    data = _read_all(
        files,
        sha256,
        text_column="statement",
        label_column="label",
        label_map={verdict: verdict for verdict in LIAR_VERDICTS},
        csv_format=CsvFormat(delimiter="\t", quoting=False, columns=LIAR_COLUMNS),
    )
    return data.where_label(*verdicts)


def _files(path: str | Path, pattern: str) -> list[Path]:
    """*path* itself when it is a file, else the files of the folder *pattern* matches."""
    path = Path(path)
    if not path.is_dir():
        if not path.exists():
            raise DataError("no such file or folder", file=str(path))
        return [path]
    files = sorted(path.glob(pattern))
    if not files:
        raise DataError(f"no file matching {pattern!r} in this folder", file=str(path))
    return files


def _read_all(
    files: list[Path],
    sha256: Checksums,
    *,
    text_column: str | tuple[str, ...],
    label_column: str | None = None,
    label: str | None = None,
    label_map: Mapping[str, str] | None = None,
    csv_format: CsvFormat | None = None,
) -> LabelledTexts:
    digests = _digests(files, sha256)
    parts = [
        read_labelled(
            file,
            text_column=text_column,
            label_column=label_column,
            label=label,
            label_map=label_map,
            csv_format=csv_format,
            sha256=digests.get(file.name),
        )
        for file in files
    ]
    data = LabelledTexts.concat(*parts)
    unique = data.deduplicated()
    if len(unique) < len(data):
        logger.info("%s: dropped %d repeated texts", data.source, len(data) - len(unique))
    return unique


def _digests(files: list[Path], sha256: Checksums) -> dict[str, str]:
    """The expected digest of each file name: a string checks the one file read."""
    if sha256 is None:
        return {}
    if isinstance(sha256, str):
        if len(files) != 1:
            raise ValueError(
                f"one sha256 given for {len(files)} files; pass a mapping of file name to digest"
            )
        return {files[0].name: sha256}
    names = {file.name for file in files}
    for name in sha256:
        if name not in names:
            raise DataError(
                f"a checksum names {name!r}, which is not among the files read "
                f"({', '.join(sorted(names))})",
                file=str(files[0].parent),
            )
    return dict(sha256)
