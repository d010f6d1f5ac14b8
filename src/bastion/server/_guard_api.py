"""``POST /v1/guard``: a ranked slate in, the safe slate with a reason per item out.

The hot path, kept lean on purpose: the raw body is decoded by msgspec
(:mod:`bastion.server._wire`) and the answer returned as pre-encoded bytes, so
no pydantic model runs per request (with pydantic request and response models
the same endpoint costs 21-32 ms per 500-candidate request; this way 1-2 ms).

The route documents the endpoint; in a running app the same steps are taken
ahead of FastAPI's middleware and router by :mod:`bastion.server._fast_guard`
(the route answers only where that path is turned off).

``Guard.apply`` runs inline on the event loop: it is CPU-bound (about 0.4 ms
for 500 candidates) and holds the GIL, so a thread pool cannot run two of
them at once and only adds a hand-off to each request.
``benchmarks/serve_latency.py --threadpool`` measures the difference.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bastion.server._errors import ErrorBody
from bastion.server._fast_guard import guard_answer
from bastion.server._openapi import KEY_REQUIRED, REF
from bastion.server._state import ServerState
from bastion.server._wire import JSON_MEDIA_TYPE

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "The body is not JSON."),
        (401, "No API key, or an unknown one."),
        (403, "The key lacks the guard-client role."),
        (413, "The body or the number of candidates is over the server's limits."),
        (422, "A field is missing or has the wrong type; the message names it."),
        (503, "The signal store cannot answer, or the server is starting."),
    )
}


def guard_router(state: ServerState, *, threadpool: bool = False) -> APIRouter:
    """The guard endpoint, bound to *state*.

    Args:
        state: The app's shared state.
        threadpool: Run ``Guard.apply`` in the thread pool instead of inline.
    """
    router = APIRouter(tags=["guard"])

    @router.post(
        "/v1/guard",
        summary="Make a ranked slate safe",
        response_class=Response,
        responses={
            200: {
                "description": "The safe slate and a decision for every candidate.",
                "content": {
                    JSON_MEDIA_TYPE: {"schema": {"$ref": REF.format(name="GuardResponseBody")}}
                },
            },
            **_ERRORS,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    JSON_MEDIA_TYPE: {"schema": {"$ref": REF.format(name="GuardRequestBody")}}
                },
            },
            "security": KEY_REQUIRED,
        },
    )
    async def guard(request: Request) -> Response:
        """Apply the active policy bundle to one ranked slate.

        Needs a key with the ``guard-client`` role. The body is a guard
        request (``request_id``, ``slate_size``, ``candidates`` with
        ``item_id`` and ``score``, optional ``user``, ``surface``, ``model``);
        the answer has the safe ``slate`` and one decision per candidate with
        the rules that fired.
        """
        answer = await guard_answer(
            state, request.headers, await request.body(), threadpool=threadpool
        )
        return Response(answer, media_type=JSON_MEDIA_TYPE)

    return router
