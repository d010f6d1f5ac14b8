"""Registers the shipped classifiers: each recipe in the fast and MiniLM families, and cascades.

``bastion/toxicity`` is the fast model (``toxicity.npz``), ``bastion/toxicity-minilm``
the MiniLM one (``toxicity-minilm.npz``) and ``bastion/toxicity-cascade`` both:
the fast model decides the clear cases, MiniLM the uncertain band.
"""

from __future__ import annotations

from pathlib import Path

from bastion.detectors._cascade import CascadeDetector
from bastion.detectors._encoders import embedder_for
from bastion.detectors._fast import FastTextDetector, load_fast
from bastion.detectors._model_files import find_model, load_model
from bastion.detectors._recipes import RECIPES, Recipe
from bastion.detectors._registry import DetectorFactory, detector
from bastion.detectors._training import Family, model_file


def load_shipped(chosen: Recipe, family: Family, model_dir: Path | None) -> FastTextDetector:
    """The model of *chosen* in *family*, from *model_dir*, ``$BASTION_MODELS`` or the package."""
    train = chosen.train_command + ("" if family == "fast" else f" --family {family}")
    name = chosen.spec.name if family == "fast" else f"{chosen.spec.name}-{family}"
    path = find_model(model_file(chosen.name, family), model_dir, detector=name, train=train)
    embedding = load_model(path)[1].get("embedding")
    return load_fast(path, embedder=embedder_for(embedding, model_dir))


def _factories(chosen: Recipe) -> dict[str, DetectorFactory]:
    def fast(*, model_dir: Path | None = None) -> FastTextDetector:
        return load_shipped(chosen, "fast", model_dir)

    def minilm(*, model_dir: Path | None = None) -> FastTextDetector:
        return load_shipped(chosen, "minilm", model_dir)

    def cascade(*, model_dir: Path | None = None) -> CascadeDetector:
        return CascadeDetector(
            f"{chosen.spec.name}-cascade",
            load_shipped(chosen, "fast", model_dir),
            load_shipped(chosen, "minilm", model_dir),
        )

    return {"": fast, "-minilm": minilm, "-cascade": cascade}


for _recipe in RECIPES.values():
    for _suffix, _factory in _factories(_recipe).items():
        detector(f"{_recipe.spec.name}{_suffix}")(_factory)
