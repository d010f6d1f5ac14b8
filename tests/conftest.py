"""Fixtures and settings shared by every test package."""

from hypothesis import settings

from tests.redis_server import redis_server

# Timing belongs in benchmarks/, not in unit tests: no per-example deadline, so
# a busy CI machine cannot fail a property test for being slow.
settings.register_profile("bastion", deadline=None)
settings.load_profile("bastion")

__all__ = ["redis_server"]
