"""Imports the modules that register Bastion's own detectors (light imports only)."""

from __future__ import annotations  # noqa: I001 (one line per detector module, appended)

from bastion.detectors import _claims  # noqa: F401
from bastion.detectors import _pii  # noqa: F401
from bastion.detectors import _shipped  # noqa: F401
