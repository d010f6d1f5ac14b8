"""Imports the modules that register Bastion's own detectors (light imports only)."""

from __future__ import annotations

from bastion.detectors import _pii  # noqa: F401
