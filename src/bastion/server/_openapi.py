"""The OpenAPI document: FastAPI's own, plus what the hot endpoint declares by hand.

The guard endpoint reads its raw body (see :mod:`bastion.server._wire`), so
FastAPI cannot see its request or response types. Their JSON schemas come from
the same msgspec structs that decode and encode them, and are merged into the
document's components here.
"""

from __future__ import annotations

from typing import Any

import msgspec

from bastion.server._wire import GuardRequestBody, GuardResponseBody

REF = "#/components/schemas/{name}"
SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: Authorization: Bearer <key>.",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The same API key in the X-API-Key header.",
    },
}
KEY_REQUIRED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]

_USER_SCHEMA: dict[str, Any] = {
    "title": "UserContext",
    "description": (
        "Policy-relevant facts about the user; never raw identity. Other keys are "
        "user attributes a bundle may read as user.<key>."
    ),
    "type": "object",
    "properties": {
        "user_id": {"type": "string", "description": "A pseudonymous id."},
        "age_band": {"anyOf": [{"type": "string"}, {"type": "null"}], "examples": ["13-17"]},
        "region": {"anyOf": [{"type": "string"}, {"type": "null"}], "examples": ["US"]},
    },
    "additionalProperties": {
        "anyOf": [
            {"type": "string"},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
        ]
    },
}


def wire_schemas() -> dict[str, Any]:
    """JSON schemas of the guard request and response, keyed by component name."""
    _, components = msgspec.json.schema_components(
        (GuardRequestBody, GuardResponseBody), ref_template=REF
    )
    request = components["GuardRequestBody"]
    request["properties"]["user"] = {"$ref": REF.format(name="UserContext")}
    request["properties"]["slate_size"]["minimum"] = 1
    request["properties"]["slate_size"]["description"] = "How many items to serve (at least 1)."
    request["properties"]["candidates"]["description"] = (
        "The ranked candidates; item ids must be unique and scores finite. "
        "The server's limits.max_candidates bounds their number (413 beyond it)."
    )
    components["UserContext"] = _USER_SCHEMA
    return dict(components)


def merge_wire_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """Add the wire schemas and security schemes to a FastAPI document."""
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).update(wire_schemas())
    components["securitySchemes"] = SECURITY_SCHEMES
    return document
