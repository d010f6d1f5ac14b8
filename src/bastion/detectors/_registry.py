"""The detector registry: ``@detector("bastion/...")`` plus the ``bastion.detectors`` entry points.

Names are namespaced (``bastion/toxicity``; a third party uses its own
prefix). A bare name (``toxicity``) means ``bastion/toxicity``. Factories are
resolved lazily: registering imports nothing heavy, and an entry point is
loaded only when its name is asked for. The registry is the only process-wide
state of the plane; :func:`reset_registry` restores the built-ins (for tests).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bastion.detectors._errors import DetectorError
from bastion.detectors._protocol import Detector

ENTRY_POINT_GROUP = "bastion.detectors"
DetectorFactory = Callable[..., Detector]
"""Builds a detector; called as ``factory(model_dir=...)`` (``None``: the default models)."""

_F = TypeVar("_F", bound=DetectorFactory)
_lock = threading.RLock()
_factories: dict[str, DetectorFactory] = {}
_builtin_factories: dict[str, DetectorFactory] = {}
_builtins_loaded = False


def qualify(name: str) -> str:
    """``toxicity`` -> ``bastion/toxicity``; a namespaced name is returned as is."""
    return name if "/" in name else f"bastion/{name}"


def detector(name: str) -> Callable[[_F], _F]:
    """Register the decorated factory under *name* (``namespace/detector``)."""
    if "/" not in name or name.startswith("/") or name.endswith("/"):
        raise DetectorError(f"detector name {name!r} must be namespace/name, as bastion/toxicity")

    def register(factory: _F) -> _F:
        with _lock:
            _factories[name] = factory
        return factory

    return register


def _load_builtins() -> None:
    global _builtins_loaded
    with _lock:
        if not _builtins_loaded:
            _builtins_loaded = True
            importlib.import_module("bastion.detectors._builtin")
            _builtin_factories.update(_factories)


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def detector_names() -> list[str]:
    """Every registered name, built-in and from entry points, sorted."""
    _load_builtins()
    with _lock:
        return sorted(set(_factories) | set(_entry_points()))


def load_detector(name: str, *, model_dir: str | Path | None = None) -> Detector:
    """Build the detector registered as *name*.

    Args:
        name: A registered name; a bare name is looked up under ``bastion/``.
        model_dir: Where its model files are; ``None`` means the models
            shipped with Bastion (or ``$BASTION_MODELS`` when set).

    Raises:
        DetectorError: No detector has that name (the message lists those that exist).
        ModelNotFoundError: Its model file is missing.
    """
    _load_builtins()
    qualified = qualify(name)
    with _lock:
        factory = _factories.get(qualified)
    if factory is None:
        entry = _entry_points().get(qualified)
        if entry is None:
            known = ", ".join(detector_names()) or "none"
            raise DetectorError(f"no detector named {name!r}; registered: {known}")
        try:
            factory = entry.load()
        except Exception as error:
            raise DetectorError(
                f"detector {qualified!r}: entry point {entry.value!r} failed to load: {error}"
            ) from error
        with _lock:
            _factories[qualified] = factory
    built = factory(model_dir=None if model_dir is None else Path(model_dir))
    if not isinstance(built, Detector):
        raise DetectorError(f"detector {qualified!r}: its factory returned {type(built).__name__}")
    return built


def reset_registry() -> None:
    """Forget every registration but the built-ins (for tests)."""
    _load_builtins()
    with _lock:
        _factories.clear()
        _factories.update(_builtin_factories)
