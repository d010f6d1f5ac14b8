"""Errors as HTTP answers: one JSON shape, a status per kind of problem.

Every error body is ``{"error": {"status": ..., "type": ..., "message": ...}}``,
plus ``file``, ``line``, ``rule`` and ``field`` for a refused policy bundle.

| problem | status |
| --- | --- |
| body is not JSON | 400 |
| missing or unknown API key | 401 |
| key without the role | 403 |
| unknown request id in the decision log | 404 |
| a reload while several worker processes run | 409 |
| body over ``limits.max_body_bytes``, more than ``limits.max_candidates`` | 413 |
| a field missing or of the wrong type, an invalid policy bundle | 422 |
| a signal store or decision log that cannot answer | 503 |
| anything unexpected (logged with its traceback) | 500 |
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from bastion.core import BastionError, PolicyError, RequestError, SignalStoreError
from bastion.server._auth import AuthError
from bastion.server._tracing import TraceNotFoundError
from bastion.server._wire import BodyError, TooManyCandidatesError

logger = logging.getLogger(__name__)


class ApiError(HTTPException):
    """An error answered with :data:`status` and the error body.

    Attributes:
        status: The HTTP status.
        kind: A short machine-readable kind (``invalid_request`` ...).
        message: What is wrong.
        details: Extra fields of the error body.
    """

    def __init__(
        self,
        status: int,
        kind: str,
        message: str,
        headers: Mapping[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(status, message, dict(headers) if headers else None)
        self.status = status
        self.kind = kind
        self.message = message
        self.details = details


class ErrorDetail(BaseModel):
    """What went wrong."""

    status: int = Field(description="The HTTP status, repeated.")
    type: str = Field(description="A short machine-readable kind, e.g. invalid_request.")
    message: str = Field(description="What is wrong, naming the field when there is one.")
    file: str | None = Field(default=None, description="Policy errors: the bundle file.")
    line: int | None = Field(default=None, description="Policy errors: the 1-based line.")
    rule: str | None = Field(default=None, description="Policy errors: the rule id.")
    field: str | None = Field(default=None, description="Policy errors: the field of the rule.")


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


def error_response(
    status: int,
    kind: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **details: Any,
) -> Response:
    """A JSON error answer."""
    body = {"status": status, "type": kind, "message": message, **details}
    return Response(
        msgspec.json.encode({"error": body}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def api_error(error: BaseException) -> ApiError:
    """The HTTP answer for a Bastion error (or any other exception: 500)."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, AuthError):
        kind = "unauthorized" if error.status == 401 else "forbidden"
        return ApiError(error.status, kind, error.message)
    if isinstance(error, BodyError):
        return ApiError(400, "malformed_body", str(error))
    if isinstance(error, TooManyCandidatesError):
        return ApiError(413, "too_large", str(error))
    if isinstance(error, RequestError):
        return ApiError(422, "invalid_request", str(error))
    if isinstance(error, PolicyError):
        return ApiError(
            422,
            "invalid_policy",
            error.message,
            file=error.file,
            line=error.line,
            rule=error.rule,
            field=error.field,
        )
    if isinstance(error, TraceNotFoundError):
        return ApiError(404, "not_found", str(error))
    if isinstance(error, SignalStoreError):
        logger.error("signal store failed: %s", error)
        return ApiError(503, "unavailable", f"signal store: {error}")
    if isinstance(error, BastionError):
        logger.error("request failed: %s", error, exc_info=error)
        return ApiError(503, "unavailable", str(error))
    logger.error("unexpected error", exc_info=error)
    return ApiError(500, "internal", "internal error; the server log has the details")


def error_answer(error: ApiError) -> Response:
    """The answer for *error* (a 401 also names the scheme, ``WWW-Authenticate: Bearer``)."""
    headers = dict(error.headers or {})
    if error.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(error.status, error.kind, error.message, headers, **error.details)


_KINDS = {400: "malformed_body", 404: "not_found", 405: "method_not_allowed"}


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error in the shape above."""

    async def on_http_error(request: Request, error: Exception) -> Response:
        if isinstance(error, ApiError):
            return error_answer(error)
        assert isinstance(error, HTTPException)
        kind = _KINDS.get(error.status_code, "http")
        return error_response(error.status_code, kind, str(error.detail), error.headers)

    async def on_bastion_error(request: Request, error: Exception) -> Response:
        return await on_http_error(request, api_error(error))

    async def on_validation_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())) or 'request'}: {e.get('msg', 'invalid')}"
            for e in error.errors()
        )
        return error_response(422, "invalid_request", problems or "invalid request")

    async def on_disconnect(request: Request, error: Exception) -> Response:
        # Nobody is left to answer; not a server error, so not logged as one.
        logger.debug("client disconnected before sending its whole body")
        return error_response(400, "malformed_body", "the client disconnected")

    app.add_exception_handler(ClientDisconnect, on_disconnect)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(BastionError, on_bastion_error)
    app.add_exception_handler(AuthError, on_bastion_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
