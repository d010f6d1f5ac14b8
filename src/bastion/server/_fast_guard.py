"""``POST /v1/guard`` answered straight from ASGI, ahead of FastAPI's middleware and router.

The FastAPI route stays (it documents the endpoint and serves it whenever
this path is not taken), but a request for exactly ``POST /v1/guard`` is
handled here, by the same steps (:func:`guard_answer`): check the key, read
the body within the size limit, decode, apply, count, encode. Skipping
Starlette's middleware stack, request object and router took the median of
a 500-candidate request through the app, called in process, from 1.24 to
1.10 ms; over HTTP the saving was within the noise of the server's CPU per
request (``benchmarks/serve_latency.py`` shows it).

Requests take turns at the decode, apply and encode steps, first come,
first served, one event-loop iteration apart (:mod:`bastion.server._turns`),
unless ``Guard.apply`` runs in the thread pool.

The answers are those of the FastAPI route, errors included: the same
statuses and bodies (:func:`~bastion.server._errors.error_answer`), the same
latency histogram entry (route ``/v1/guard``), 413 with ``Connection: close``
before a byte of an oversized body is read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from bastion.core import GuardRequest, GuardResult
from bastion.server._auth import Role
from bastion.server._errors import ApiError, api_error, error_answer
from bastion.server._limits import BodyTooLargeError
from bastion.server._state import ServerState
from bastion.server._turns import Turns
from bastion.server._wire import decode_guard_request, encode_guard_result

logger = logging.getLogger(__name__)

GUARD_PATH: Final = "/v1/guard"
_HEADERS_200: Final = [(b"content-type", b"application/json")]


class ClientGoneError(Exception):
    """The client disconnected before sending its whole body."""


async def guard_answer(
    state: ServerState, headers: Mapping[str, str], body: bytes, *, threadpool: bool = False
) -> bytes:
    """The JSON answer to one ``POST /v1/guard`` body: the steps both paths take.

    Authorize the caller, decode the body, apply the active bundle (inline, or
    in the thread pool with *threadpool*), count the decisions, encode.

    Raises:
        AuthError: The key is missing, unknown, or lacks the guard-client role.
        BodyError, RequestError, TooManyCandidatesError: The body is refused.
        ApiError: 503 while the server is not started.
    """
    state.keys.authorize(headers, Role.GUARD_CLIENT)
    request = decode_guard_request(body, max_candidates=state.config.limits.max_candidates)
    apply: Callable[[GuardRequest], GuardResult] = state.require_runtime().guard.apply
    result = await run_in_threadpool(apply, request) if threadpool else apply(request)
    state.metrics.observe_result(result)
    return encode_guard_result(result)


class GuardFastPath:
    """The ASGI handler of ``POST /v1/guard`` (see the module's docstring).

    Args:
        state: The app's shared state (keys, limits, metrics, runtime).
        threadpool: Run ``Guard.apply`` in the thread pool instead of inline.
    """

    def __init__(self, state: ServerState, *, threadpool: bool = False) -> None:
        self.state = state
        self.threadpool = threadpool
        self.max_body = state.config.limits.max_body_bytes
        self._histogram = state.metrics.request_seconds
        self._observe_ok: Callable[[float], None] | None = None  # made at the first 200
        self._turns = Turns()

    @staticmethod
    def handles(scope: Scope) -> bool:
        """Whether *scope* is a request this handler answers."""
        if scope["type"] != "http":  # lifespan and websocket scopes have no path
            return False
        path: str = scope["path"]
        method: str = scope["method"]
        return path == GUARD_PATH and method == "POST"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        try:
            payload = await self._answer(scope, receive)
        except ClientGoneError:
            logger.debug("client disconnected before sending its whole body")
            return
        except Exception as error:  # every failure becomes an error answer, never a crash
            answer = api_error(error)
            await error_answer(answer)(scope, receive, send)
            self._histogram.labels("POST", GUARD_PATH, str(answer.status)).observe(
                time.perf_counter() - started
            )
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*_HEADERS_200, (b"content-length", b"%d" % len(payload))],
            }
        )
        await send({"type": "http.response.body", "body": payload})
        if self._observe_ok is None:
            self._observe_ok = self._histogram.labels("POST", GUARD_PATH, "200").observe
        self._observe_ok(time.perf_counter() - started)

    async def _answer(self, scope: Scope, receive: Receive) -> bytes:
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        self._check_declared_length(headers.get("content-length"))
        body = await self._body(receive)
        if self.threadpool:  # the pool's threads take turns at the GIL themselves
            return await guard_answer(self.state, headers, body, threadpool=True)
        async with self._turns.turn():  # first come, first served (bastion.server._turns)
            return await guard_answer(self.state, headers, body)

    def _check_declared_length(self, declared: str | None) -> None:
        if declared is None:
            return
        try:
            length = int(declared)
        except ValueError:
            length = -1
        if length < 0:
            raise ApiError(400, "malformed_body", "invalid Content-Length")
        if length > self.max_body:
            raise BodyTooLargeError(self.max_body)

    async def _body(self, receive: Callable[[], Awaitable[Mapping[str, object]]]) -> bytes:
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGoneError
            chunk = message.get("body", b"")
            assert isinstance(chunk, bytes)
            if chunk:
                received += len(chunk)
                if received > self.max_body:
                    raise BodyTooLargeError(self.max_body)
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
