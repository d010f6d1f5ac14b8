"""The app factory: one FastAPI app per config, wired in one place."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry
from starlette.types import Receive, Scope, Send

from bastion import __version__
from bastion.core import BreakerState
from bastion.server._auth import KeyRing
from bastion.server._config import CONFIG_ENV, ServerConfig
from bastion.server._errors import api_error, error_response, install_error_handlers
from bastion.server._fast_guard import GuardFastPath
from bastion.server._guard_api import guard_router
from bastion.server._limits import BodyLimitMiddleware
from bastion.server._lineage_api import lineage_router
from bastion.server._live import FeedMetrics, LiveFeed
from bastion.server._metrics import ServerMetrics, StateCollector, TimingMiddleware
from bastion.server._openapi import merge_wire_schemas
from bastion.server._ops import ops_router
from bastion.server._policy_api import policy_router
from bastion.server._runtime import Probe, Runtime
from bastion.server._state import ServerState
from bastion.server._trace_api import trace_router
from bastion.server._web_api import console_router, web_router
from bastion.web import DashboardData

logger = logging.getLogger(__name__)

DESCRIPTION = """\
The Bastion guard over HTTP: `POST /v1/guard` takes a ranked slate and answers
the safe slate with a decision and its reasons for every candidate.

Send an API key as `Authorization: Bearer <key>` (or `X-API-Key`). Roles:
`guard-client` calls the guard, `operator` reloads policies, `auditor` reads
the decision log. Errors are `{"error": {"status", "type", "message"}}`.
"""


class _BastionAPI(FastAPI):
    """FastAPI, with the hot endpoint answered ahead of its stack and documented by hand.

    ``fast_guard``, once set, answers ``POST /v1/guard`` before FastAPI's
    middleware and router see the request (:mod:`bastion.server._fast_guard`).
    """

    fast_guard: GuardFastPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast = self.fast_guard
        if fast is not None and fast.handles(scope):
            await fast(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = merge_wire_schemas(super().openapi())
        return self.openapi_schema


def create_app(
    config: ServerConfig,
    *,
    runtime: Runtime | None = None,
    probes: Mapping[str, Probe] | None = None,
    registry: CollectorRegistry | None = None,
    freeze_gc: bool = True,
) -> FastAPI:
    """Build the HTTP app for *config*.

    Nothing is loaded until the app starts (its lifespan): then the signal
    store is opened, the bundle loaded, the decision log writer started, and
    ``gc.freeze()`` moves everything loaded so far out of the collector's
    reach (it cut p99 from 25-30 ms to under 4 ms: a full collection over the
    loaded store stalled requests). On shutdown the writer is flushed and
    closed.

    Args:
        config: The server configuration.
        runtime: Parts built elsewhere (tests, embedding); by default they are
            built from *config* at start-up. The app starts and closes it.
        probes: Extra named readiness probes.
        registry: The Prometheus registry to use; a new one by default.
        freeze_gc: Call ``gc.freeze()`` once started.
    """
    dashboard = config.dashboard
    feed = LiveFeed(
        breakers=lambda: _breakers(state),
        policy=lambda: _policy(state),
        interval_s=dashboard.live_interval_s,
        history=dashboard.history,
        recent=dashboard.recent,
    )
    metrics = FeedMetrics(registry, feed) if dashboard.enabled else ServerMetrics(registry)
    state = ServerState(config=config, keys=KeyRing(config.auth.keys), metrics=metrics)
    opened: dict[str, Any] = {}  # the registry store and the LLM gateway, while running

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started = runtime or Runtime.build(config)
        started.probes.update(probes or {})
        started.start()
        state.runtime = started
        if config.govern is not None:
            from bastion.govern import open_store

            opened["registry"] = open_store(config.govern.store)
        if config.gateway is not None:
            from bastion.llm import Gateway, GatewayConfig
            from bastion.server._gateway_api import check_mountable

            gateway = Gateway(GatewayConfig.from_file(config.gateway), sink=started.writer)
            check_mountable(gateway)  # the upstream needs its own key
            opened["llm"] = gateway
        if not state.keys:
            logger.warning("no API keys are configured: every authenticated endpoint answers 401")
        logger.info("bastion server ready: %s", dict(started.describe()))
        if freeze_gc:
            gc.collect()
            gc.freeze()
        if dashboard.enabled:
            feed.start()
        try:
            yield
        finally:
            await feed.stop()
            if "llm" in opened:
                await opened.pop("llm").aclose()
            state.runtime = None
            started.close()
            if "registry" in opened:
                opened.pop("registry").close()
            if freeze_gc:
                gc.unfreeze()

    app = _BastionAPI(
        title="Bastion",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    metrics.registry.register(
        StateCollector(
            breakers=lambda: _breakers(state),
            policy=lambda: _policy(state),
            writer_stats=lambda: None if state.runtime is None else state.runtime.writer_stats(),
        )
    )
    install_error_handlers(app)

    async def on_unexpected(request: Request, error: Exception) -> Response:
        answer = api_error(error)
        return error_response(answer.status, answer.kind, answer.message)

    app.add_exception_handler(Exception, on_unexpected)
    app.include_router(guard_router(state, threadpool=config.guard_threadpool))
    app.fast_guard = GuardFastPath(state, threadpool=config.guard_threadpool)
    app.include_router(policy_router(state))
    app.include_router(trace_router(state))
    app.include_router(ops_router(state))
    policy_dir = config.govern.policy_dir if config.govern is not None else None
    app.include_router(lineage_router(state, lambda: opened.get("registry"), policy_dir=policy_dir))
    if config.gateway is not None:
        # The gateway and its detectors load only for a server that mounts it.
        from bastion.server._gateway_api import gateway_api_router

        app.include_router(
            gateway_api_router(
                state, lambda: opened.get("llm"), max_body_bytes=config.limits.max_body_bytes
            )
        )
    if dashboard.enabled:
        app.include_router(web_router(state, feed, DashboardData(dashboard)))
        app.state.live_feed = feed  # `bastion serve` ends its streams when asked to stop
        app.include_router(console_router())
    app.add_middleware(BodyLimitMiddleware, max_bytes=config.limits.max_body_bytes)
    app.add_middleware(TimingMiddleware, metrics=metrics)
    return app


def openapi_document() -> dict[str, Any]:
    """The service's OpenAPI document, as committed in ``docs/openapi.json``.

    Regenerate that file with ``bastion serve --openapi > docs/openapi.json``.
    """
    return create_app(ServerConfig(policy=Path("policy.yaml"))).openapi()


def app_from_environment() -> FastAPI:
    """The app for the config file ``BASTION_CONFIG`` names (a uvicorn factory).

    Used for ``workers > 1``, where each worker process builds its own app.
    """
    return create_app(ServerConfig.from_file(os.environ[CONFIG_ENV]))


def _breakers(state: ServerState) -> tuple[BreakerState, ...]:
    runtime = state.runtime
    return () if runtime is None else runtime.guard.breaker_states()


def _policy(state: ServerState) -> tuple[str, str] | None:
    runtime = state.runtime
    if runtime is None:
        return None
    return (runtime.guard.bundle.name, runtime.guard.policy_version)
