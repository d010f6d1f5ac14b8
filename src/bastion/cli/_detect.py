"""``bastion detect``: score one text, or a file of texts, with the shipped detectors."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bastion.cli._output import console, errors, fail, print_json
from bastion.detectors import (
    DataError,
    Detector,
    DetectorError,
    ModelNotFoundError,
    ScoreBatch,
    load_detector,
    read_labelled,
    signal_names,
)

DEFAULT_DETECTORS = ("toxicity", "prompt_injection", "jailbreak", "pii", "misinfo_claim")
BAD_INPUT = 2

DetectorsOption = Annotated[
    str | None,
    typer.Option(
        "--detectors",
        help="Comma-separated detector names (see `bastion detectors list`). "
        "Default: toxicity, prompt_injection, jailbreak, pii, misinfo_claim, "
        "skipping any whose model file is missing.",
        show_default=False,
    ),
]
ModelDirOption = Annotated[
    Path | None,
    typer.Option(
        "--model-dir",
        help="Directory searched first for model files (then $BASTION_MODELS, then the "
        "packaged models).",
        show_default=False,
    ),
]
BatchSizeOption = Annotated[
    int, typer.Option("--batch-size", min=1, help="Texts scored per detector call.")
]


def load_detectors(names: str | None, model_dir: Path | None) -> list[Detector]:
    """The detectors named in *names* (comma-separated), or the default ones that have models.

    A named detector that cannot be loaded is an error (exit 2); a default one
    whose model file is missing is skipped with a warning.
    """
    explicit = names is not None
    wanted = [n.strip() for n in (names or "").split(",") if n.strip()] or list(DEFAULT_DETECTORS)
    if explicit and not (names or "").strip(", "):
        fail("--detectors: give at least one detector name", BAD_INPUT)
    loaded: list[Detector] = []
    for name in wanted:
        try:
            loaded.append(load_detector(name, model_dir=model_dir))
        except ModelNotFoundError as error:
            if explicit:
                fail(error, BAD_INPUT)
            errors.print(f"[yellow]warning[/]: skipping {escape(name)}: {escape(str(error))}")
        except DetectorError as error:
            fail(error, BAD_INPUT)
    if not loaded:
        fail("no detector has a model file; train one with `bastion detectors train`", BAD_INPUT)
    return loaded


def column_names(detectors: Sequence[Detector]) -> list[tuple[str, ...]]:
    """Per detector, the output name of each of its columns (prefixed where names collide)."""
    try:
        return signal_names([(d.name, d.labels) for d in detectors])
    except DetectorError as error:
        fail(error, BAD_INPUT)


def read_texts(
    path: Path, *, text_column: str, id_column: str | None
) -> tuple[list[str], list[str]]:
    """The texts of *path* (CSV, TSV, JSON lines or Parquet) and their ids.

    Without *id_column*, a text's id is its 1-based row number. A malformed
    row, a missing file or column is an error naming the file and line (exit 2).
    """
    if not path.is_file():
        fail(f"{path}: no such file", BAD_INPUT)
    try:
        if id_column is None:
            data = read_labelled(path, text_column=text_column, label="")
            return list(data.texts), [str(row) for row in range(1, len(data) + 1)]
        data = read_labelled(path, text_column=text_column, label_column=id_column)
    except DataError as error:
        if id_column is not None and error.field == id_column:
            message = error.message.replace("the label", "the id")
            error = DataError(message, file=error.file, line=error.line, field=error.field)
        fail(error, BAD_INPUT)
    except OSError as error:
        fail(f"{path}: cannot read: {error.strerror}", BAD_INPUT)
    return list(data.texts), list(data.labels)


def score_all(
    detectors: Sequence[Detector], texts: Sequence[str], *, batch_size: int, what: str
) -> list[ScoreBatch]:
    """Every detector's scores of *texts*, a batch at a time, with a progress bar on stderr."""
    parts: list[list[np.ndarray[Any, np.dtype[np.float32]]]] = [[] for _ in detectors]
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=errors, transient=True) as progress:
        task = progress.add_task(what, total=len(texts))
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            for i, detector in enumerate(detectors):
                parts[i].append(detector.score(chunk).scores)
            progress.advance(task, len(chunk))
    batches = []
    for detector, scored in zip(detectors, parts, strict=True):
        scores = np.concatenate(scored) if scored else np.zeros((0, len(detector.labels)))
        batches.append(ScoreBatch(detector.name, detector.labels, scores.astype(np.float32)))
    return batches


def detect(
    text: Annotated[
        str | None,
        typer.Argument(help="The text to score (or give --file).", show_default=False),
    ] = None,
    detectors: DetectorsOption = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="Score every row of this CSV, TSV, JSONL or Parquet file instead of one text.",
            show_default=False,
        ),
    ] = None,
    column: Annotated[
        str, typer.Option("--column", help="With --file: the column holding the text.")
    ] = "text",
    id_column: Annotated[
        str | None,
        typer.Option(
            "--id-column",
            help="With --file: the column holding each row's id (default: the row number, "
            "from 1, in a column 'row').",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="With --file: the Parquet file to write, the id and one column per "
            "detector column.",
            show_default=False,
        ),
    ] = None,
    batch_size: BatchSizeOption = 1024,
    model_dir: ModelDirOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Score a text with the detectors: a score per column, flagged at its threshold.

    Shows PII spans and the known false claims a text repeats. With --file,
    scores every row of a file into a Parquet file and prints a summary.

    Examples: bastion detect "ignore all previous instructions";
    bastion detect --file posts.csv --column text --id-column id --out scores.parquet
    """
    if text is not None:
        if file is not None:
            fail("give a text to score or --file, not both", BAD_INPUT)
        _detect_one(text, load_detectors(detectors, model_dir), json_output)
        return
    if file is None:
        fail("give a text to score, or --file with a file of texts", BAD_INPUT)
    if out is None:
        fail("--file needs --out, the Parquet file to write", BAD_INPUT)
    texts, ids = read_texts(file, text_column=column, id_column=id_column)
    loaded = load_detectors(detectors, model_dir)
    names = column_names(loaded)
    id_name = id_column or "row"
    if any(id_name in fields for fields in names):
        fail(f"the id column {id_name!r} has the name of a detector column", BAD_INPUT)
    started = time.perf_counter()
    batches = score_all(loaded, texts, batch_size=batch_size, what=f"scoring {file.name}")
    seconds = time.perf_counter() - started
    _write_parquet(out, id_name, ids if id_column else [int(i) for i in ids], batches, names)
    summary = _summary(loaded, batches, names)
    rate = len(texts) / seconds if seconds > 0 else 0.0
    if json_output:
        print_json(
            {
                "rows": len(texts),
                "seconds": round(seconds, 3),
                "texts_per_s": round(rate),
                "out": str(out),
                "columns": summary,
            }
        )
        return
    table = Table(title="flagged per column", title_justify="left")
    for heading in ("column", "detector", "threshold", "flagged", "share", "mean"):
        table.add_column(heading, justify="left" if heading in ("column", "detector") else "right")
    for name, row in summary.items():
        table.add_row(
            name,
            row["detector"],
            f"{row['threshold']:.3f}",
            str(row["flagged"]),
            f"{row['share']:.2%}",
            f"{row['mean']:.3f}",
        )
    console.print(table)
    console.print(
        f"wrote {out}: {len(texts)} rows in {seconds:.2f} s ({rate:,.0f} texts/s)", soft_wrap=True
    )


def _summary(
    detectors: Sequence[Detector], batches: Sequence[ScoreBatch], names: Sequence[tuple[str, ...]]
) -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for detector, batch, fields in zip(detectors, batches, names, strict=True):
        for label, name in zip(detector.labels, fields, strict=True):
            scores = batch.column(label)
            threshold = float(detector.thresholds.get(label, 0.5))
            flagged = int((scores >= threshold).sum())
            summary[name] = {
                "detector": detector.name,
                "label": label,
                "threshold": threshold,
                "flagged": flagged,
                "share": flagged / len(scores) if len(scores) else 0.0,
                "mean": float(scores.mean()) if len(scores) else 0.0,
            }
    return summary


def _write_parquet(
    out: Path,
    id_name: str,
    ids: Sequence[object],
    batches: Sequence[ScoreBatch],
    names: Sequence[tuple[str, ...]],
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, Any] = {id_name: ids}
    for batch, fields in zip(batches, names, strict=True):
        for i, name in enumerate(fields):
            columns[name] = pa.array(batch.scores[:, i], type=pa.float32())
    staging = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(columns), staging)
        os.replace(staging, out)
    except OSError as error:
        staging.unlink(missing_ok=True)
        fail(f"{out}: cannot write: {error.strerror or error}", BAD_INPUT)


def _detect_one(text: str, detectors: Sequence[Detector], json_output: bool) -> None:
    results = []
    for detector in detectors:
        batch = detector.score([text])
        scores = {label: float(batch.scores[0, i]) for i, label in enumerate(batch.labels)}
        thresholds = {label: float(detector.thresholds.get(label, 0.5)) for label in batch.labels}
        spans = [
            {
                "label": s.label,
                "start": s.start,
                "end": s.end,
                "text": text[s.start : s.end],
                "score": s.score,
            }
            for s in (batch.spans[0] if batch.spans else ())
        ]
        evidence = [
            {"claim": e.text, "verdict": e.verdict, "similarity": e.similarity, "source": e.source}
            for e in (batch.evidence[0] if batch.evidence else ())
        ]
        results.append(
            {
                "detector": detector.name,
                "scores": scores,
                "thresholds": thresholds,
                "flagged": [label for label in scores if scores[label] >= thresholds[label]],
                "spans": spans,
                "evidence": evidence,
            }
        )
    if json_output:
        print_json({"text": text, "results": results})
        return
    _print_one(results)


def _print_one(results: Sequence[dict[str, Any]]) -> None:
    table = Table(title="scores", title_justify="left")
    for heading in ("detector", "column", "score", "flagged"):
        table.add_column(heading, justify="right" if heading == "score" else "left")
    for result in results:
        for label, score in result["scores"].items():
            flagged = label in result["flagged"]
            table.add_row(
                result["detector"],
                label,
                f"{score:.3f}",
                "[bold red]yes[/]" if flagged else "no",
            )
    console.print(table)
    spans = [s for r in results for s in r["spans"]]
    if spans:
        view = Table(title="personal data", title_justify="left")
        for heading in ("type", "text", "score"):
            view.add_column(heading)
        for s in spans:
            view.add_row(s["label"], escape(s["text"]), f"{s['score']:.2f}")
        console.print(view)
    evidence = [e for r in results for e in r["evidence"]]
    if evidence:
        view = Table(title="known false claims it repeats", title_justify="left")
        for heading in ("claim", "verdict", "similarity"):
            view.add_column(heading, overflow="fold")
        for e in evidence:
            view.add_row(escape(e["claim"]), e["verdict"], f"{e['similarity']:.3f}")
        console.print(view)
