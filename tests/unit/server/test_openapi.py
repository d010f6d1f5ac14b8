"""The committed OpenAPI document is the one the app serves."""

from __future__ import annotations

import json
from pathlib import Path

from bastion.server import openapi_document

from .conftest import TestClient

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
REGENERATE = "bastion serve --openapi > docs/openapi.json"


def test_the_committed_document_is_current() -> None:
    committed = json.loads(DOCUMENT.read_text())
    assert committed == openapi_document(), f"docs/openapi.json is stale; run: {REGENERATE}"


def test_the_app_serves_the_same_document(client: TestClient) -> None:
    assert client.get("/openapi.json").json() == openapi_document()


def test_the_hot_endpoint_documents_its_bodies_and_security() -> None:
    document = openapi_document()
    operation = document["paths"]["/v1/guard"]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    assert request == {"$ref": "#/components/schemas/GuardRequestBody"}
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/GuardResponseBody"}
    schemas = document["components"]["schemas"]
    body = schemas["GuardRequestBody"]
    assert set(body["required"]) == {"request_id", "slate_size", "candidates"}
    assert body["properties"]["user"] == {"$ref": "#/components/schemas/UserContext"}
    assert set(schemas["CandidateBody"]["properties"]) == {
        "item_id",
        "score",
        "rank",
        "creator_id",
        "attributions",
    }
    assert operation["security"] == [{"bearer": []}, {"apiKey": []}]
    assert {"401", "403", "413", "422"} <= set(operation["responses"])
    assert set(document["components"]["securitySchemes"]) == {"bearer", "apiKey"}


def test_every_endpoint_is_documented() -> None:
    paths = openapi_document()["paths"]
    assert {
        ("post", "/v1/guard"),
        ("post", "/v1/policy/reload"),
        ("get", "/v1/trace/{request_id}"),
        ("get", "/metrics"),
        ("get", "/healthz"),
        ("get", "/readyz"),
    } <= {(method, path) for path, item in paths.items() for method in item}
