"""XSTest's LLM answers as long benign texts, whole and sentence by sentence."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.detectors import DataError, LabelledTexts, load_xstest_completions
from bastion.detectors._datasets import sentences_of
from tests.shared_data import shared_data


def _write(folder: Path, model: str, rows: list[tuple[str, str]]) -> None:
    """A made-up completions file: only the columns the loader reads."""
    lines = "".join(f'"{prompt}","{answer}"\n' for prompt, answer in rows)
    (folder / f"xstest_v2_completions_{model}.csv").write_text("prompt,completion\n" + lines)


def test_every_answer_of_every_model_file_is_benign_once(tmp_path: Path) -> None:
    _write(tmp_path, "b-model", [("Where is the lighthouse?", "Past the pier, then left.")])
    _write(tmp_path, "a-model", [("Q1?", "Answer one."), ("Q2?", "Past the pier, then left.")])
    (tmp_path / "xstest_prompts.csv").write_text("prompt\nnot an answer\n")  # not read
    data = load_xstest_completions(tmp_path)
    # Files in name order; the repeated answer is kept once, at its first place.
    assert data.texts == ("Answer one.", "Past the pier, then left.")
    assert data.labels == ("benign", "benign")
    assert Path(data.file_of(1)).name == "xstest_v2_completions_a-model.csv"


def test_one_file_can_be_named(tmp_path: Path) -> None:
    _write(tmp_path, "gpt4", [("Q?", "A long answer.")])
    assert load_xstest_completions(tmp_path / "xstest_v2_completions_gpt4.csv").texts == (
        "A long answer.",
    )


def test_a_folder_without_completions_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="xstest_v2_completions_"):
        load_xstest_completions(tmp_path)


def test_real_xstest_completions() -> None:
    data = load_xstest_completions(shared_data("xstest-completions"))
    assert len(data) == 1230
    assert data.classes == ("benign",)
    lengths = sorted(len(text) for text in data.texts)
    assert lengths[len(lengths) // 2] > 500  # long text, unlike the benign prompt sets


def test_sentences_of_splits_keeps_bounds_and_origin() -> None:
    data = LabelledTexts(
        ("Hello there. How are you?\nFine!", "Hello there. Ok", "x" * 300 + ". Yes."),
        ("a", "b", "c"),
        "answers.csv",
        (2, 5, 9),
    )
    pieces = sentences_of(data)
    # Each sentence once, at its first text; "Ok" and the 301-character one are out of bounds.
    assert pieces.texts == ("Hello there.", "How are you?", "Fine!", "Yes.")
    assert pieces.labels == ("a", "a", "a", "c")
    assert pieces.lines == (2, 2, 2, 9)
    assert sentences_of(data, shortest=2).texts[-2:] == ("Ok", "Yes.")


@given(st.lists(st.text(alphabet="ab .!?\n", max_size=80), min_size=1, max_size=8))
def test_sentences_are_stripped_bounded_distinct_and_found_in_their_text(texts: list[str]) -> None:
    data = LabelledTexts(tuple(texts), ("x",) * len(texts), "s", tuple(range(len(texts))))
    pieces = sentences_of(data, shortest=1, longest=20)
    assert len(set(pieces.texts)) == len(pieces)
    for sentence, line in zip(pieces.texts, pieces.lines, strict=True):
        assert sentence == sentence.strip() and 1 <= len(sentence) <= 20
        assert sentence in texts[line]
