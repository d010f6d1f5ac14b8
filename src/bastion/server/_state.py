"""What every route of one app shares: config, keys, metrics, and the runtime once started."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from bastion.server._auth import KeyRing, Principal, Role
from bastion.server._config import ServerConfig
from bastion.server._errors import ApiError
from bastion.server._metrics import ServerMetrics
from bastion.server._runtime import Runtime


@dataclass
class ServerState:
    """One app's shared state.

    Attributes:
        config: The configuration the app was made from.
        keys: The API keys it accepts.
        metrics: Its metrics registry.
        runtime: The guard and its parts; ``None`` until start-up has run.
    """

    config: ServerConfig
    keys: KeyRing
    metrics: ServerMetrics
    runtime: Runtime | None = None

    def require_runtime(self) -> Runtime:
        """The runtime, or a 503 while the server is not started."""
        runtime = self.runtime
        if runtime is None:
            raise ApiError(503, "unavailable", "the guard is not loaded yet")
        return runtime

    def requires(self, role: Role) -> Callable[[Request], Principal]:
        """A FastAPI dependency that admits keys holding *role* (401 / 403 otherwise)."""

        def authorize(request: Request) -> Principal:
            return self.keys.authorize(request.headers, role)

        return authorize
