"""``bastion signals build``: detector scores of items as a signal-store snapshot for the guard."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bastion.cli._detect import (
    BAD_INPUT,
    BatchSizeOption,
    DetectorsOption,
    ModelDirOption,
    column_names,
    load_detectors,
    read_texts,
    score_all,
)
from bastion.cli._output import console, fail, print_json
from bastion.core import BastionError
from bastion.detectors import DetectorError, signal_columns

app = typer.Typer(
    help="Build item signals for the guard from detector scores.", no_args_is_help=True
)

MANIFEST = "manifest.json"  # what marks a directory as a signal-store snapshot


@app.command()
def build(
    items: Annotated[
        Path,
        typer.Option(
            "--items",
            help="The items: a CSV, TSV, JSONL or Parquet file with an id and a text per row.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="The snapshot directory to write (guard: MemorySignalStore.open). If it "
            "already holds a snapshot, its other signals are kept and these replaced.",
            show_default=False,
        ),
    ],
    id_column: Annotated[str, typer.Option("--id-column", help="The column of item ids.")] = "id",
    text_column: Annotated[
        str, typer.Option("--text-column", help="The column of item texts.")
    ] = "text",
    detectors: DetectorsOption = None,
    batch_size: BatchSizeOption = 1024,
    model_dir: ModelDirOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Score every item's text and write the scores as item signals (item.toxicity, ...).

    Each detector column becomes a number signal item.<column> (item.toxicity,
    item.hate, item.prompt_injection, item.pii, item.misinfo ...); a column
    name two detectors share is prefixed with the detector's short name.
    """
    from bastion.stores import MemorySignalStore

    if out.exists() and not out.is_dir():
        fail(f"{out}: is a file; --out must be a snapshot directory", BAD_INPUT)
    texts, ids = read_texts(items, text_column=text_column, id_column=id_column)
    loaded = load_detectors(detectors, model_dir)
    try:
        store = MemorySignalStore.open(out) if (out / MANIFEST).is_file() else MemorySignalStore()
    except BastionError as error:
        fail(error)
    merged = store.count("item") > 0
    started = time.perf_counter()
    batches = score_all(loaded, texts, batch_size=batch_size, what=f"scoring {items.name}")
    seconds = time.perf_counter() - started
    try:
        columns = signal_columns(batches)
    except DetectorError as error:
        fail(error, BAD_INPUT)
    thresholds = {
        name: float(d.thresholds.get(label, 0.5))
        for d, fields in zip(loaded, column_names(loaded), strict=True)
        for label, name in zip(d.labels, fields, strict=True)
    }
    try:
        store.put("item", ids, columns)
        store.save(out)
    except BastionError as error:
        fail(error)
    summary = {
        f"item.{name}": {
            "mean": float(values.mean()) if len(values) else 0.0,
            "threshold": thresholds[name],
            "flagged_share": float((values >= thresholds[name]).mean()) if len(values) else 0.0,
        }
        for name, values in columns.items()
    }
    if json_output:
        print_json(
            {
                "rows": len(texts),
                "out": str(out),
                "merged": merged,
                "items_in_store": store.count("item"),
                "seconds": round(seconds, 3),
                "signals": summary,
            }
        )
        return
    rate = len(texts) / seconds if seconds > 0 else 0.0
    kept = f"; merged into the snapshot there ({store.count('item')} items)" if merged else ""
    table = Table(title="item signals", title_justify="left")
    for heading in ("signal", "mean", "threshold", "flagged"):
        table.add_column(heading, justify="left" if heading == "signal" else "right")
    for name, row in summary.items():
        table.add_row(
            name, f"{row['mean']:.3f}", f"{row['threshold']:.3f}", f"{row['flagged_share']:.2%}"
        )
    console.print(table)
    console.print(
        f"wrote {out}: {len(columns)} signals for {len(texts)} items ({rate:,.0f} texts/s){kept}",
        soft_wrap=True,
    )
