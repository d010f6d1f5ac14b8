"""NgramHasher: a text's features depend on the text alone, fall in range and weigh 1/sqrt(count)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.detectors import HashedFeatures, NgramHasher

TEXTS = st.lists(
    st.text(st.characters(codec="utf-8"), max_size=60)
    | st.sampled_from(["", " ", "a", "hello world", "ab ab ab", "ünïcödé 世界", "\ud800x"]),
    max_size=8,
)
WORD = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789é"), min_size=1, max_size=12)


def features_of(features: HashedFeatures, row: int) -> Counter[tuple[int, float]]:
    mine = features.rows == row
    return Counter(
        zip(features.buckets[mine].tolist(), features.weights[mine].tolist(), strict=True)
    )


@settings(max_examples=200)
@given(TEXTS, st.data())
def test_features_do_not_depend_on_batch_position_or_neighbours(
    texts: list[str], data: st.DataObject
) -> None:
    hasher = NgramHasher(bits=12)
    batch = hasher.transform(texts)
    assert batch.count == len(texts)
    for row, text in enumerate(texts):
        alone = hasher.transform([text])
        assert features_of(batch, row) == features_of(alone, 0), f"text {row}: {text!r}"
    if texts:
        shuffled = data.draw(st.permutations(range(len(texts))))
        moved = hasher.transform([texts[i] for i in shuffled])
        for new_row, old_row in enumerate(shuffled):
            assert features_of(moved, new_row) == features_of(batch, old_row)


@settings(max_examples=150)
@given(TEXTS, st.sampled_from([8, 12, 18, 24]))
def test_buckets_rows_and_weights_are_in_range(texts: list[str], bits: int) -> None:
    features = NgramHasher(bits=bits).transform(texts)
    assert features.rows.dtype == np.int64 and features.buckets.dtype == np.int64
    assert features.weights.dtype == np.float32
    assert len(features.rows) == len(features.buckets) == len(features.weights)
    if len(features.rows):
        assert 0 <= features.buckets.min() and features.buckets.max() < 2**bits
        assert 0 <= features.rows.min() and features.rows.max() < len(texts)
    counts = np.bincount(features.rows, minlength=len(texts))
    for row in range(len(texts)):
        weights = features.weights[features.rows == row]
        np.testing.assert_allclose(weights, 1 / np.sqrt(counts[row]), rtol=1e-6)
        # Unit L2 norm over occurrences: a linear score does not grow with length.
        assert float(np.sum(weights.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-5)


def test_empty_inputs() -> None:
    hasher = NgramHasher()
    none = hasher.transform([])
    assert none.count == 0 and len(none.rows) == len(none.buckets) == len(none.weights) == 0
    empty = hasher.transform(["", "x"])
    assert empty.count == 2
    assert set(empty.rows.tolist()) <= {0, 1}


def test_deterministic_across_instances() -> None:
    texts = ["The same text", "twice", "ünïcödé"]
    a, b = NgramHasher().transform(texts), NgramHasher().transform(texts)
    for row in range(len(texts)):
        assert features_of(a, row) == features_of(b, row)


def _word_hashes(text: str) -> Counter[int]:
    buffer = np.frombuffer(f" {text} ".encode(), dtype=np.uint8)
    owner = np.zeros(len(buffer), dtype=np.int64)
    found = NgramHasher._word_ngrams(buffer, owner)
    return Counter(found[0][1].tolist()) if found else Counter()


@settings(max_examples=150)
@given(st.lists(WORD, min_size=1, max_size=6), st.integers(0, 30))
def test_word_hashes_do_not_depend_on_position(words: list[str], shift: int) -> None:
    # Each word hashes the same alone, after other words and after any prefix.
    together = _word_hashes(" ".join(words))
    assert together == sum((_word_hashes(w) for w in words), Counter())
    shifted = _word_hashes("-" * shift + " " + " ".join(words))
    assert shifted == together


def test_words_and_bigrams_are_features() -> None:
    with_words = NgramHasher(bits=18, words=True).transform(["red apple"])
    without = NgramHasher(bits=18, words=False).transform(["red apple"])
    assert len(with_words.rows) == len(without.rows) + 3  # two words and one bigram


@pytest.mark.parametrize(
    ("bits", "sizes"), [(7, (2,)), (25, (2,)), (18, ()), (18, (0, 2)), (18, (9,))]
)
def test_bad_settings_are_refused(bits: int, sizes: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="must be within"):
        NgramHasher(bits=bits, char_sizes=sizes)
