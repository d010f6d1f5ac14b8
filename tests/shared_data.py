"""Where the real public data sets are, for the tests that train or measure on them.

They live outside the repository, in ``../shared/data`` beside the checkout,
or wherever ``BASTION_SHARED_DATA`` points. Tests that need them skip, with
the reason, when they are absent; the core suite never needs them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    """The data directory (which may not exist)."""
    env = os.environ.get("BASTION_SHARED_DATA")
    return Path(env) if env else REPOSITORY.parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """The path of one data set file or folder, or skip the test when it is absent."""
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data set {'/'.join(parts)} not found under {shared_data_dir()}")
    return path
