"""``GET /v1/trace/{request_id}``: why a request (or one of its items) was decided so."""

# No `from __future__ import annotations`: FastAPI must resolve the
# dependencies in these signatures, which name a local of the router factory.

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from bastion.server._auth import Principal, Role
from bastion.server._errors import ApiError, ErrorBody
from bastion.server._openapi import KEY_REQUIRED
from bastion.server._state import ServerState
from bastion.server._tracing import Explanation


def trace_router(state: ServerState) -> APIRouter:
    """The trace endpoint, bound to *state*."""
    router = APIRouter(tags=["trace"])

    @router.get(
        "/v1/trace/{request_id}",
        summary="Explain a logged decision",
        response_model=None,
        responses={
            200: {
                "model": Explanation,
                "description": "The explanation (numbers that are not finite are null).",
            },
            401: {"model": ErrorBody, "description": "No API key, or an unknown one."},
            403: {"model": ErrorBody, "description": "The key lacks the auditor role."},
            404: {
                "model": ErrorBody,
                "description": "No such request (or item) in the log, or no log is kept.",
            },
            422: {"model": ErrorBody, "description": "A parameter is invalid."},
        },
        openapi_extra={"security": KEY_REQUIRED},
    )
    def explain(
        request_id: str,
        principal: Annotated[Principal, Depends(state.requires(Role.AUDITOR))],
        item_id: Annotated[
            str | None, Query(description="Explain this item only (one of the candidates).")
        ] = None,
    ) -> JSONResponse:
        """Explain a request from the decision log; needs a key with the ``auditor`` role.

        The answer holds the rules, signals, breaker states and policy version
        that decided the request (or the one item asked about).
        """
        reader = state.require_runtime().reader
        if reader is None:
            raise ApiError(404, "not_found", "this server keeps no decision log")
        explanation = reader.explain(request_id, item_id=item_id)
        return JSONResponse(jsonable_encoder(explanation.to_dict()))

    return router
