"""The body limit at the ASGI level: refused before reading, and reading stops at the limit."""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from bastion.server._errors import ApiError, error_response
from bastion.server._limits import BodyLimitMiddleware


async def _reads_everything(scope: Scope, receive: Receive, send: Send) -> None:
    try:
        body = await Request(scope, receive).body()
    except ApiError as error:
        await error_response(error.status, error.kind, error.message)(scope, receive, send)
        return
    await error_response(200, "ok", f"{len(body)} bytes")(scope, receive, send)


def _call(
    headers: list[tuple[bytes, bytes]], chunks: int, chunk: int
) -> tuple[int, dict[str, object], int]:
    app = BodyLimitMiddleware(_reads_everything, max_bytes=1000)
    received = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b"x" * chunk, "more_body": received < chunks}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}
    asyncio.run(app(scope, receive, send))
    status = sent[0]["status"]
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    return status, body, received


def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    status, body, received = _call([(b"content-length", b"52428800")], chunks=10**6, chunk=50)
    assert status == 413 and received == 0
    assert body["error"]["message"] == "request body: over the limit of 1000 bytes"


def test_a_streamed_body_stops_being_read_at_the_limit() -> None:
    status, body, received = _call([], chunks=10**6, chunk=300)
    assert status == 413
    assert received == 4  # 1,200 bytes: the first chunk past the limit
    assert body["error"]["type"] == "too_large"


def test_a_body_within_the_limit_passes() -> None:
    status, body, received = _call([(b"content-length", b"1000")], chunks=4, chunk=250)
    assert status == 200 and received == 4
    assert body["error"]["message"] == "1000 bytes"


def test_a_malformed_content_length_is_a_400() -> None:
    status, body, _ = _call([(b"content-length", b"-5")], chunks=1, chunk=1)
    assert status == 400 and body["error"]["message"] == "invalid Content-Length"
