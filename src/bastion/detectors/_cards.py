"""Model cards: a Markdown page beside each model file, written from what training measured."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def write_card(model_path: Path, meta: Mapping[str, Any]) -> Path:
    """Write ``<model>.md`` beside *model_path* and return its path."""
    card = model_path.with_suffix(".md")
    card.write_text(render_card(model_path.name, meta), encoding="utf-8")
    return card


def render_card(file_name: str, meta: Mapping[str, Any]) -> str:
    """The model card of the model in *file_name*, from its metadata."""
    metrics = meta["metrics"]
    split = meta["split"]
    columns = ", ".join("`" + o["label"] + "`" for o in meta["outputs"])
    lines = [
        f"# `{meta['detector']}` ({file_name})",
        "",
        f"Columns: {columns}. "
        f"Classes: {', '.join(metrics['labels'])}. "
        f"Features: {_features(meta)}; a calibrated linear head ({meta['head']['link']})"
        f"{_fitted_as(meta)}.",
        "",
        "## Data",
        "",
        f"Sources: {', '.join(meta['sources'])} (public data sets; not shipped).",
        f"Split (stratified, seed {meta['seed']}): fit {_counts(split['fit'])}; "
        f"calibration {_counts(split['calibration'])}; held-out test {_counts(split['test'])}.",
    ]
    if split.get("benign_held_out"):
        held = ", ".join(f"{k} {v}" for k, v in split["benign_held_out"].items())
        lines.append(f"Held-out benign prompts from other sets (half of each): {held}.")
    lines += [
        "",
        "## Quality on the held-out test split",
        "",
        "| class | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for label, m in metrics["per_class"].items():
        lines.append(
            f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
            f"{m['support']} |"
        )
    auroc = "n/a" if metrics["auroc"] is None else f"{metrics['auroc']:.3f}"
    lines += [
        "",
        f"Accuracy {metrics['accuracy']:.3f}; weighted F1 {metrics['weighted_f1']:.3f}; "
        f"macro F1 {metrics['macro_f1']:.3f}; AUROC {auroc}; expected calibration error "
        f"{metrics['ece']:.3f} (15 bins, predicted class).",
    ]
    benign = dict(meta.get("benign_fpr_at_threshold") or {})
    recall = benign.pop("recall_at_1pct_fpr", None)
    if benign:
        rates = ", ".join(f"{k} {v:.2%}" for k, v in benign.items())
        lines.append(f"False-positive rate at the default threshold on held-out benign: {rates}.")
    if recall is not None:
        lines.append(
            f"Recall at a 1 % false-positive rate on all held-out benign prompts: {recall:.3f}."
        )
    speed = meta["speed"]
    lines += [
        "",
        "## Speed",
        "",
        f"{speed['texts_per_s']:,} texts/s batched and {speed['single_us']} µs per single "
        f"text (median), on the held-out texts, {speed['machine']}, at training time; "
        "`benchmarks/detector_speed.py` measures it properly.",
        "",
        "## Known failure modes",
        "",
        *(f"- {mode}" for mode in meta.get("failure_modes", [])),
        "",
        "## Reproduce",
        "",
        f"`{meta['command']}` (seed {meta['seed']}; fitted in {meta['fit_seconds']} s). "
        f"Thresholds: {_thresholds(meta)}; `bastion detectors calibrate` sets them for a "
        "false-positive budget.",
        "",
    ]
    return "\n".join(lines)


def _features(meta: Mapping[str, Any]) -> str:
    parts = []
    if meta.get("model_family", "fast") == "fast":
        hasher = meta["hasher"]
        parts.append(
            f"hashed character n-grams {hasher['char_sizes']} and word uni- and bigrams "
            f"of the normalised text (2^{hasher['bits']} buckets)"
        )
    if meta.get("embedding"):
        parts.append(f"the `{meta['embedding']}` sentence embedding")
    return " plus ".join(parts)


def _fitted_as(meta: Mapping[str, Any]) -> str:
    """How the head was fitted, for models whose metadata records it."""
    fit = meta.get("fit")
    if not fit:
        return ""
    kind = "a logistic regression"
    if fit["loss"] == "hinge":
        multi = len(meta["head"]["classes"]) > 2
        kind = "Crammer and Singer's multi-class linear SVM" if multi else "a linear SVM"
    weights = fit.get("class_weight")
    weighted = (
        f", class weights {', '.join(f'{k} {v:g}' for k, v in weights.items())}" if weights else ""
    )
    return f", fitted as {kind} (C {fit['c']:g}{weighted})"


def _counts(counts: Mapping[str, int]) -> str:
    total = sum(counts.values())
    return f"{total} ({', '.join(f'{k} {v}' for k, v in counts.items())})"


def _thresholds(meta: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in meta.get("thresholds", {}).items())
