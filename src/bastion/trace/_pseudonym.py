"""Keyed pseudonyms for user ids: the log stores HMACs, never raw ids."""

from __future__ import annotations

import hashlib
import hmac

from bastion.core import BastionError

MIN_KEY_BYTES = 16


class Pseudonymiser:
    """Maps a user id to ``HMAC-SHA256(key, id)`` in hex (first 32 characters).

    The same key gives the same pseudonym, so an auditor holding the key can
    find one user's decisions; without it the log does not reveal who they are.

    Raises:
        BastionError: The key is shorter than 16 bytes.
    """

    def __init__(self, key: str | bytes) -> None:
        raw = key.encode() if isinstance(key, str) else bytes(key)
        if len(raw) < MIN_KEY_BYTES:
            raise BastionError(
                f"trace hmac_key must be at least {MIN_KEY_BYTES} bytes; "
                "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        self._key = raw
        self._cache: dict[str, str] = {}

    def pseudonym(self, user_id: str) -> str:
        """The pseudonym of *user_id*; the empty id stays empty (no user)."""
        if not user_id:
            return ""
        found = self._cache.get(user_id)
        if found is None:
            found = hmac.new(self._key, user_id.encode(), hashlib.sha256).hexdigest()[:32]
            if len(self._cache) < 100_000:
                self._cache[user_id] = found
        return found
