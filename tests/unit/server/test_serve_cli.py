"""``bastion serve``: help, key minting, the OpenAPI document, and clear start-up errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bastion.cli import app
from bastion.server import Role, app_from_environment, hash_key, openapi_document

from .conftest import TestClient, auth, settings

runner = CliRunner()


def test_help_explains_config_and_environment() -> None:
    result = runner.invoke(app, ["serve", "--help"], terminal_width=120)
    assert result.exit_code == 0
    for text in ("--config", "BASTION_CONFIG", "BASTION_PORT", "__", "keygen", "--openapi"):
        assert text in result.output


def test_keygen_prints_a_key_and_its_entry() -> None:
    result = runner.invoke(
        app, ["serve", "keygen", "--name", "ranker", "--role", "guard-client", "--role", "auditor"]
    )
    assert result.exit_code == 0, result.output
    key = re.search(r"\b(bst_\S+)", result.output)
    digest = re.search(r"sha256: ([0-9a-f]{64})", result.output)
    assert key and digest and digest.group(1) == hash_key(key.group(1))
    assert "roles: [guard-client, auditor]" in result.output


def test_keygen_names_the_key_after_its_roles_by_default() -> None:
    result = runner.invoke(app, ["serve", "keygen", "--role", "operator"])
    assert result.exit_code == 0, result.output
    assert '- name: "operator"' in result.output and "roles: [operator]" in result.output


def test_keygen_refuses_unknown_roles() -> None:
    result = runner.invoke(app, ["serve", "keygen", "--name", "x", "--role", "admin"])
    assert result.exit_code == 2
    assert runner.invoke(app, ["serve", "keygen"]).exit_code == 2  # a role is required


def test_openapi_flag_prints_the_document() -> None:
    result = runner.invoke(app, ["serve", "--openapi"])
    assert result.exit_code == 0
    assert json.loads(result.output) == openapi_document()


def test_start_up_errors_are_clear(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve"], env={"BASTION_CONFIG": ""})
    assert result.exit_code == 1 and "give the server config with --config" in result.output
    config = tmp_path / "server.yaml"
    config.write_text("policy: missing.yaml\nsignals: {items: missing.jsonl}\n")
    result = runner.invoke(app, ["serve", "--config", str(config)])
    assert result.exit_code == 1 and "missing.jsonl" in result.output
    config.write_text("policy: missing.yaml\nport: nope\n")
    result = runner.invoke(app, ["serve", "--config", str(config)])
    assert result.exit_code == 1 and "port: Input should be a valid integer" in result.output


def test_worker_processes_build_their_app_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With workers > 1, uvicorn calls this factory in each worker process.
    config = tmp_path / "server.yaml"
    config.write_text(json.dumps(settings()))
    monkeypatch.setenv("BASTION_CONFIG", str(config))
    monkeypatch.setenv("BASTION_WORKERS", "2")
    with TestClient(app_from_environment()) as client:
        assert client.get("/readyz").json() == {"ready": True, "failing": []}
        response = client.post("/v1/policy/reload", headers=auth(Role.OPERATOR))
        assert response.status_code == 409  # the config it read says two workers
