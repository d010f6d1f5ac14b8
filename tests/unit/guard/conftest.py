"""Fixtures for the guard tests."""

from __future__ import annotations

import pytest

from bastion.core import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()
