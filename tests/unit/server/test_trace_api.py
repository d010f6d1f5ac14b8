"""GET /v1/trace/{request_id}: decisions served by the app are explained from its log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bastion.server import Role, Runtime, ServerConfig, create_app

from .conftest import REQUEST, TestClient, auth, make_config

AUDITOR = auth(Role.AUDITOR)


@pytest.fixture
def traced(tmp_path: Path) -> ServerConfig:
    return make_config(
        trace={"directory": str(tmp_path / "log"), "hmac_key": "k" * 32, "fsync": "never"}
    )


@pytest.fixture
def runtime(traced: ServerConfig) -> Runtime:
    return Runtime.build(traced)


@pytest.fixture
def client(traced: ServerConfig, runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(traced, runtime=runtime, freeze_gc=False)) as test_client:
        yield test_client


def _decide(client: TestClient, runtime: Runtime, request_id: str) -> None:
    body = json.loads(REQUEST.read_text()) | {"request_id": request_id}
    assert client.post("/v1/guard", json=body, headers=auth(Role.GUARD_CLIENT)).status_code == 200
    assert runtime.writer is not None and runtime.writer.flush(10)


def test_a_served_request_is_explained(client: TestClient, runtime: Runtime) -> None:
    _decide(client, runtime, "traced-1")
    response = client.get("/v1/trace/traced-1", headers=AUDITOR)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["request_id"] == "traced-1"
    assert answer["slate"] == ["v2", "v4", "v5", "v7"]
    assert answer["policy_version"] == runtime.guard.policy_version
    changed = {item["item_id"] for item in answer["items"]}
    assert {"v1", "v3"} <= changed

    one = client.get("/v1/trace/traced-1", params={"item_id": "v1"}, headers=AUDITOR).json()
    assert [item["item_id"] for item in one["items"]] == ["v1"]


def test_unknown_requests_and_items_are_404(client: TestClient, runtime: Runtime) -> None:
    _decide(client, runtime, "traced-2")
    response = client.get("/v1/trace/never-seen", headers=AUDITOR)
    assert response.status_code == 404
    assert "no decision record for request 'never-seen'" in response.json()["error"]["message"]
    response = client.get("/v1/trace/traced-2", params={"item_id": "zz"}, headers=AUDITOR)
    assert response.status_code == 404


def test_traces_need_the_auditor_role(client: TestClient) -> None:
    assert client.get("/v1/trace/x").status_code == 401
    assert client.get("/v1/trace/x", headers=auth(Role.OPERATOR)).status_code == 403
    assert client.get("/v1/trace/x", headers=auth(Role.GUARD_CLIENT)).status_code == 403


def test_queue_metrics_and_readiness_follow_the_writer(
    client: TestClient, runtime: Runtime
) -> None:
    _decide(client, runtime, "traced-3")
    metrics = client.get("/metrics").text
    assert "bastion_trace_queue_depth 0.0" in metrics
    assert "bastion_trace_queue_capacity 8192.0" in metrics
    assert "bastion_trace_dropped_total 0.0" in metrics
    assert "bastion_trace_written_total 1.0" in metrics
    assert "bastion_trace_healthy 1.0" in metrics
    assert client.get("/readyz").json() == {"ready": True, "failing": []}
    assert "trace-writer" in runtime.probes


def test_the_writer_is_closed_on_shutdown(traced: ServerConfig, runtime: Runtime) -> None:
    from bastion.trace import TraceReader

    with TestClient(create_app(traced, runtime=runtime, freeze_gc=False)) as client:
        _decide(client, runtime, "traced-4")
        assert TraceReader(traced.trace.directory).segments() == []  # type: ignore[union-attr]
    # Closing sealed the open segment.
    sealed = TraceReader(traced.trace.directory).segments()  # type: ignore[union-attr]
    assert len(sealed) == 1
    assert TraceReader(traced.trace.directory).explain("traced-4").request_id == "traced-4"  # type: ignore[union-attr]


def test_without_a_log_traces_are_404(client: TestClient) -> None:
    with TestClient(create_app(make_config(), freeze_gc=False)) as plain:
        response = plain.get("/v1/trace/x", headers=AUDITOR)
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "this server keeps no decision log"
