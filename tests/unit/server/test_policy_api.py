"""POST /v1/policy/reload: a new bundle goes live; a bad one is refused and the old one stays."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bastion.server import Role, create_app

from .conftest import ELECTION, REQUEST, TestClient, auth, make_config

OPERATOR = auth(Role.OPERATOR)
GUARD = auth(Role.GUARD_CLIENT)

ALLOW_ALL = """\
version: 1
name: allow-all
rules:
  - id: nothing
    when: item.misinfo > 2
    action: block
"""

BAD_FIELD = """\
version: 1
name: broken
rules:
  - id: typo
    when: item.misinfoo > 0.5
    action: block
"""


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    shutil.copy(ELECTION, tmp_path / "active.yaml")
    (tmp_path / "allow-all.yaml").write_text(ALLOW_ALL)
    (tmp_path / "broken.yaml").write_text(BAD_FIELD)
    return tmp_path


@pytest.fixture
def client(policies: Path) -> TestClient:
    config = make_config(policy=str(policies / "active.yaml"))
    with TestClient(create_app(config, freeze_gc=False)) as test_client:
        yield test_client  # type: ignore[misc]


def _slate(client: TestClient) -> list[str]:
    response = client.post("/v1/guard", content=REQUEST.read_bytes(), headers=GUARD)
    assert response.status_code == 200
    slate: list[str] = response.json()["slate"]
    return slate


def test_reload_from_yaml_text_then_back_from_the_configured_file(client: TestClient) -> None:
    before = _slate(client)
    response = client.post("/v1/policy/reload", json={"yaml": ALLOW_ALL}, headers=OPERATOR)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (
        answer["name"] == "allow-all" and answer["source"] == "<request>" and answer["rules"] == 1
    )
    assert answer["previous_version"] != answer["version"]
    assert _slate(client) == ["v1", "v2", "v3", "v4", "v5"]
    # No body: the configured file again.
    response = client.post("/v1/policy/reload", headers=OPERATOR)
    assert response.status_code == 200 and response.json()["name"] == "election-misinfo"
    assert _slate(client) == before


def test_reload_from_a_path_inside_the_policy_directory(client: TestClient) -> None:
    response = client.post("/v1/policy/reload", json={"path": "allow-all.yaml"}, headers=OPERATOR)
    assert response.status_code == 200, response.text
    assert response.json()["source"].endswith("allow-all.yaml")


@pytest.mark.parametrize("source", [{"yaml": BAD_FIELD}, {"path": "broken.yaml"}])
def test_a_bad_bundle_is_refused_with_its_location_and_the_old_one_stays(
    client: TestClient, source: dict[str, str]
) -> None:
    before = _slate(client)
    response = client.post("/v1/policy/reload", json=source, headers=OPERATOR)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "invalid_policy"
    assert error["line"] == 5 and error["rule"] == "typo" and error["field"] == "when"
    assert "unknown field 'item.misinfoo'; did you mean item.misinfo" in error["message"]
    assert (
        error["file"] == "<request>" if "yaml" in source else error["file"].endswith("broken.yaml")
    )
    assert _slate(client) == before
    metrics = client.get("/metrics").text
    assert 'bastion_policy_reloads_total{outcome="refused"} 1.0' in metrics


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"path": "../../etc/passwd"}, "path: must name a file inside the policy directory"),
        ({"path": "/etc/passwd"}, "path: must name a file inside the policy directory"),
        ({"path": "nope.yaml"}, "cannot read the bundle"),
        ({"path": "a", "yaml": "b"}, "give either path or yaml, not both"),
        ({"yaml": "{{{"}, "YAML"),
        ({"yaml": ""}, "a bundle is a YAML mapping"),
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_bad_reload_requests(client: TestClient, body: dict[str, object], message: str) -> None:
    response = client.post("/v1/policy/reload", json=body, headers=OPERATOR)
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]["message"]


def test_reload_needs_the_operator_role(client: TestClient) -> None:
    assert client.post("/v1/policy/reload").status_code == 401
    assert client.post("/v1/policy/reload", headers=GUARD).status_code == 403
    assert client.post("/v1/policy/reload", headers=auth(Role.AUDITOR)).status_code == 403


def test_reload_is_refused_when_several_workers_run(policies: Path) -> None:
    config = make_config(policy=str(policies / "active.yaml"), workers=2)
    with TestClient(create_app(config, freeze_gc=False)) as client:
        response = client.post("/v1/policy/reload", headers=OPERATOR)
        assert response.status_code == 409
        assert "SIGHUP" in response.json()["error"]["message"]
