"""Imports the modules that register Bastion's own detectors (light imports only)."""

from __future__ import annotations
