"""How each shipped classifier is trained: its data, split, features and settings.

``bastion detectors train NAME --data PATH`` runs a recipe. *PATH* is the
data set's file or folder, or a folder holding several data sets (the
recipes that add benign examples from other sets look for them there, and
beside the main set). Every recipe splits its data the same way: 70 % to
fit, 10 % to calibrate, 20 % held out for the model card's figures, all
stratified and seeded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bastion.detectors._datasets import LabelledTexts, sentences_of, split
from bastion.detectors._errors import DetectorError
from bastion.detectors._fast import Output, Windows
from bastion.detectors._fit import HeadSpec
from bastion.detectors._loaders import (
    load_bbq_contexts,
    load_davidson,
    load_deepset,
    load_jailbreaks,
    load_truthfulqa_questions,
    load_xstest,
    load_xstest_completions,
)

log = logging.getLogger(__name__)

DAVIDSON = "davidson-hate-offensive"
DEEPSET = "deepset-prompt-injections"
JAILBREAKS = "jailbreak-llms-in-the-wild"
TRUTHFULQA = "truthfulqa"
XSTEST = "xstest-completions"
BBQ = "bbq"


@dataclass(frozen=True)
class TrainingData:
    """A recipe's data, split.

    Attributes:
        fit: What the head is fitted on.
        calibration: What its calibration is fitted on.
        test: Held out, for the model card.
        benign: Held-out benign sets by name (false-positive rates).
        sources: The data sets used, by name, with their paths.
    """

    fit: LabelledTexts
    calibration: LabelledTexts
    test: LabelledTexts
    benign: dict[str, LabelledTexts] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipe:
    """One shipped classifier.

    Attributes:
        name: The short name (``toxicity``); the detector is ``bastion/<name>``.
        spec: The head and features of the fast model.
        load: Reads and splits the data found at a path.
        main_set: The data set the recipe is about (for messages).
        failure_modes: Known weaknesses, for the model card.
        head_failure_modes: Known weaknesses of one kind of head only, by its
            loss (``hinge``, ``logistic``): a family may fit another head.
    """

    name: str
    spec: HeadSpec
    load: Callable[[Path, int], TrainingData]
    main_set: str
    failure_modes: tuple[str, ...] = ()
    head_failure_modes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def failure_modes_of(self, spec: HeadSpec) -> tuple[str, ...]:
        """The known weaknesses of a model fitted with *spec*: the recipe's, then its head's."""
        return (*self.failure_modes, *self.head_failure_modes.get(spec.loss, ()))

    @property
    def train_command(self) -> str:
        """The command that trains this recipe's model."""
        return f"bastion detectors train {self.name} --data PATH/{self.main_set}"


def locate(data: Path, folder: str) -> Path | None:
    """The data set *folder* at, inside or beside *data*; ``None`` when it is nowhere."""
    for candidate in (data / folder, data, data.parent, data.parent / folder):
        if candidate.name == folder and candidate.exists():
            return candidate
        if candidate.is_file() and candidate.parent.name == folder:
            return candidate
    sibling = (data if data.is_dir() else data.parent).parent / folder
    return sibling if sibling.exists() else None


def _require(data: Path, folder: str) -> Path:
    found = locate(data, folder)
    if found is None:
        raise DetectorError(f"no {folder} data at, inside or beside {data}")
    return found


def _three_way(data: LabelledTexts, seed: int) -> tuple[LabelledTexts, ...]:
    rest, test = split(data, test_size=0.2, seed=seed)
    fit, calibration = split(rest, test_size=0.125, seed=seed)
    return fit, calibration, test


def _benign_sets(
    data: Path, seed: int, *, long_texts: bool = False
) -> dict[str, tuple[LabelledTexts, LabelledTexts]]:
    """Benign prompts from the other sets, each halved: one half to fit, one held out.

    With *long_texts*, XSTest's LLM answers too (median 860 characters): the
    other benign sets are short questions and contexts, and a prompt detector
    fitted on them alone learns length, flagging nearly every long benign text.
    """
    loaders: dict[str, tuple[str, Callable[[Path], LabelledTexts]]] = {
        "truthfulqa": (TRUTHFULQA, load_truthfulqa_questions),
        "xstest_safe": (XSTEST, lambda p: load_xstest(p).where_label("safe")),
        "bbq": (BBQ, lambda p: load_bbq_contexts(p, limit=2000)),
    }
    if long_texts:
        loaders["xstest_answers"] = (XSTEST, load_xstest_completions)
    found: dict[str, tuple[LabelledTexts, LabelledTexts]] = {}
    for name, (folder, loader) in loaders.items():
        path = locate(data, folder)
        if path is None:
            log.warning("benign set %s not found beside %s; training without it", folder, data)
            continue
        found[name] = split(_relabel(loader(path), "benign"), test_size=0.5, seed=seed)
    return found


def _relabel(data: LabelledTexts, label: str) -> LabelledTexts:
    return LabelledTexts(
        data.texts, (label,) * len(data), data.source, data.lines, data.files, data.skipped
    )


def _with_benign(
    main: tuple[LabelledTexts, ...], benign: dict[str, tuple[LabelledTexts, LabelledTexts]]
) -> tuple[LabelledTexts, LabelledTexts]:
    fit = LabelledTexts.concat(main[0], *(half[0] for half in benign.values()))
    return fit, main[1]


def _toxicity_data(data: Path, seed: int) -> TrainingData:
    path = _require(data, DAVIDSON)
    main = _three_way(load_davidson(path), seed)
    # Plain prose and questions from the other sets, as "neither": without
    # them, text unlike any tweet goes by the prior, and 77 % of tweets are offensive.
    # LLM answers go in sentence by sentence as well: short polite text ("Your
    # order ships on Monday.") is what an assistant's output is made of, and
    # no tweet looks like it.
    benign = {
        name: (_relabel(fit, "neither"), _relabel(held_out, "neither"))
        for name, (fit, held_out) in _benign_sets(data, seed, long_texts=True).items()
    }
    if "xstest_answers" in benign:
        fit_answers, held_answers = benign["xstest_answers"]
        # A one-sentence answer held out can recur inside a fitted one (models
        # answer alike): such sentences stay out of the fit split.
        held_out = {t.strip() for half in benign.values() for t in half[1].texts}
        pieces = sentences_of(fit_answers)
        pieces = pieces.subset([i for i, t in enumerate(pieces.texts) if t not in held_out])
        benign["xstest_answers"] = (LabelledTexts.concat(fit_answers, pieces), held_answers)
    fit, calibration = _with_benign(main, benign)
    held = {name: half[1] for name, half in benign.items()}
    return TrainingData(fit, calibration, main[2], held, {DAVIDSON: str(path)})


def _prompt_injection_data(data: Path, seed: int) -> TrainingData:
    path = _require(data, DEEPSET)
    main = _three_way(load_deepset(path), seed)
    # Without the long answers: with them, an injection inside a long benign
    # document scores lower (its window is judged benign prose), and finding
    # those is this detector's job; long benign text is flagged at 13 % instead.
    benign = _benign_sets(data, seed)
    fit, calibration = _with_benign(main, benign)
    held_out = {name: half[1] for name, half in benign.items()}
    return TrainingData(fit, calibration, main[2], held_out, {DEEPSET: str(path)})


def _jailbreak_data(data: Path, seed: int) -> TrainingData:
    path = _require(data, JAILBREAKS)
    jailbreaks = load_jailbreaks(path)
    deepset = locate(data, DEEPSET)
    parts = [jailbreaks]
    if deepset is not None:
        parts.append(_relabel(load_deepset(deepset).where_label("benign"), "benign"))
    # Without the long answers: with them, long benign text is no longer flagged
    # but short plain requests are ("Tell me the delivery date" 0.89).
    benign = _benign_sets(data, seed)
    if not benign and deepset is None:
        raise DetectorError(f"jailbreak: no benign prompts found beside {path}")
    main = _three_way(LabelledTexts.concat(*parts), seed)
    fit, calibration = _with_benign(main, benign)
    test_benign = {name: half[1] for name, half in benign.items()}
    return TrainingData(fit, calibration, main[2], test_benign, {JAILBREAKS: str(path)})


TOXICITY = Recipe(
    name="toxicity",
    spec=HeadSpec(
        name="bastion/toxicity",
        classes=("hate", "offensive", "neither"),
        outputs=(
            Output("toxicity", ("hate", "offensive")),
            Output("hate", ("hate",)),
            Output("offensive", ("offensive",)),
        ),
        # Chosen by 5-fold cross-validation on the fit split: the multi-class
        # SVM's best settings reach weighted F1 0.898, macro F1 0.743 (0.893 and
        # 0.729 for the logistic regression's). IDF, the static embedding and
        # annotator-vote soft labels did not help the logistic regression; more
        # buckets and other n-gram sizes did not help the SVM. With the LLM
        # answers' sentences in the fit split, C 1.0 over 0.5, 0.3 on the
        # calibration split (weighted F1 0.901 against 0.896, 0.895), and it
        # alone keeps a plain insult above and "have a nice day" below 0.5.
        loss="hinge",
        c=1.0,
        # Hate is 6 % of the tweets and "neither" 17 %: weigh them up so the
        # head does not settle for "offensive" (heavier weights buy hate
        # recall with more offensive precision than they give back).
        class_weight={"hate": 2.0, "offensive": 1.0, "neither": 1.25},
        # Tweets are short: a long post is judged passage by passage.
        windows=Windows(512, 256),
    ),
    load=_toxicity_data,
    main_set=DAVIDSON,
    failure_modes=(
        "Trained on 2017 US English tweets: slang, dialect and reclaimed slurs (notably in "
        "African-American English) are often scored offensive; Davidson et al. report the same.",
        "Identity terms alone raise the hate score: a neutral sentence naming a group can be "
        "flagged.",
        "Hate and offensive are hard to tell apart: most hate errors are predicted offensive.",
        "Other languages than English are out of its training distribution.",
        "Probabilities are calibrated to the tweets, 77 % of them offensive. Half of the "
        "TruthfulQA questions, XSTest safe prompts, BBQ contexts and XSTest's LLM answers "
        "(whole and sentence by sentence) are trained on as neither: none of the other "
        "halves is flagged, but they are like what was trained on, and harmless text unlike "
        "both may score higher. On a feed with less abuse, set the thresholds with "
        "`bastion detectors calibrate` on a benign sample of that feed.",
    ),
    head_failure_modes={
        "hinge": (
            "The SVM head scores abuse more softly than a logistic one: an insult without "
            "slurs may score 0.5 to 0.8, so 0.5 (the example feed policy's threshold) suits it "
            "better than 0.6 or more.",
        ),
    },
)
PROMPT_INJECTION = Recipe(
    name="prompt_injection",
    spec=HeadSpec(
        name="bastion/prompt_injection",
        classes=("benign", "injection"),
        outputs=(Output("prompt_injection", ("injection",)),),
        # The static MiniLM table scored no better on the calibration split and
        # costs about 25 µs per text: hashed n-grams only.
        c=10.0,
        windows=Windows(1024, 512),
    ),
    load=_prompt_injection_data,
    main_set=DEEPSET,
    failure_modes=(
        "Trained on 529 prompts: indirect injections hidden in documents or tool output, and "
        "injections phrased unlike the training set, are likely missed.",
        "English and German only.",
    ),
)
JAILBREAK = Recipe(
    name="jailbreak",
    spec=HeadSpec(
        name="bastion/jailbreak",
        classes=("benign", "jailbreak"),
        outputs=(Output("jailbreak", ("jailbreak",)),),
        c=10.0,
    ),
    load=_jailbreak_data,
    main_set=JAILBREAKS,
    failure_modes=(
        "In-the-wild jailbreaks come in families of near-copies; the split keeps exact copies "
        "together but not near-copies, so held-out recall overstates recall on new families.",
        "Short, direct harmful requests are not jailbreaks and are not flagged (that is the "
        "job of a content-safety detector).",
        "Long benign text is mostly flagged: the benign prompts it was fitted on are short "
        "questions and contexts, so length itself reads as a jailbreak (99 % of XSTest's LLM "
        "answers over 400 characters score above 0.5). Fitting on those answers as benign "
        "fixed that but flagged short plain requests instead; for now, run it on prompts "
        "written by users, not on pasted documents.",
    ),
)
RECIPES: dict[str, Recipe] = {r.name: r for r in (TOXICITY, PROMPT_INJECTION, JAILBREAK)}


def recipe(name: str) -> Recipe:
    """The recipe called *name* (``toxicity`` or ``bastion/toxicity``)."""
    short = name.removeprefix("bastion/")
    if short not in RECIPES:
        raise DetectorError(f"no training recipe {name!r}; recipes: {', '.join(RECIPES)}")
    return RECIPES[short]
