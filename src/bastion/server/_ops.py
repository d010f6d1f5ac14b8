"""Operational endpoints: ``/healthz``, ``/readyz`` and ``/metrics``.

``/healthz`` answers 200 while the process runs. ``/readyz`` answers 200 when
the guard is loaded and every readiness probe passes (the decision log
writer's health, the signal store's ``healthy()`` when it has one, and any
probe given to :func:`~bastion.server.create_app`), and 503 with the names of
the failing probes otherwise. Neither needs a key. ``/metrics`` needs an
operator key unless ``auth.metrics`` is ``public`` (the default: it holds
aggregate counts only).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from bastion.server._auth import Role
from bastion.server._errors import ErrorBody
from bastion.server._metrics import CONTENT_TYPE
from bastion.server._openapi import KEY_REQUIRED
from bastion.server._state import ServerState


class Health(BaseModel):
    """The process is alive."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Whether the server can take traffic, and which probes say it cannot."""

    ready: bool
    failing: Annotated[list[str], Field(description="Names of the failing probes.")]


def ops_router(state: ServerState) -> APIRouter:
    """The health, readiness and metrics endpoints, bound to *state*."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness", response_model=Health)
    async def healthz() -> Health:
        """200 while the process runs."""
        return Health()

    @router.get(
        "/readyz",
        summary="Readiness",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Not ready; see failing."}},
    )
    def readyz() -> Response:
        """200 when the guard is loaded and every probe passes, else 503."""
        runtime = state.runtime
        failing = ["guard"] if runtime is None else runtime.failing_probes()
        body = Readiness(ready=not failing, failing=failing)
        status = 503 if failing else 200
        return Response(body.model_dump_json(), status_code=status, media_type="application/json")

    metrics_open = state.config.auth.metrics == "public"

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={
            200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}},
            401: {"model": ErrorBody, "description": "Metrics need an operator key here."},
            403: {"model": ErrorBody, "description": "The key lacks the operator role."},
        },
        openapi_extra={"security": [{}, *KEY_REQUIRED]},
    )
    def metrics(request: Request) -> Response:
        """The Prometheus text format.

        Needs an operator key when ``auth.metrics`` is ``operator``; open otherwise.
        """
        if not metrics_open:
            state.keys.authorize(request.headers, Role.OPERATOR)
        return Response(state.metrics.render(), media_type=CONTENT_TYPE)

    return router
