"""``POST /v1/policy/reload``: swap the active policy bundle without a restart.

The body names the bundle: nothing (re-read the configured file), ``path`` (a
file inside the policy directory) or ``yaml`` (the bundle's text). A bundle
that does not load is refused with 422 and its file, line, rule and field; the
guard keeps serving the last good bundle.
"""

# No `from __future__ import annotations`: FastAPI must resolve the
# dependencies in these signatures, which name a local of the router factory.

import logging
import threading
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bastion.core import PolicyError
from bastion.policy import Bundle, load_bundle, parse_bundle
from bastion.server._auth import Principal, Role
from bastion.server._errors import ApiError, ErrorBody
from bastion.server._openapi import KEY_REQUIRED
from bastion.server._state import ServerState

logger = logging.getLogger(__name__)

INLINE_SOURCE = "<request>"


class ReloadRequest(BaseModel):
    """Which bundle to load; an empty body re-reads the configured file."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(
        default=None,
        description="A bundle file inside the server's policy directory (relative to it).",
    )
    yaml: str | None = Field(default=None, description="A bundle's YAML text.")

    @model_validator(mode="after")
    def _one_source(self) -> "ReloadRequest":
        if self.path is not None and self.yaml is not None:
            raise ValueError("give either path or yaml, not both")
        return self


class ReloadResult(BaseModel):
    """The bundle now active."""

    name: str = Field(description="The bundle's name.")
    version: str = Field(description="The bundle's version hash.")
    previous_version: str = Field(description="The version it replaced.")
    rules: int = Field(description="How many rules it has.")
    source: str = Field(description="Where it was read from.")


def policy_router(state: ServerState) -> APIRouter:
    """The reload endpoint, bound to *state*."""
    router = APIRouter(tags=["policy"])
    one_at_a_time = threading.Lock()  # two reloads must not race on breaker carry-over
    errors = {
        400: {"model": ErrorBody, "description": "The body is not JSON."},
        401: {"model": ErrorBody, "description": "No API key, or an unknown one."},
        403: {"model": ErrorBody, "description": "The key lacks the operator role."},
        409: {"model": ErrorBody, "description": "Several worker processes run."},
        413: {"model": ErrorBody, "description": "The body is over the server's limit."},
        422: {
            "model": ErrorBody,
            "description": "The bundle is invalid (file, line, rule, field); the old one stays.",
        },
    }

    @router.post(
        "/v1/policy/reload",
        summary="Reload the policy bundle",
        response_model=ReloadResult,
        responses={**errors},  # type: ignore[dict-item]
        openapi_extra={"security": KEY_REQUIRED},
    )
    def reload(
        principal: Annotated[Principal, Depends(state.requires(Role.OPERATOR))],
        body: Annotated[ReloadRequest | None, Body()] = None,
    ) -> ReloadResult:
        """Load a bundle and make it active; needs a key with the ``operator`` role."""
        if state.config.workers > 1:
            raise ApiError(
                409,
                "conflict",
                f"this server runs {state.config.workers} worker processes and a reload "
                "would reach one of them; send SIGHUP to the server process to restart "
                "every worker with the bundle on disk",
            )
        guard = state.require_runtime().guard
        request = body or ReloadRequest()
        with one_at_a_time:
            previous = guard.policy_version
            try:
                bundle, source = _load(state, request)
                guard.reload(bundle)
            except PolicyError:
                state.metrics.reloads.labels("refused").inc()
                raise
        state.metrics.reloads.labels("ok").inc()
        logger.info(
            "%s reloaded policy %s %s from %s",
            principal.name,
            bundle.name,
            bundle.short_version,
            source,
        )
        return ReloadResult(
            name=bundle.name,
            version=bundle.version,
            previous_version=previous,
            rules=len(bundle.spec.rules),
            source=source,
        )

    return router


def _load(state: ServerState, request: ReloadRequest) -> tuple[Bundle, str]:
    schema = state.require_runtime().guard.signals.schema
    base = state.config.reload_dir
    if request.yaml is not None:
        return parse_bundle(
            request.yaml, file=INLINE_SOURCE, provided=schema, base_dir=base
        ), INLINE_SOURCE
    path = state.config.policy if request.path is None else _inside(base, request.path)
    return load_bundle(path, schema), str(path)


def _inside(base: Path, name: str) -> Path:
    """*name* resolved against *base*, refused when it leads outside it."""
    root = base.resolve()
    try:
        target = (root / name).resolve()
    except (OSError, ValueError) as error:
        raise ApiError(422, "invalid_request", f"path: {error}") from None
    if not target.is_relative_to(root):
        raise ApiError(422, "invalid_request", "path: must name a file inside the policy directory")
    return target
