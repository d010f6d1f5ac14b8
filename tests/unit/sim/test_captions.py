"""Captions: vocabularies read as topics, and the shipped detectors catch the harmful ones.

The detectors are the real shipped models (NumPy only, loaded from the
package), so these tests check what the demo will see.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bastion.detectors import load_detector
from bastion.sim import TOPICS, Simulator, Step
from bastion.sim import _captions as captions
from bastion.sim._false_claims import FALSE_CLAIMS, THEMES
from bastion.sim._vocab import STYLES, VOCABULARY

ROOT = Path(__file__).resolve().parents[3]


def _draws(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, captions.DRAWS))


def test_every_topic_has_a_usable_vocabulary() -> None:
    assert len(TOPICS) >= 10 and {"music", "dance", "food", "sport", "news", "pets"} <= set(TOPICS)
    for topic in VOCABULARY.values():
        assert len(topic.words) >= 8 and len(set(topic.words)) == len(topic.words)
        assert all("{a}" in t and "{b}" in t for t in topic.templates)
        assert topic.hashtags


def test_organic_captions_use_their_topic() -> None:
    for k, name in enumerate(TOPICS):
        for style, u in enumerate(_draws(len(STYLES), k)):
            text = captions.organic(k, style, u.tolist())
            assert any(w in text.lower() for w in VOCABULARY[name].words)
            assert any(f"#{tag}" in text for tag in VOCABULARY[name].hashtags)


def test_every_false_claim_is_in_the_claims_file() -> None:
    lines = (ROOT / "examples" / "claims" / "known-false-claims.jsonl").read_text("utf-8")
    known = {json.loads(line)["text"] for line in lines.splitlines() if line.strip()}
    assert {c.claim for c in FALSE_CLAIMS} <= known
    assert {c.theme for c in FALSE_CLAIMS} == set(THEMES)


@pytest.fixture(scope="module")
def toxicity() -> object:
    return load_detector("bastion/toxicity")


def test_the_toxicity_detector_flags_abuse_and_not_ordinary_captions(toxicity: object) -> None:
    draws = _draws(600)
    topics = np.arange(600) % len(TOPICS)
    abuse = [captions.abuse(int(t), u.tolist()) for t, u in zip(topics, draws, strict=True)]
    organic = [
        captions.organic(int(t), int(t) % len(STYLES), u.tolist())
        for t, u in zip(topics, draws, strict=True)
    ]
    score = toxicity.score  # type: ignore[attr-defined]
    abusive = score(abuse).scores[:, 0]
    ordinary = score(organic).scores[:, 0]
    # 0.5: the threshold of the example policy's toxic-caption rule.
    assert np.mean(abusive >= 0.5) >= 0.95
    assert np.mean(ordinary >= 0.5) <= 0.03


def test_the_claim_matcher_finds_every_paraphrase_even_with_an_event_hashtag() -> None:
    matcher = load_detector("bastion/misinfo_claim")
    texts, claims = [], []
    for k, claim in enumerate(FALSE_CLAIMS):
        for j in range(len(claim.paraphrases)):
            u = [(j + 0.5) / len(claim.paraphrases)] + [0.0] * (captions.DRAWS - 1)
            for tag in ("", "MarrowbyFloods"):
                texts.append(captions.false_claim(k, tag, u))
                claims.append(claim.claim)
    batch = matcher.score(texts)
    assert batch.evidence is not None
    assert len(set(texts)) == sum(2 * len(c.paraphrases) for c in FALSE_CLAIMS)
    assert float(batch.scores[:, 0].min()) >= 0.6
    assert [e[0].text for e in batch.evidence] == claims


def test_news_posts_do_not_look_like_false_claims(run: tuple[Simulator, list[Step]]) -> None:
    simulator, steps = run
    news = [p.text for s in steps for p in s.posts if simulator.truth.kind_of(p.post_id) == "news"]
    assert news and all("#MarrowbyStorm" in t and "Marrowby" in t for t in news)
    scores = load_detector("bastion/misinfo_claim").score(news).scores[:, 0]
    assert np.mean(scores >= 0.6) <= 0.02
