"""POST /v1/guard: the answer, and a clear 4xx for every kind of bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from bastion.cli._guard import result_to_json
from bastion.core import GuardRequest, RequestError
from bastion.guard import Guard
from bastion.server import Role, create_app
from bastion.stores import MemorySignalStore, load_signals

from .conftest import CREATORS, ELECTION, ITEMS, REQUEST, TestClient, auth, make_config
from .test_wire import bodies

GUARD = auth(Role.GUARD_CLIENT)


def _error(response: object, status: int) -> str:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"]["status"] == status
    message: str = body["error"]["message"]
    return message


def test_answers_like_the_cli(client: TestClient) -> None:
    data = json.loads(REQUEST.read_text())
    response = client.post("/v1/guard", json=data, headers=GUARD)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    store = MemorySignalStore()
    load_signals(store, ITEMS, entity="item")
    load_signals(store, CREATORS, entity="creator")
    expected = result_to_json(Guard.from_file(ELECTION, store).apply(GuardRequest.from_dict(data)))
    answer = response.json()
    assert answer.pop("latency_us") > 0
    expected.pop("latency_us")
    assert answer == expected
    assert answer["slate"] == ["v2", "v4", "v5", "v7"]


def test_x_api_key_header_works_too(client: TestClient) -> None:
    from .conftest import KEYS

    response = client.post(
        "/v1/guard",
        content=REQUEST.read_bytes(),
        headers={"X-API-Key": KEYS[Role.GUARD_CLIENT]},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 400, "request body: not valid JSON"),
        (b'{"request_id": ', 400, "request body: not valid JSON"),
        (b"\xff\xfe", 400, "not valid JSON"),
        (b'"just a string"', 422, "request: expected a JSON object"),
        (b'{"request_id": "r", "slate_size": "5", "candidates": []}', 422, "request.slate_size"),
        (
            b'{"request_id": "r", "slate_size": 5, "candidates": [{"item_id": "a", "score": "high"}]}',
            422,
            "request.candidates[0].score: expected float (a number), got 'high'",
        ),
        (
            b'{"request_id": "r", "slate_size": 5, "candidates": [{"item_id": "a", "score": 1}, {"item_id": "a", "score": 0}]}',
            422,
            "duplicate item id 'a' at candidates 0 and 1",
        ),
        (
            b'{"request_id": "r", "slate_size": 0, "candidates": []}',
            422,
            "slate_size must be at least 1",
        ),
        (
            b'{"request_id": "r", "slate_size": 1, "candidates": [], "extra": 1}',
            422,
            "unknown field(s) extra",
        ),
        (
            b'{"request_id": "r", "slate_size": 1, "candidates": [{"item_id": "a", "score": 1, "rank": 100000000000000000000000}]}',
            422,
            "request.candidates[0].rank: 100000000000000000000000 is out of range",
        ),
        (
            b'{"request_id": "r", "slate_size": 1, "user": {"age_band": 17}, "candidates": []}',
            422,
            "request.user.age_band: expected a string or null, got 17",
        ),
    ],
)
def test_bad_requests_get_a_clear_4xx(
    client: TestClient, body: bytes, status: int, message: str
) -> None:
    response = client.post("/v1/guard", content=body, headers=GUARD)
    assert message in _error(response, status)
    # ... and the service is still up.
    assert client.post("/v1/guard", content=REQUEST.read_bytes(), headers=GUARD).status_code == 200


def test_a_body_over_the_limit_is_refused_before_it_is_read(client: TestClient) -> None:
    body = b" " * (50 * 1024 * 1024)
    response = client.post("/v1/guard", content=body, headers=GUARD)
    assert "over the limit of 4194304 bytes" in _error(response, 413)


def test_a_chunked_body_over_the_limit_is_refused() -> None:
    # No Content-Length: the limit applies while the body streams in (the ASGI-level
    # test in test_limits.py shows that reading stops at the limit).
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * 65_536

    config = make_config(limits={"max_body_bytes": 64 * 1024})
    with TestClient(create_app(config, freeze_gc=False)) as client:
        response = client.post("/v1/guard", content=chunks(), headers=GUARD)
        assert "content-length" not in {k.lower() for k in response.request.headers}
        assert "over the limit of 65536 bytes" in _error(response, 413)


def test_a_hundred_thousand_candidates() -> None:
    candidates = [{"item_id": f"item-{k:08d}", "score": 0.5} for k in range(100_000)]
    body = json.dumps({"request_id": "big", "slate_size": 10, "candidates": candidates}).encode()
    # With the default byte limit (4 MiB) the body alone is too large ...
    with TestClient(create_app(make_config(), freeze_gc=False)) as client:
        assert "over the limit" in _error(
            client.post("/v1/guard", content=body, headers=GUARD), 413
        )
    # ... and with room for the bytes, the candidate limit answers.
    assert len(body) > 4 * 1024 * 1024
    config = make_config(limits={"max_body_bytes": 8 * 1024 * 1024, "max_candidates": 10_000})
    with TestClient(create_app(config, freeze_gc=False)) as client:
        response = client.post("/v1/guard", content=body, headers=GUARD)
        assert "100000 candidates; this server takes at most 10000" in _error(response, 413)


def test_unauthenticated_and_unauthorised(client: TestClient) -> None:
    body = REQUEST.read_bytes()
    response = client.post("/v1/guard", content=body)
    assert "API key is required" in _error(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert "unknown API key" in _error(
        client.post("/v1/guard", content=body, headers={"Authorization": "Bearer nope"}), 401
    )
    assert "lacks the 'guard-client' role" in _error(
        client.post("/v1/guard", content=body, headers=auth(Role.OPERATOR)), 403
    )


def test_the_threadpool_mode_answers_the_same() -> None:
    config = make_config(guard_threadpool=True)
    with TestClient(create_app(config, freeze_gc=False)) as client:
        response = client.post("/v1/guard", content=REQUEST.read_bytes(), headers=GUARD)
        assert response.status_code == 200
        assert response.json()["slate"] == ["v2", "v4", "v5", "v7"]


@pytest.fixture(scope="module")
def fuzz_client() -> Iterator[TestClient]:
    with TestClient(create_app(make_config(), freeze_gc=False)) as test_client:
        yield test_client


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=bodies())
def test_generated_bodies_never_get_a_5xx(fuzz_client: TestClient, data: object) -> None:
    body = json.dumps(data).encode()
    response = fuzz_client.post("/v1/guard", content=body, headers=GUARD)
    assert response.status_code in (200, 422), response.text
    error = None if response.status_code == 200 else response.json()["error"]["message"]
    try:
        request = GuardRequest.from_dict(json.loads(body))
    except RequestError as refused:
        assert error == str(refused)  # the same words as from_dict
        return
    if error is not None and "out of range" in error:
        return  # from_dict takes it, the server refuses a rank or size past 32 bits
    try:
        expected = result_to_json(_REFERENCE.apply(request))
    except RequestError as refused:
        assert error == str(refused), "the guard refuses it, so must the server, in its words"
        return
    assert error is None, error
    answer = response.json()
    for result in (answer, expected):
        result.pop("latency_us")
    assert answer == expected


def _reference_guard() -> Guard:
    store = MemorySignalStore()
    load_signals(store, ITEMS, entity="item")
    load_signals(store, CREATORS, entity="creator")
    return Guard.from_file(ELECTION, store)


_REFERENCE = _reference_guard()
