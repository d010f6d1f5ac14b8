"""StaticEmbedder: the shipped MiniLM distillate and a tiny table built here."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from bastion.detectors import DetectorError
from bastion.detectors._model_files import PACKAGED_MODELS, load_model, save_model
from bastion.detectors._static import MODEL_KIND, StaticEmbedder, default_static_embedder


@pytest.fixture(scope="module")
def embedder() -> StaticEmbedder:
    return default_static_embedder()


def tiny_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordPieceTrainer(vocab_size=60, special_tokens=["[UNK]"])
    tokenizer.train_from_iterator(["the cat sat", "a dog ran", "the dog sat on the cat"], trainer)
    return tokenizer


def test_shipped_model_is_small_and_described() -> None:
    path = PACKAGED_MODELS / "static-minilm.npz"
    assert path.stat().st_size <= 5 * 1024 * 1024  # every tracked file stays under 5 MiB
    arrays, meta = load_model(path)
    assert meta["kind"] == MODEL_KIND
    assert arrays["embeddings"].dtype == np.int8
    assert arrays["embeddings"].shape == (meta["vocab_size"], meta["dims"])
    assert arrays["scales"].shape == (meta["vocab_size"],)
    assert meta["source_model"] == "sentence-transformers/all-MiniLM-L6-v2"


def test_vectors_are_unit_float32_and_empty_texts_are_zero(embedder: StaticEmbedder) -> None:
    vectors = embedder.encode(["A cat sat on the mat.", "", "   \n\t", "Das ist gut."])
    assert vectors.dtype == np.float32
    assert vectors.shape == (4, embedder.dim)
    norms = np.linalg.norm(vectors, axis=1)
    np.testing.assert_allclose(norms[[0, 3]], 1.0, rtol=1e-5)
    assert norms[1] == 0.0 and norms[2] == 0.0
    assert embedder.encode([]).shape == (0, embedder.dim)


def test_related_sentences_are_closer_than_unrelated(embedder: StaticEmbedder) -> None:
    a, b, c = embedder.encode(
        [
            "The vaccine causes serious side effects in children.",
            "Children suffer severe side effects from the vaccine.",
            "The stock market closed higher on Friday.",
        ]
    )
    assert a @ b > a @ c + 0.2


def test_one_text_alone_equals_it_in_a_batch(embedder: StaticEmbedder) -> None:
    texts = [f"sentence number {i} about topic {i % 7}" for i in range(1200)]
    batch = embedder.encode(texts)
    for i in (0, 511, 512, 1199):
        np.testing.assert_allclose(embedder.encode([texts[i]])[0], batch[i], atol=1e-6)
    np.testing.assert_array_equal(embedder.encode(texts), batch)


def test_hostile_texts(embedder: StaticEmbedder) -> None:
    huge = "misinformation " * 70_000  # ~1 MB
    started = time.perf_counter()
    vectors = embedder.encode(["\ud800", "a\udfffb", huge, "\x00\x01", "😀" * 1000])
    assert time.perf_counter() - started < 1.0
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors[2]), 1.0, rtol=1e-5)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), max_size=5))
def test_any_text_gives_a_finite_unit_or_zero_vector(texts: list[str]) -> None:
    vectors = default_static_embedder().encode(texts)
    assert vectors.shape == (len(texts), default_static_embedder().dim)
    norms = np.linalg.norm(vectors, axis=1)
    assert np.all((np.abs(norms - 1) < 1e-4) | (norms == 0))


def test_concurrent_encoding_matches_serial(embedder: StaticEmbedder) -> None:
    batches = [[f"thread {t} text {i} with words" for i in range(300)] for t in range(8)]
    serial = [embedder.encode(b) for b in batches]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(embedder.encode, batches))
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a, b)


def test_throughput_floor(embedder: StaticEmbedder) -> None:
    # Loose floor (the card quotes ~47k texts/s): fails only on a real regression.
    texts = [f"Short post {i}: the election results were announced today." for i in range(5000)]
    embedder.encode(texts[:100])
    started = time.perf_counter()
    embedder.encode(texts)
    assert len(texts) / (time.perf_counter() - started) > 5000


def test_mean_pooling_of_a_tiny_table(tmp_path: Path) -> None:
    tokenizer = tiny_tokenizer()
    vocab = tokenizer.get_vocab_size()
    table = np.random.default_rng(0).normal(size=(vocab, 8)).astype(np.float16)
    path = tmp_path / "tiny.npz"
    save_model(
        path,
        {
            "embeddings": table,
            "tokenizer": np.frombuffer(tokenizer.to_str().encode(), dtype=np.uint8),
        },
        {"kind": MODEL_KIND},
    )
    embedder = StaticEmbedder.load(path)
    ids = [
        i for i in tokenizer.encode("the cat sat zzz").ids if i != tokenizer.token_to_id("[UNK]")
    ]
    expected = table[ids].astype(np.float32).sum(axis=0)
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(embedder.encode(["the cat sat zzz"])[0], expected, rtol=1e-5)
    # A text of unknown tokens only has no vector.
    assert not embedder.encode(["@@@"]).any()


def test_mismatched_or_foreign_files_are_refused(tmp_path: Path) -> None:
    tokenizer = tiny_tokenizer()
    with pytest.raises(DetectorError, match="does not match"):
        StaticEmbedder(np.zeros((3, 4), np.float16), tokenizer)
    path = tmp_path / "other.npz"
    save_model(path, {"weights": np.zeros(3)}, {"kind": "linear"})
    with pytest.raises(DetectorError, match="not a static embedding model"):
        StaticEmbedder.load(path)
    bad = tmp_path / "bad.npz"
    save_model(
        bad,
        {"embeddings": np.zeros((3, 4)), "tokenizer": np.frombuffer(b"{nope", np.uint8)},
        {"kind": MODEL_KIND},
    )
    with pytest.raises(DetectorError, match="tokenizer"):
        StaticEmbedder.load(bad)


def test_default_is_loaded_once() -> None:
    assert default_static_embedder() is default_static_embedder(None)


def test_int8_rows_read_back_close_to_the_distilled_table() -> None:
    from bastion.detectors._distill import quantize_rows

    table = np.random.default_rng(0).normal(size=(50, 16)).astype(np.float32)
    quantized, scales = quantize_rows(table)
    restored = quantized.astype(np.float32) * scales[:, None]
    assert np.abs(restored - table).max() <= scales.max() / 2 + 1e-6
