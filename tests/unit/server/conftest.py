"""Fixtures for the server tests: a config over the example bundle and signals, keys per role."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from bastion.server import Role, ServerConfig, create_app, mint_key

with warnings.catch_warnings():
    # Starlette asks for httpx2 here; the test client works the same with httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
ELECTION = EXAMPLES / "policies" / "election-misinfo.yaml"
ITEMS = EXAMPLES / "signals" / "items.jsonl"
CREATORS = EXAMPLES / "signals" / "creators.jsonl"
REQUEST = EXAMPLES / "requests" / "election.json"

_KEYS = {role: mint_key(f"test-{role.value}", [role]) for role in Role}
KEYS: dict[Role, str] = {role: key for role, (key, _) in _KEYS.items()}
ENTRIES = [entry for _, entry in _KEYS.values()]


def auth(role: Role) -> dict[str, str]:
    """Headers carrying the test key of *role*."""
    return {"Authorization": f"Bearer {KEYS[role]}"}


def settings(**overrides: Any) -> dict[str, Any]:
    """Config data over the election example, with every role's test key."""
    data: dict[str, Any] = {
        "policy": str(ELECTION),
        "signals": {"items": str(ITEMS), "creators": str(CREATORS)},
        "auth": {"keys": [entry.model_dump(mode="json") for entry in ENTRIES]},
    }
    data.update(overrides)
    return data


def make_config(**overrides: Any) -> ServerConfig:
    """A validated config (no environment overrides)."""
    return ServerConfig.from_mapping(settings(**overrides), environ={})


@pytest.fixture
def config() -> ServerConfig:
    return make_config()


@pytest.fixture
def client(config: ServerConfig) -> Iterator[TestClient]:
    with TestClient(create_app(config, freeze_gc=False)) as test_client:
        yield test_client


__all__ = ["TestClient", "auth", "make_config", "settings"]
