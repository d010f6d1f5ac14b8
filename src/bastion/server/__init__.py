"""The guard as an HTTP service (FastAPI), with auth, metrics and health checks.

:func:`create_app` builds one app from a :class:`ServerConfig`: ``POST
/v1/guard`` (the hot path: raw body decoded by msgspec, pre-encoded answer),
``POST /v1/policy/reload``, ``GET /v1/trace/{request_id}``, ``GET /metrics``
(Prometheus, in the app's own registry), ``/healthz``, ``/readyz`` and the
OpenAPI document. API keys carry roles (:class:`Role`) and are stored hashed
(:func:`hash_key`, :func:`mint_key`). ``bastion serve`` runs it with uvicorn.
"""

from bastion.server._app import app_from_environment, create_app, openapi_document
from bastion.server._auth import ApiKey, AuthError, KeyRing, Principal, Role, hash_key, mint_key
from bastion.server._config import (
    AuthConfig,
    ConfigError,
    LimitsConfig,
    ServerConfig,
    SharedBreakersConfig,
    SignalsConfig,
    env_overrides,
)
from bastion.server._metrics import ServerMetrics
from bastion.server._runtime import Probe, Runtime
from bastion.server._stores import open_signal_store, register_signal_store, signal_store_names
from bastion.server._wire import decode_guard_request, encode_guard_result

__all__ = [
    "ApiKey",
    "AuthConfig",
    "AuthError",
    "ConfigError",
    "KeyRing",
    "LimitsConfig",
    "Principal",
    "Probe",
    "Role",
    "Runtime",
    "ServerConfig",
    "ServerMetrics",
    "SharedBreakersConfig",
    "SignalsConfig",
    "app_from_environment",
    "create_app",
    "decode_guard_request",
    "encode_guard_result",
    "env_overrides",
    "hash_key",
    "mint_key",
    "open_signal_store",
    "openapi_document",
    "register_signal_store",
    "signal_store_names",
]
