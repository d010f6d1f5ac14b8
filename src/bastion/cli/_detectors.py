"""``bastion detectors``: list, train, distil, evaluate and calibrate the detector models."""

from __future__ import annotations

import csv
import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from bastion.cli._detect import BAD_INPUT, ModelDirOption
from bastion.cli._output import console, errors, fail, print_json
from bastion.detectors import (
    PACKAGED_MODELS,
    RECIPES,
    ClassificationReport,
    DataError,
    DetectorError,
    FastTextDetector,
    LabelledTexts,
    ModelNotFoundError,
    detector_names,
    load_detector,
    model_dirs,
)

app = typer.Typer(
    help="List, train, evaluate and calibrate the detector models.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
CLAIMS = "misinfo_claim"


class Family(StrEnum):
    """The model families ``train`` fits."""

    fast = "fast"
    minilm = "minilm"


def _model_files(name: str) -> tuple[str, ...]:
    """The model files a shipped detector reads (none for rules, as ``pii``, or third parties)."""
    from bastion.detectors._claims import DEFAULT_FILE
    from bastion.detectors._training import model_file

    short = name.removeprefix("bastion/")
    if short == CLAIMS:
        return (DEFAULT_FILE,)
    base, _, variant = short.partition("-")
    if base not in RECIPES:
        return ()
    files = {
        "": (model_file(base),),
        "minilm": (model_file(base, "minilm"),),
        "cascade": (model_file(base), model_file(base, "minilm")),
    }
    return files.get(variant, ())


def _locate(file_name: str, model_dir: Path | None) -> Path | None:
    """The first *file_name* among the model directories, or ``None``."""
    for directory in model_dirs(model_dir):
        if (directory / file_name).is_file():
            return directory / file_name
    return None


def _default_out() -> Path:
    env = os.environ.get("BASTION_MODELS")
    return Path(env) if env else PACKAGED_MODELS


@app.command("list")
def list_detectors(model_dir: ModelDirOption = None, json_output: JsonOption = False) -> None:
    """List the registered detectors: columns, model files and model cards."""
    rows: list[dict[str, Any]] = []
    for name in detector_names():
        files = _model_files(name)
        found = {file: _locate(file, model_dir) for file in files}
        short = name.removeprefix("bastion/")
        try:
            labels: list[str] = list(load_detector(name, model_dir=model_dir).labels)
            status = "ok"
        except ModelNotFoundError:
            base = RECIPES.get(short.partition("-")[0])
            labels = [o.label for o in base.spec.outputs] if base else []
            status = "model missing"
        except DetectorError as error:
            labels, status = [], f"error: {error}"
        cards = [p.with_suffix(".md") for p in found.values() if p is not None]
        if not files:
            cards = [d / f"{short}.md" for d in model_dirs(model_dir)]
        card = next((str(c) for c in cards if c.is_file()), None)
        rows.append(
            {
                "name": name,
                "columns": labels,
                "model_files": {f: None if p is None else str(p) for f, p in found.items()},
                "status": status,
                "card": card,
            }
        )
    if json_output:
        print_json(rows)
        return
    table = Table(title="detectors", title_justify="left")
    for heading in ("name", "columns", "model file", "card"):
        table.add_column(heading, overflow="fold")
    for row in rows:
        present = (
            ", ".join(
                f"{f} [green]yes[/]" if p else f"{f} [red]missing[/]"
                for f, p in row["model_files"].items()
            )
            or "none needed"
        )
        if row["status"].startswith("error"):
            present += f" [red]{escape(row['status'])}[/]"
        table.add_row(row["name"], ", ".join(row["columns"]) or "-", present, row["card"] or "-")
    console.print(table)


@app.command("train")
def train_command(
    name: Annotated[
        str,
        typer.Argument(
            help=f"What to train: {', '.join(RECIPES)} or {CLAIMS}.", show_default=False
        ),
    ],
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="The data set's file or folder, or a folder holding several data sets. "
            f"For {CLAIMS}: a claims file (LIAR .tsv, or .csv / .jsonl with text and verdict).",
            show_default=False,
        ),
    ],
    family: Annotated[
        Family,
        typer.Option(
            "--family",
            help="fast: hashed n-grams and a linear head (NumPy at run time); minilm: MiniLM "
            f"sentence embeddings and a head (needs the embed extra). For {CLAIMS}: the "
            "claim encoder (fast = the static table).",
        ),
    ] = Family.fast,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Directory to write the model and its card to (default: $BASTION_MODELS if "
            "set, else the packaged models directory).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the data split.")] = 0,
    model_dir: ModelDirOption = None,
    json_output: JsonOption = False,
) -> None:
    """Train a detector model on a public data set and write it with its model card.

    Prints the figures measured on the held-out test split.
    """
    from bastion.detectors import train

    if not data.exists():
        fail(f"{data}: no such file or folder", BAD_INPUT)
    out_dir = out or _default_out()
    if name.removeprefix("bastion/") == CLAIMS:
        _train_claims(data, out_dir, family, model_dir, json_output)
        return
    if name.removeprefix("bastion/") not in RECIPES:
        known = ", ".join([*RECIPES, CLAIMS])
        fail(f"no training recipe {name!r}; trainable: {known}", BAD_INPUT)
    try:
        result = train(name, data, out_dir, family=family.value, seed=seed, model_dir=model_dir)
    except DataError as error:
        fail(error, BAD_INPUT)
    except DetectorError as error:
        fail(error)
    if json_output:
        print_json(
            {
                "detector": result.detector.name,
                "model": str(result.path),
                "card": str(result.card),
                "report": result.report.to_dict(),
                "benign_fpr": result.benign_fpr,
                "speed": result.speed,
                "thresholds": dict(result.detector.thresholds),
            }
        )
        return
    console.print(_report_table(result.report, f"{result.detector.name}: held-out test split"))
    for set_name, rate in result.benign_fpr.items():
        console.print(f"benign {set_name}: {rate:.3%}")
    console.print(
        f"{result.speed['texts_per_s']:,.0f} texts/s batched, "
        f"{result.speed['single_us']} µs per single text"
    )
    console.print(f"model: {result.path}\ncard:  {result.card}")


def _train_claims(
    data: Path,
    out_dir: Path,
    family: Family,
    model_dir: Path | None,
    json_output: bool,
) -> None:
    from bastion.detectors import build_claim_index
    from bastion.detectors._claims import DEFAULT_FILE
    from bastion.detectors._model_files import load_model

    path = out_dir / DEFAULT_FILE
    encoder = "static" if family == Family.fast else "minilm"
    try:
        build_claim_index(data, path, encoder=encoder, model_dir=model_dir)
        meta = load_model(path)[1]
    except DataError as error:
        fail(error, BAD_INPUT)
    except DetectorError as error:
        fail(error)
    summary = {
        "detector": meta["detector"],
        "model": str(path),
        "claims": meta["claims"],
        "encoder": encoder,
        "slope": meta["slope"],
        "intercept": meta["intercept"],
    }
    if json_output:
        print_json(summary)
        return
    console.print(
        f"{summary['claims']} claims indexed with the {encoder} encoder; similarity map "
        f"slope {summary['slope']:.2f}, intercept {summary['intercept']:.2f}\nmodel: {path}"
    )


@app.command("distill")
def distill_command(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="The static-embedding file to write (default: static-minilm.npz in "
            "$BASTION_MODELS if set, else in the packaged models directory).",
            show_default=False,
        ),
    ] = None,
    dims: Annotated[int, typer.Option("--dims", min=8, help="Dimensions kept by PCA.")] = 256,
) -> None:
    """Distil the packaged MiniLM into the static token table the fast detectors use.

    Needs the train and embed extras (model2vec); takes a few minutes on a CPU.
    """
    from bastion.detectors import _distill

    path = out or _default_out() / _distill.DEFAULT_FILE
    try:
        embedder = _distill.distill_static(path, dims=dims)
    except DetectorError as error:
        fail(error)
    console.print(f"wrote {path} ({embedder.dim} dimensions)")


@app.command("eval")
def eval_command(
    name: Annotated[
        str, typer.Argument(help="A fast-family detector (toxicity ...).", show_default=False)
    ],
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="A labelled CSV, TSV, JSONL or Parquet file. The Davidson CSV (columns "
            "'tweet' and 'class') is read as is when no columns are given.",
            show_default=False,
        ),
    ],
    text_column: Annotated[
        str | None,
        typer.Option(
            "--text-column", help="The column of texts (default: text).", show_default=False
        ),
    ] = None,
    label_column: Annotated[
        str | None,
        typer.Option(
            "--label-column",
            help="The column of labels: the model's classes, or 0/1 for a two-class model "
            "(default: label).",
            show_default=False,
        ),
    ] = None,
    model_dir: ModelDirOption = None,
    json_output: JsonOption = False,
) -> None:
    """Measure a detector on a labelled file: accuracy, F1, AUROC, calibration and speed."""
    from bastion.detectors import evaluate, measure_speed

    detector = _fast_detector(name, model_dir)
    labelled = _read_eval_data(data, text_column, label_column)
    labelled = _match_labels(labelled, detector)
    report = evaluate(detector, labelled)
    speed = measure_speed(detector, labelled.texts)
    if json_output:
        print_json(
            {"detector": detector.name, "data": str(data), **report.to_dict(), "speed": speed}
        )
        return
    console.print(_report_table(report, f"{detector.name} on {data.name}"))
    console.print(
        f"{speed['texts_per_s']:,.0f} texts/s batched, {speed['single_us']} µs per single text"
    )


@app.command("calibrate")
def calibrate_command(
    name: Annotated[
        str, typer.Argument(help="A fast-family detector (toxicity ...).", show_default=False)
    ],
    benign: Annotated[
        Path,
        typer.Option(
            "--benign",
            help="Texts that should not be flagged: CSV, TSV, JSONL or Parquet.",
            show_default=False,
        ),
    ],
    fpr: Annotated[
        float,
        typer.Option(
            "--fpr",
            min=0.0,
            max=1.0,
            help="The false-positive budget: the share of benign texts each column may flag.",
        ),
    ] = 0.01,
    text_column: Annotated[
        str, typer.Option("--text-column", help="The column of texts in the benign file.")
    ] = "text",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Directory to write the recalibrated model and its card to (default: the "
            "model's own directory; for a packaged model, $BASTION_MODELS). Pointing it at "
            "the packaged models directory is how new thresholds are shipped.",
            show_default=False,
        ),
    ] = None,
    model_dir: ModelDirOption = None,
    json_output: JsonOption = False,
) -> None:
    """Choose each column's threshold so that at most --fpr of benign texts are flagged."""
    from bastion.detectors import calibrate_thresholds, read_labelled
    from bastion.detectors._cards import write_card
    from bastion.detectors._model_files import load_model

    detector = _fast_detector(name, model_dir)
    files = _model_files(name)
    source = _locate(files[0], model_dir) if len(files) == 1 else None
    if source is None:
        fail(f"{name}: cannot tell which model file it was read from", BAD_INPUT)
    target_dir = out or _calibrate_out(source)
    if not benign.is_file():
        fail(f"{benign}: no such file", BAD_INPUT)
    try:
        texts = read_labelled(benign, text_column=text_column, label="benign").texts
        calibrated = calibrate_thresholds(detector, texts, fpr, source=benign.name)
    except DetectorError as error:
        fail(error, BAD_INPUT)
    target = target_dir / source.name
    calibrated.save(target)
    try:
        card: Path | None = write_card(target, load_model(target)[1])
    except KeyError as error:
        card = None
        errors.print(f"[yellow]warning[/]: no model card: its metadata lacks {error}")
    achieved = calibrated.meta["threshold_calibration"]["achieved_fpr"]
    if json_output:
        print_json(
            {
                "detector": calibrated.name,
                "model": str(target),
                "card": None if card is None else str(card),
                "fpr": fpr,
                "benign": str(benign),
                "benign_count": len(texts),
                "thresholds": dict(calibrated.thresholds),
                "previous_thresholds": dict(detector.thresholds),
                "achieved_fpr": achieved,
            }
        )
        return
    table = Table(
        title=f"{calibrated.name}: thresholds for a {fpr:.2%} false-positive budget on "
        f"{len(texts)} benign texts of {benign.name}",
        title_justify="left",
    )
    for heading in ("column", "was", "threshold", "benign flagged"):
        table.add_column(heading, justify="left" if heading == "column" else "right")
    for label in calibrated.labels:
        table.add_row(
            label,
            f"{detector.thresholds.get(label, 0.5):.4f}",
            f"{calibrated.thresholds[label]:.4f}",
            f"{achieved[label]:.2%}",
        )
    console.print(table)
    console.print(f"model: {target}" + ("" if card is None else f"\ncard:  {card}"))


def _calibrate_out(source: Path) -> Path:
    if source.parent.resolve() != PACKAGED_MODELS.resolve():
        return source.parent
    env = os.environ.get("BASTION_MODELS")
    if not env:
        fail(
            f"{source.name} is a packaged model: give --out DIR (or set BASTION_MODELS); "
            "--out pointing at the packaged models directory replaces the shipped thresholds",
            BAD_INPUT,
        )
    return Path(env)


def _fast_detector(name: str, model_dir: Path | None) -> FastTextDetector:
    try:
        detector = load_detector(name, model_dir=model_dir)
    except DetectorError as error:
        fail(error, BAD_INPUT)
    if not isinstance(detector, FastTextDetector):
        fail(
            f"{name}: a {type(detector).__name__}; this command takes a fast-family model "
            f"({', '.join(RECIPES)}, or their -minilm variants)",
            BAD_INPUT,
        )
    return detector


def _read_eval_data(path: Path, text_column: str | None, label_column: str | None) -> LabelledTexts:
    from bastion.detectors import load_davidson, read_labelled

    if not path.is_file():
        fail(f"{path}: no such file", BAD_INPUT)
    try:
        if (
            text_column is None
            and label_column is None
            and {"tweet", "class"} <= set(_header(path))
        ):
            return load_davidson(path)
        return read_labelled(
            path, text_column=text_column or "text", label_column=label_column or "label"
        )
    except DataError as error:
        fail(error, BAD_INPUT)


def _header(path: Path) -> list[str]:
    """The column names of a data file, read from its first row (empty when unreadable)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        with path.open(encoding="utf-8", errors="replace", newline="") as file:
            if suffix in (".jsonl", ".ndjson"):
                first = next((line for line in file if line.strip()), "{}")
                values = json.loads(first)
                return list(values) if isinstance(values, dict) else []
            return next(csv.reader(file, delimiter="\t" if suffix == ".tsv" else ","), [])
    except (OSError, ValueError):
        return []


def _match_labels(data: LabelledTexts, detector: FastTextDetector) -> LabelledTexts:
    """*data* with labels the model's classes; 0/1 map to a two-class model's classes."""
    classes = detector.head.classes
    found = set(data.labels)
    if found <= set(classes):
        return data
    if len(classes) == 2 and found <= {"0", "1"}:
        labels = tuple(classes[int(label)] for label in data.labels)
        return LabelledTexts(data.texts, labels, data.source, data.lines, data.files, data.skipped)
    unknown = ", ".join(sorted(found - set(classes)))
    binary = " (or 0 and 1)" if len(classes) == 2 else ""
    fail(
        f"{data.source}: labels {unknown} are not classes of {detector.name}; its classes: "
        f"{', '.join(classes)}{binary}",
        BAD_INPUT,
    )


def _report_table(report: ClassificationReport, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for heading in ("class", "precision", "recall", "F1", "support"):
        table.add_column(heading, justify="left" if heading == "class" else "right")
    for label, m in report.per_class.items():
        table.add_row(label, f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}", str(m.support))
    auroc = "n/a" if report.auroc is None else f"{report.auroc:.3f}"
    table.caption = (
        f"accuracy {report.accuracy:.3f} (n={report.n}), weighted F1 {report.weighted_f1:.3f}, "
        f"macro F1 {report.macro_f1:.3f}, AUROC {auroc}, ECE {report.ece:.3f}"
    )
    table.caption_justify = "left"
    return table
