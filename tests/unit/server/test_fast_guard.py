"""The ASGI fast path of POST /v1/guard answers exactly as the FastAPI route does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from bastion.server import Role, create_app

from .conftest import REQUEST, TestClient, auth, make_config
from .test_wire import bodies

GUARD = auth(Role.GUARD_CLIENT)
_COMPARED_HEADERS = ("content-type", "content-length", "www-authenticate", "connection")


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[TestClient, TestClient]]:
    """Two clients over the same config: the fast path on, and off."""
    config = make_config(limits={"max_body_bytes": 64 * 1024, "max_candidates": 50})
    fast_app = create_app(config, freeze_gc=False)
    route_app = create_app(config, freeze_gc=False)
    route_app.fast_guard = None  # type: ignore[attr-defined]
    assert fast_app.fast_guard is not None  # type: ignore[attr-defined]
    with TestClient(fast_app) as fast, TestClient(route_app) as route:
        yield fast, route


def _answer(client: TestClient, body: Any, headers: dict[str, str]) -> tuple[int, dict, Any]:
    response = client.post("/v1/guard", content=body, headers=headers)
    kept = {k: response.headers[k] for k in _COMPARED_HEADERS if k in response.headers}
    assert int(response.headers["content-length"]) == len(response.content)
    answer = response.json()
    if response.status_code == 200:
        del kept["content-length"]  # it counts the digits of latency_us, which varies
    if isinstance(answer, dict):
        answer.pop("latency_us", None)
    return response.status_code, kept, answer


def _too_many() -> bytes:
    candidates = [{"item_id": f"i{k}", "score": 1.0} for k in range(51)]
    return json.dumps({"request_id": "r", "slate_size": 5, "candidates": candidates}).encode()


def _chunks() -> Iterator[bytes]:
    for _ in range(3):
        yield b" " * 40_000


CASES = {
    "good": (REQUEST.read_bytes(), GUARD),
    "no key": (REQUEST.read_bytes(), {}),
    "unknown key": (REQUEST.read_bytes(), {"Authorization": "Bearer nope"}),
    "wrong role": (REQUEST.read_bytes(), auth(Role.AUDITOR)),
    "not JSON": (b'{"request_id": ', GUARD),
    "wrong type": (b'{"request_id": "r", "slate_size": "5", "candidates": []}', GUARD),
    "too many candidates": (_too_many(), GUARD),
    "body over the limit": (b" " * (65 * 1024), GUARD),
    "chunked body over the limit": (None, GUARD),
    "invalid content-length": (b"{}", {**GUARD, "Content-Length": "-3"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_fast_path_answers_as_the_route_does(
    pair: tuple[TestClient, TestClient], case: str
) -> None:
    body, headers = CASES[case]
    fast, route = pair
    if body is None:
        got, expected = _answer(fast, _chunks(), headers), _answer(route, _chunks(), headers)
    else:
        got, expected = _answer(fast, body, headers), _answer(route, body, headers)
    assert got == expected
    status = got[0]
    assert (
        status
        == {
            "good": 200,
            "no key": 401,
            "unknown key": 401,
            "wrong role": 403,
            "not JSON": 400,
            "wrong type": 422,
            "too many candidates": 413,
            "body over the limit": 413,
            "chunked body over the limit": 413,
            "invalid content-length": 400,
        }[case]
    )


def test_the_fast_path_records_the_latency_and_the_decisions(
    pair: tuple[TestClient, TestClient],
) -> None:
    fast, _ = pair

    def count(text: str, series: str) -> float:
        lines = [line for line in text.splitlines() if line.startswith(series)]
        return sum(float(line.rsplit(" ", 1)[1]) for line in lines)

    series = 'bastion_http_request_duration_seconds_count{method="POST",route="/v1/guard"'
    before = fast.get("/metrics").text
    fast.post("/v1/guard", content=REQUEST.read_bytes(), headers=GUARD)
    fast.post("/v1/guard", content=b"nope", headers=GUARD)
    after = fast.get("/metrics").text
    assert count(after, series + ',status="200"}') - count(before, series + ',status="200"}') == 1
    assert count(after, series + ',status="400"}') - count(before, series + ',status="400"}') == 1
    decisions = "bastion_guard_decisions_total"
    assert count(after, decisions) - count(before, decisions) == len(
        json.loads(REQUEST.read_text())["candidates"]
    )


def test_other_methods_go_to_the_app(pair: tuple[TestClient, TestClient]) -> None:
    fast, _ = pair
    response = fast.get("/v1/guard", headers=GUARD)
    assert response.status_code == 405
    assert response.json()["error"]["type"] == "method_not_allowed"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=bodies())
def test_generated_bodies_get_the_same_answer(
    pair: tuple[TestClient, TestClient], data: object
) -> None:
    body = json.dumps(data).encode()
    fast, route = pair
    assert _answer(fast, body, GUARD) == _answer(route, body, GUARD)
