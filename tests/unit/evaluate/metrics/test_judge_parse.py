"""Reading a judge's score from its reply: weighted by log-probabilities, else from the text."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.evaluate.metrics import parse_score
from bastion.evaluate.metrics._judge_parse import read_text_score


def _position(token: str, alternatives: dict[str, float]) -> dict[str, object]:
    return {
        "token": token,
        "logprob": math.log(alternatives.get(token, 0.5)),
        "top_logprobs": [{"token": t, "logprob": math.log(p)} for t, p in alternatives.items()],
    }


def test_weighting_renormalises_over_valid_scores() -> None:
    content = [_position("4", {"4": 0.5, "5": 0.25, "x": 0.2, "9": 0.05})]
    score = parse_score("4", content, (1, 5))
    # Only 4 and 5 are scores on a 1-5 scale: weights 2/3 and 1/3.
    assert score.method == "logprobs"
    assert score.score == pytest.approx(4 * 2 / 3 + 5 / 3)
    assert score.distribution == pytest.approx({4: 2 / 3, 5: 1 / 3})


def test_the_first_score_token_is_used() -> None:
    content = [
        {"token": "Score", "logprob": -0.1, "top_logprobs": []},
        {"token": ":", "logprob": -0.1},
    ]
    content.append(_position(" 3", {" 3": 0.9, " 2": 0.1}))
    score = parse_score("Score: 3", content, (1, 5))
    assert score.score == pytest.approx(2.9)


def test_a_multi_token_score_falls_back_to_the_text() -> None:
    content = [_position("1", {"1": 0.9, "2": 0.1}), _position("0", {"0": 1.0})]
    score = parse_score("10", content, (1, 10))
    assert (score.method, score.score) == ("text", 10.0)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("4", 4.0),
        ("Score: 3", 3.0),
        ("Rating (1-5): **2**", 2.0),
        ("I'd give it 4/5.", 4.0),
        ("Step 1 done. Score: 5", 5.0),
        ("7", None),
        ("nan", None),
        ("", None),
    ],
)
def test_text_scores(reply: str, expected: float | None) -> None:
    score = parse_score(reply, None, (1, 5))
    assert score.score == expected
    if expected is None:
        assert score.method == "failed" and score.error


@given(
    st.text(max_size=60),
    st.lists(
        st.fixed_dictionaries(
            {
                "token": st.sampled_from(["1", "2", "5", " 3", "x", "nan", "", "10"]),
                "logprob": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none()),
                "top_logprobs": st.lists(
                    st.fixed_dictionaries(
                        {
                            "token": st.sampled_from(["1", "4", "5", "y", " 2"]),
                            "logprob": st.floats(allow_nan=True, allow_infinity=True),
                        }
                    ),
                    max_size=4,
                ),
            }
        ),
        max_size=3,
    ),
)
def test_never_nan_and_always_on_the_scale(reply: str, content: list[dict[str, object]]) -> None:
    score = parse_score(reply, content, (1, 5))
    if score.score is None:
        assert score.normalised is None and score.error
    else:
        assert not math.isnan(score.score)
        if score.method == "text":
            # Read from the reply: the number read_text_score finds there.
            assert score.score == read_text_score(reply, (1, 5))
            assert score.distribution == {}
        else:
            # Weighted: the mean of a probability distribution over 1..5.
            assert set(score.distribution) <= {1, 2, 3, 4, 5}
            assert sum(score.distribution.values()) == pytest.approx(1.0)
            assert score.score == pytest.approx(
                sum(value * p for value, p in score.distribution.items())
            )
        # The normalised score is the score mapped linearly from 1..5 onto 0..1.
        assert score.normalised == pytest.approx((score.score - 1.0) / 4.0)
        assert score.method in ("logprobs", "text")
    digit = reply.strip()
    if not content and digit in {"1", "2", "3", "4", "5"}:
        assert (score.method, score.score) == ("text", float(digit))
