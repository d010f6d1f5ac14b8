"""Every registered detector passes ``check_detector``; third-party ones are found and checked.

The ``-minilm`` and ``-cascade`` detectors need the MiniLM model files
(``<recipe>-minilm.npz``); they run when those files exist and are skipped,
naming the missing file, when they do not. MiniLM is loaded once per process
(``embedder_for`` shares it) and the loaded detectors are kept for the module.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from bastion.detectors import (
    Detector,
    DetectorError,
    ModelNotFoundError,
    PiiDetector,
    ScoreBatch,
    detector,
    detector_names,
    load_detector,
    reset_registry,
)
from bastion.testing import check_detector

BUILTINS = detector_names()
EMBEDDING_SUFFIXES = ("-minilm", "-cascade")
EMBEDDING_HUGE_CHARS = 20_000
"""MiniLM reads 256 tokens of each 4,096-character window: a 1 MB text is ~500
forward passes (about a minute on two busy cores) and exercises the same
window code as the fast family's 1 MB case."""


@pytest.fixture(scope="module")
def loaded() -> Callable[[str], Detector]:
    """Loads each detector once for the module; skips one whose model file is absent."""
    cache: dict[str, Detector | ModelNotFoundError] = {}

    def get(name: str) -> Detector:
        if name not in cache:
            try:
                cache[name] = load_detector(name)
            except ModelNotFoundError as missing:
                cache[name] = missing
        found = cache[name]
        if isinstance(found, ModelNotFoundError):
            pytest.skip(f"{name}: model file absent ({found.path}); train: {found.train_command}")
        return found

    return get


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_detector_conforms(name: str, loaded: Callable[[str], Detector]) -> None:
    built = loaded(name)
    assert built.name == name
    embedding = name.endswith(EMBEDDING_SUFFIXES)
    warm = iter([built])

    def factory() -> Detector:
        # The module's instance first (already warm), then a fresh one.
        return next(warm, None) or load_detector(name)

    check_detector(
        factory,
        huge_chars=EMBEDDING_HUGE_CHARS if embedding else 1_000_000,
        threads=2 if embedding else 4,
    )


def test_every_recipe_comes_in_three_families() -> None:
    for base in ("bastion/toxicity", "bastion/prompt_injection", "bastion/jailbreak"):
        assert {base, f"{base}-minilm", f"{base}-cascade"} <= set(BUILTINS)
    assert {"bastion/pii", "bastion/misinfo_claim"} <= set(BUILTINS)


class Shouting:
    """A third-party detector: the share of upper-case letters."""

    labels = ("shouting",)
    thresholds = {"shouting": 0.8}

    def __init__(self, name: str) -> None:
        self.name = name

    def score(self, texts: object) -> ScoreBatch:
        assert isinstance(texts, list | tuple)
        rows = []
        for text in texts:
            letters = [c for c in text if c.isalpha()]
            rows.append(sum(c.isupper() for c in letters) / len(letters) if letters else 0.0)
        scores = np.asarray(rows, dtype=np.float32).reshape(len(rows), 1)
        return ScoreBatch(self.name, self.labels, scores)


@pytest.fixture
def clean_registry() -> Iterator[None]:
    reset_registry()
    yield
    reset_registry()


def test_decorated_third_party_detector_is_found_and_conforms(clean_registry: None) -> None:
    @detector("acme/x")
    def build(*, model_dir: Path | None = None) -> Shouting:
        return Shouting("acme/x")

    assert "acme/x" in detector_names()
    check_detector(partial(load_detector, "acme/x"))
    assert load_detector("acme/x").score(["HEY you"]).scores[0, 0] == pytest.approx(0.5)
    reset_registry()
    assert "acme/x" not in detector_names()
    assert detector_names() == BUILTINS


def _install_dist(root: Path, module: str, entries: str) -> None:
    """A real installed distribution: a module and its dist-info, on *root*."""
    (root / f"{module}.py").write_text(
        textwrap.dedent(
            f"""
            from tests.unit.detectors.test_conformance import Shouting

            def build(*, model_dir=None):
                return Shouting("acme/{module}")
            """
        )
    )
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[bastion.detectors]\n{entries}\n")


@pytest.fixture
def dist_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    reset_registry()
    yield tmp_path
    for module in [m for m in sys.modules if m.startswith("acme_")]:
        del sys.modules[module]
    reset_registry()


def test_entry_point_detector_is_found_lazily_and_conforms(dist_root: Path) -> None:
    _install_dist(
        dist_root,
        "acme_shout",
        "acme/acme_shout = acme_shout:build\nacme/broken = acme_shout:missing",
    )
    names = detector_names()
    assert {"acme/acme_shout", "acme/broken"} <= set(names)
    assert "acme_shout" not in sys.modules  # listed, not imported
    check_detector(partial(load_detector, "acme/acme_shout"))
    with pytest.raises(DetectorError, match=r"'acme/broken': entry point 'acme_shout:missing'"):
        load_detector("acme/broken")


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(DetectorError, match="no detector named 'bastion/nope'") as raised:
        load_detector("bastion/nope")
    for name in BUILTINS:
        assert name in str(raised.value)


def test_bare_names_mean_bastion() -> None:
    assert load_detector("pii").name == "bastion/pii"
    assert isinstance(load_detector("bastion/pii"), PiiDetector)


@pytest.mark.parametrize("bad", ["toxicity", "/toxicity", "acme/", ""])
def test_names_must_be_namespaced(bad: str) -> None:
    with pytest.raises(DetectorError, match="must be namespace/name"):
        detector(bad)


def test_a_factory_returning_no_detector_is_refused(clean_registry: None) -> None:
    @detector("acme/nothing")  # type: ignore[type-var]
    def build(*, model_dir: Path | None = None) -> object:
        return object()

    with pytest.raises(DetectorError, match="'acme/nothing': its factory returned object"):
        load_detector("acme/nothing")
