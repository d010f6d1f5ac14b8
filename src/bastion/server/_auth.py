"""API keys with roles: who may call which endpoint.

A key is a random token shown once when minted (:func:`mint_key`); the server
keeps only its SHA-256 (hex) in the config and compares digests with
:func:`hmac.compare_digest`. Keys carry 256 bits of randomness, so an unsalted
hash is enough: nothing can be guessed from it. Clients send the key as
``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

A missing or unknown key is answered 401, a known key without the role the
endpoint needs 403.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

KEY_PREFIX = "bst_"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class Role(StrEnum):
    """What a key may do."""

    GUARD_CLIENT = "guard-client"
    """May call ``POST /v1/guard``."""
    OPERATOR = "operator"
    """May reload policies (and read metrics when they are not public)."""
    AUDITOR = "auditor"
    """May read the decision log (``GET /v1/trace/...``)."""


class ApiKey(BaseModel):
    """One key's entry in the server config: a name, its SHA-256 and its roles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="Who holds the key, for logs.")
    sha256: str = Field(description="Hex SHA-256 of the key (64 lowercase hex digits).")
    roles: tuple[Role, ...] = Field(min_length=1, description="What the key may do.")

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        value = value.strip().lower()
        if not _HEX64.fullmatch(value):
            raise ValueError(
                "expected the key's SHA-256 as 64 hex digits (bastion serve keygen prints it)"
            )
        return value


def hash_key(key: str) -> str:
    """The hex SHA-256 of *key*, as stored in the config."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def mint_key(name: str, roles: Sequence[Role]) -> tuple[str, ApiKey]:
    """A new random key and the config entry that admits it.

    Returns:
        The key (show it once; it is not stored anywhere) and its entry.
    """
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, ApiKey(name=name, sha256=hash_key(key), roles=tuple(roles))


@dataclass(frozen=True, slots=True)
class Principal:
    """The holder of a key that authenticated."""

    name: str
    roles: frozenset[Role]


class AuthError(Exception):
    """A request is not authorised.

    Attributes:
        status: 401 (no or unknown key) or 403 (the key lacks the role).
        message: What is wrong, without echoing the key.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class KeyRing:
    """The configured keys, checked on each request.

    Args:
        keys: The config entries.
    """

    def __init__(self, keys: Sequence[ApiKey]) -> None:
        self._keys = tuple(
            (key.sha256.encode("ascii"), Principal(key.name, frozenset(key.roles))) for key in keys
        )

    def __len__(self) -> int:
        return len(self._keys)

    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        """The principal whose key *headers* carry.

        Raises:
            AuthError: 401 when no key is given or the key is unknown.
        """
        key = presented_key(headers)
        if key is None:
            raise AuthError(401, "an API key is required (Authorization: Bearer <key>)")
        digest = hash_key(key).encode("ascii")
        found: Principal | None = None
        # Compare with every entry, so the time taken does not say which one matched.
        for stored, principal in self._keys:
            if hmac.compare_digest(digest, stored) and found is None:
                found = principal
        if found is None:
            raise AuthError(401, "unknown API key")
        return found

    def authorize(self, headers: Mapping[str, str], role: Role) -> Principal:
        """The principal whose key *headers* carry, if it holds *role*.

        Raises:
            AuthError: 401 for a missing or unknown key, 403 when the key
                lacks *role*.
        """
        principal = self.authenticate(headers)
        if role not in principal.roles:
            raise AuthError(403, f"this key lacks the {role.value!r} role")
        return principal


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key in ``Authorization: Bearer ...`` or ``X-API-Key``, if any."""
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    key = headers.get("x-api-key")
    if key and key.strip():
        return key.strip()
    return None
