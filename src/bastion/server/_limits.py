"""A request-body size limit, enforced before and while the body is read.

A declared ``Content-Length`` over the limit is answered 413 before a byte of
the body is read. A body without one (chunked) is counted as it streams in,
and the request fails with 413 as soon as the count passes the limit, so the
server never buffers more than the limit plus one chunk. Both answers carry
``Connection: close``: otherwise the server would go on reading (and
discarding) the rest of the body to keep the connection alive.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bastion.server._errors import ApiError, error_response

_CLOSE = {"Connection": "close"}


class BodyTooLargeError(ApiError):
    """The request body is over the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "too_large", f"request body: over the limit of {limit} bytes", _CLOSE)


class BodyLimitMiddleware:
    """Refuse request bodies over *max_bytes* (ASGI middleware).

    Args:
        app: The wrapped application.
        max_bytes: The largest body accepted.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await error_response(400, "malformed_body", "invalid Content-Length")(
                        scope, receive, send
                    )
                    return
                if declared > limit:
                    error = BodyTooLargeError(limit)
                    await error_response(413, error.kind, error.message, _CLOSE)(
                        scope, receive, send
                    )
                    return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        await self.app(scope, counted, send)
