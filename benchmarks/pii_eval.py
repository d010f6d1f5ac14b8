"""PII detector: span precision and recall per type, and throughput; the figures of ``pii.md``.

What it measures. ``bastion/pii`` is scored on

1. the generated evaluation set (``generate_examples(3000, seed=0)``:
   English and German sentences with planted PII and look-alikes);
2. PII planted into 10,000 real tweets (the Davidson hate/offensive set,
   ``davidson-hate-offensive/labeled_data.csv`` in the shared data folder,
   sampled with seed 0, one value planted per tweet with seed 1), when the
   data is there;
3. throughput: the 10,000 tweets as they are, best of 3 single-threaded
   runs, in texts per second (else the generated texts);
4. the time for 1 MB adversarial strings (the slowest of a few shapes).

Run: ``.venv/bin/python benchmarks/pii_eval.py``.
"""

from __future__ import annotations

import csv
import os
import random
import time
from pathlib import Path

from bastion.detectors._pii import PiiDetector
from bastion.detectors._pii_data import SpanScores, evaluate_spans, generate_examples, plant_pii

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BASTION_SHARED_DATA", ROOT.parent / "shared" / "data"))
TWEETS = DATA / "davidson-hate-offensive" / "labeled_data.csv"
GENERATED, GENERATED_SEED = 3000, 0
REAL, SAMPLE_SEED, PLANT_SEED = 10_000, 0, 1


def table(title: str, scores: dict[str, SpanScores]) -> None:
    """Print one evaluation as a Markdown table."""
    print(f"\n### {title}\n")
    print("| type | gold | predicted | exact P | exact R | exact F1 | ovl. P | ovl. R | ovl. F1 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, s in scores.items():
        e, o = s.exact, s.overlap
        print(
            f"| {label} | {s.gold} | {s.predicted} | {e.precision:.3f} | {e.recall:.3f} | "
            f"{e.f1:.3f} | {o.precision:.3f} | {o.recall:.3f} | {o.f1:.3f} |"
        )


def main() -> None:
    """Measure and print."""
    detector = PiiDetector()
    generated = generate_examples(GENERATED, seed=GENERATED_SEED)
    gen_scores = evaluate_spans(detector, generated)
    table(f"Generated set ({GENERATED} examples, seed {GENERATED_SEED})", gen_scores)

    texts = [e.text for e in generated]
    real_scores = None
    if TWEETS.exists():
        with TWEETS.open(newline="", encoding="utf-8") as handle:
            tweets = [row["tweet"] for row in csv.DictReader(handle)]
        texts = random.Random(SAMPLE_SEED).sample(tweets, REAL)
        real_scores = evaluate_spans(detector, plant_pii(texts, random.Random(PLANT_SEED)))
        table(f"Planted into {REAL} real tweets", real_scores)
        flagged = detector.score(texts).column("pii") >= 0.5
        print(f"\nUnplanted tweets flagged: {int(flagged.sum())} of {REAL}")
    else:
        print(f"\n(no real data at {TWEETS}: planted-PII figures skipped)")

    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        detector.score(texts)
        best = min(best, time.perf_counter() - start)
    rate = len(texts) / best
    print(f"\nThroughput: {rate:,.0f} texts/s ({len(texts)} texts, best of 3, one thread)")

    worst = 0.0
    for unit in ("1 ", "a@", "1.", "ab12:", "12 Main ", "+1 0", "１", "(415) 555-2671 "):
        text = unit * (1_000_000 // len(unit))
        start = time.perf_counter()
        detector.score([text])
        worst = max(worst, time.perf_counter() - start)
    print(f"Slowest 1 MB adversarial string: {worst:.2f} s")

    fields = [f"gen_f1_{k}={v.exact.f1:.3f}" for k, v in gen_scores.items()]
    if real_scores is not None:
        fields += [f"real_recall_{k}={v.overlap.recall:.3f}" for k, v in real_scores.items()]
    print(f"BENCH pii_eval texts_per_s={rate:.0f} worst_1mb_s={worst:.2f} " + " ".join(fields))


if __name__ == "__main__":
    main()
