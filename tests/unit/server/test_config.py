"""The server config: YAML file, relative paths, BASTION_* overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.server import ConfigError, ServerConfig, env_overrides

from .conftest import EXAMPLES, settings

KEY = {"name": "k", "sha256": "b" * 64, "roles": ["operator"]}


def test_the_example_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    config = ServerConfig.from_file(EXAMPLES / "server.yaml", environ={})
    assert config.policy == (EXAMPLES / "policies" / "election-misinfo.yaml").absolute()
    assert config.signals.items == (EXAMPLES / "signals" / "items.jsonl").absolute()
    assert config.reload_dir == config.policy.parent
    assert [k.name for k in config.auth.keys] == [
        "example-ranker",
        "example-operator",
        "example-auditor",
    ]
    assert config.trace is None and config.workers == 1 and config.port == 8080


def test_relative_paths_follow_the_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "server.yaml"
    path.write_text("policy: ../p/bundle.yaml\nsignals: {items: items.jsonl}\n")
    config = ServerConfig.from_file(path, environ={})
    assert config.policy == tmp_path / "conf" / ".." / "p" / "bundle.yaml"
    assert config.signals.items == tmp_path / "conf" / "items.jsonl"


def test_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "server.yaml"
    path.write_text("policy: bundle.yaml\nport: 8080\nlimits: {max_candidates: 100}\n")
    environ = {
        "BASTION_PORT": "9001",
        "BASTION_LIMITS__MAX_BODY_BYTES": "2048",
        "BASTION_SIGNALS__ITEMS": "data/items.parquet",
        "BASTION_AUTH__KEYS": '[{"name": "k", "sha256": "'
        + "b" * 64
        + '", "roles": ["operator"]}]',
        "BASTION_TRACE__DIRECTORY": "log",
        "BASTION_TRACE__HMAC_KEY": "s" * 32,
        "BASTION_PROPERTY_EXAMPLES": "5000",  # not a config field: ignored
        "BASTION_CONFIG": "elsewhere.yaml",
        "HOME": "/root",
    }
    config = ServerConfig.from_file(path, environ=environ)
    assert config.port == 9001
    assert config.limits.max_body_bytes == 2048 and config.limits.max_candidates == 100
    assert config.signals.items == tmp_path / "data" / "items.parquet"
    assert config.auth.keys[0].name == "k"
    assert config.trace is not None
    assert config.trace.directory == tmp_path / "log"
    assert config.trace.hmac_key.get_secret_value() == "s" * 32


def test_env_overrides_nest() -> None:
    assert env_overrides({"BASTION_A__B": "1", "BASTION_PORT": "2", "OTHER": "3"}) == {"port": "2"}
    assert env_overrides({"BASTION_SIGNALS__URL": "redis://x", "BASTION_SIGNALS__PREFIX": "p"}) == {
        "signals": {"url": "redis://x", "prefix": "p"}
    }


@pytest.mark.parametrize(
    ("data", "environ", "message"),
    [
        (None, {}, "policy: Field required"),
        ({"port": 70000}, {}, "port: Input should be less than or equal to 65535"),
        ({"nonsense": 1}, {}, "nonsense: Extra inputs are not permitted"),
        ({"auth": {"keys": [{**KEY, "sha256": "x"}]}}, {}, "auth.keys.0.sha256"),
        (
            {},
            {"BASTION_PORT": "eighty"},
            "environment (BASTION_PORT): port: Input should be a valid integer",
        ),
        ({}, {"BASTION_AUTH__KEYS": "[nope"}, "BASTION_AUTH__KEYS: not valid JSON"),
        ({}, {"BASTION_SIGNALS__ITEMZ": "x"}, "signals.itemz: Extra inputs are not permitted"),
        (
            {"workers": 2, "trace": {"directory": "log", "hmac_key": "k" * 32}},
            {},
            "a decision log has one writer per directory",
        ),
    ],
)
def test_errors_name_the_field_and_source(
    data: dict[str, object] | None, environ: dict[str, str], message: str
) -> None:
    full = {} if data is None else settings() | data
    with pytest.raises(ConfigError) as raised:
        ServerConfig.from_mapping(full, environ=environ)
    assert message in str(raised.value)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        ServerConfig.from_file(tmp_path / "missing.yaml", environ={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("policy: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        ServerConfig.from_file(bad, environ={})
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        ServerConfig.from_file(bad, environ={})
