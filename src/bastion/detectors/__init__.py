"""Content and prompt detectors: calibrated scores for texts, offline and fast.

Every detector implements one protocol, ``Detector.score(texts) ->
ScoreBatch``, and is registered by name (``@detector("bastion/toxicity")``
or the ``bastion.detectors`` entry point group); :func:`load_detector` builds
one. :func:`bastion.testing.check_detector` is the conformance suite.
"""

from bastion.detectors._errors import DataError, DetectorError, ModelNotFoundError
from bastion.detectors._protocol import Detector
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

__all__ = [
    "ENTRY_POINT_GROUP",
    "DataError",
    "Detector",
    "DetectorError",
    "DetectorFactory",
    "Evidence",
    "ModelNotFoundError",
    "ScoreBatch",
    "Span",
    "detector",
    "detector_names",
    "load_detector",
    "qualify",
    "reset_registry",
]
