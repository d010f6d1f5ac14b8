"""Bastion: a safety operating system for recommendation feeds and LLM applications.

``import bastion`` stays light; the planes load when first used::

    from bastion.guard import Guard
    from bastion.policy import load_bundle
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
