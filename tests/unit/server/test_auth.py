"""API keys: minted, stored hashed, checked per role."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import ValidationError

from bastion.server import ApiKey, AuthError, KeyRing, Role, hash_key, mint_key

from .conftest import TestClient, auth


def test_a_minted_key_matches_its_entry() -> None:
    key, entry = mint_key("ranker", [Role.GUARD_CLIENT, Role.AUDITOR])
    assert key.startswith("bst_") and len(key) > 40
    assert entry.sha256 == hashlib.sha256(key.encode()).hexdigest() == hash_key(key)
    assert entry.roles == (Role.GUARD_CLIENT, Role.AUDITOR)
    assert mint_key("ranker", [Role.OPERATOR])[0] != key


def test_keyring_authenticates_and_authorises() -> None:
    key, entry = mint_key("ranker", [Role.GUARD_CLIENT])
    ring = KeyRing([entry, mint_key("other", [Role.OPERATOR])[1]])
    assert ring.authenticate({"authorization": f"Bearer {key}"}).name == "ranker"
    assert ring.authenticate({"authorization": f"bearer  {key} "}).name == "ranker"
    assert ring.authenticate({"x-api-key": key}).roles == frozenset({Role.GUARD_CLIENT})
    assert ring.authorize({"x-api-key": key}, Role.GUARD_CLIENT).name == "ranker"
    for headers, status in (
        ({}, 401),
        ({"authorization": "Bearer "}, 401),
        ({"authorization": f"Basic {key}"}, 401),
        ({"x-api-key": key + "x"}, 401),
        ({"x-api-key": entry.sha256}, 401),  # the stored hash is not a key
    ):
        with pytest.raises(AuthError) as raised:
            ring.authorize(headers, Role.GUARD_CLIENT)
        assert raised.value.status == status
        assert key not in raised.value.message
    with pytest.raises(AuthError) as raised:
        ring.authorize({"x-api-key": key}, Role.OPERATOR)
    assert raised.value.status == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sha256", "abc", "64 hex digits"),
        ("sha256", "g" * 64, "64 hex digits"),
        ("roles", [], "at least 1"),
        ("roles", ["admin"], "guard-client"),
    ],
)
def test_bad_key_entries_are_refused(field: str, value: object, message: str) -> None:
    data = {"name": "x", "sha256": "a" * 64, "roles": ["operator"], field: value}
    with pytest.raises(ValidationError, match=message):
        ApiKey.model_validate(data)


def test_upper_case_digests_are_accepted() -> None:
    assert ApiKey(name="x", sha256="A" * 64, roles=(Role.AUDITOR,)).sha256 == "a" * 64


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("post", "/v1/guard", Role.GUARD_CLIENT),
        ("post", "/v1/policy/reload", Role.OPERATOR),
        ("get", "/v1/trace/some-request", Role.AUDITOR),
    ],
)
def test_every_protected_endpoint_checks_its_role(
    client: TestClient, method: str, path: str, role: Role
) -> None:
    call = getattr(client, method)
    assert call(path).status_code == 401
    assert call(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    for other in Role:
        status = call(path, headers=auth(other)).status_code
        assert (status == 403) == (other is not role), (other, status)
