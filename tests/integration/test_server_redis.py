"""The server on Redis: signals from a RedisSignalStore, breakers shared, readiness following Redis."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from bastion.server import Role, ServerConfig, create_app, mint_key
from bastion.stores import RedisSignalStore, load_signals
from tests.redis_server import RedisServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
pytestmark = pytest.mark.integration

KEY, ENTRY = mint_key("redis-test", list(Role))
HEADERS = {"Authorization": f"Bearer {KEY}"}


def _config(url: str) -> ServerConfig:
    return ServerConfig.from_mapping(
        {
            "policy": str(EXAMPLES / "policies" / "election-misinfo.yaml"),
            "signals": {"store": "redis", "url": url, "prefix": "srv-test"},
            "shared_breakers": {"url": url, "prefix": "srv-test", "sync_every_s": 0.05},
            "auth": {"keys": [ENTRY.model_dump(mode="json")]},
        },
        environ={},
    )


def _wait_for(client: TestClient, ready: bool, timeout: float = 10.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        answer: dict[str, object] = client.get("/readyz").json()
        if answer["ready"] is ready or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


def test_guard_on_redis_signals_with_shared_breakers(redis_server: RedisServer) -> None:
    store = RedisSignalStore(redis_server.url, prefix="srv-test")
    load_signals(store, EXAMPLES / "signals" / "items.jsonl", entity="item")
    load_signals(store, EXAMPLES / "signals" / "creators.jsonl", entity="creator")
    store.close()
    request = (EXAMPLES / "requests" / "election.json").read_bytes()

    with TestClient(create_app(_config(redis_server.url), freeze_gc=False)) as client:
        response = client.post("/v1/guard", content=request, headers=HEADERS)
        assert response.status_code == 200, response.text
        assert response.json()["slate"] == ["v2", "v4", "v5", "v7"]  # as with the memory store
        assert _wait_for(client, True) == {"ready": True, "failing": []}

        redis_server.kill()
        answer = _wait_for(client, False)
        assert answer["ready"] is False and "signal-store" in answer["failing"], answer
        # Redis down: signals read as missing, the guard still answers.
        response = client.post("/v1/guard", content=request, headers=HEADERS)
        assert response.status_code == 200, response.text
        assert json.loads(response.text)["decisions"]

        redis_server.start()
        assert _wait_for(client, True) == {"ready": True, "failing": []}
