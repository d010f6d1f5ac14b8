"""Signals: the schema policies are checked against, and batched lookup for a slate.

:data:`STANDARD_SIGNALS` names the ``item.*`` and ``creator.*`` signals that
Bastion's detectors and creator profiles publish; :class:`SignalGatherer`
turns a request and a :class:`~bastion.core.SignalStore` into the columns a
compiled plan reads, in one store call per entity.
"""

from bastion.signals._catalogue import STANDARD_SIGNALS
from bastion.signals._gather import SignalGatherer, SlateSignals

__all__ = ["STANDARD_SIGNALS", "SignalGatherer", "SlateSignals"]
