"""Content and prompt detectors: calibrated scores for texts, offline and fast.

Every detector implements one protocol, ``Detector.score(texts) ->
ScoreBatch``, and is registered by name (``@detector("bastion/toxicity")``
or the ``bastion.detectors`` entry point group); :func:`load_detector` builds
one, :func:`detector_names` lists them, and
:func:`bastion.testing.check_detector` is the conformance suite.

Shipped detectors:

* ``bastion/toxicity``, ``bastion/prompt_injection``, ``bastion/jailbreak``:
  the fast family (normalised text, hashed n-grams, the static MiniLM
  table where it helps, a calibrated linear head; NumPy only). Each also
  comes as ``-minilm`` (MiniLM sentence embeddings and a head; needs the
  ``embed`` extra) and ``-cascade`` (fast first, MiniLM for the uncertain band).
* ``bastion/pii``: emails, phones, payment cards, national ids, IP and
  street addresses, with spans for :func:`redact`.
* ``bastion/misinfo_claim``: similarity to a database of known false claims,
  with the nearest claims as evidence (:func:`build_claim_index`).

Models are trained by :func:`train` (``bastion detectors train``) on public
data sets and measured on a held-out split; each ships with a model card.
Hub models already on disk load through :class:`HubClassifier`.
"""

from bastion.detectors._calibrate import calibrate_thresholds
from bastion.detectors._cascade import CascadeDetector
from bastion.detectors._claims import ClaimMatcher, build_claim_index
from bastion.detectors._datasets import LabelledTexts, SkippedRow, kfold, split
from bastion.detectors._encoders import embedder_for
from bastion.detectors._errors import DataError, DetectorError, ModelNotFoundError
from bastion.detectors._fast import FastTextDetector, Output, TextEncoder, Windows, load_fast
from bastion.detectors._hashing import HashedFeatures, NgramHasher
from bastion.detectors._hub import HubClassifier
from bastion.detectors._loaders import (
    load_bbq_contexts,
    load_davidson,
    load_deepset,
    load_jailbreaks,
    load_liar,
    load_truthfulqa_questions,
    load_xstest,
    load_xstest_completions,
)
from bastion.detectors._metrics import (
    ClassificationReport,
    ClassMetrics,
    binary_auroc,
    classification_report,
    expected_calibration_error,
    recall_at_fpr,
    threshold_for_fpr,
)
from bastion.detectors._minilm import MiniLMEncoder
from bastion.detectors._model_files import PACKAGED_MODELS, model_dirs
from bastion.detectors._normalize import normalize
from bastion.detectors._pii import PiiDetector, redact
from bastion.detectors._protocol import Detector
from bastion.detectors._readers import read_labelled
from bastion.detectors._recipes import RECIPES, Recipe, recipe
from bastion.detectors._registry import (
    ENTRY_POINT_GROUP,
    DetectorFactory,
    detector,
    detector_names,
    load_detector,
    qualify,
    reset_registry,
)
from bastion.detectors._scores import Evidence, ScoreBatch, Span
from bastion.detectors._signals import signal_columns, signal_names
from bastion.detectors._static import StaticEmbedder
from bastion.detectors._training import TrainResult, evaluate, measure_speed, train

__all__ = [
    "ENTRY_POINT_GROUP",
    "PACKAGED_MODELS",
    "RECIPES",
    "CascadeDetector",
    "ClaimMatcher",
    "ClassMetrics",
    "ClassificationReport",
    "DataError",
    "Detector",
    "DetectorError",
    "DetectorFactory",
    "Evidence",
    "FastTextDetector",
    "HashedFeatures",
    "HubClassifier",
    "LabelledTexts",
    "MiniLMEncoder",
    "ModelNotFoundError",
    "NgramHasher",
    "Output",
    "PiiDetector",
    "Recipe",
    "ScoreBatch",
    "SkippedRow",
    "Span",
    "StaticEmbedder",
    "TextEncoder",
    "TrainResult",
    "Windows",
    "binary_auroc",
    "build_claim_index",
    "calibrate_thresholds",
    "classification_report",
    "detector",
    "detector_names",
    "embedder_for",
    "evaluate",
    "expected_calibration_error",
    "kfold",
    "load_bbq_contexts",
    "load_davidson",
    "load_deepset",
    "load_detector",
    "load_fast",
    "load_jailbreaks",
    "load_liar",
    "load_truthfulqa_questions",
    "load_xstest",
    "load_xstest_completions",
    "measure_speed",
    "model_dirs",
    "normalize",
    "qualify",
    "read_labelled",
    "recall_at_fpr",
    "recipe",
    "redact",
    "reset_registry",
    "signal_columns",
    "signal_names",
    "split",
    "threshold_for_fpr",
    "train",
]
