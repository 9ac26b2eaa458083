"""Configuration: defaults from config.yaml, environment overrides, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services import resolve_encryption_key
from bot.settings import DEFAULT_CONFIG_FILE, ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("TRADEMATE") or name in {"DATABASE_URL", "REDIS_URL", "QDRANT_URL"}:
            monkeypatch.delenv(name)


def test_defaults_come_from_config_yaml() -> None:
    settings = load_settings()
    assert settings.database.url is None  # embedded by default
    assert settings.uses_embedded_database and settings.uses_embedded_redis
    assert settings.server.port == 8080
    assert settings.server.roles == ["web", "worker", "scheduler"]
    assert settings.qdrant.dense_size == 384


def test_namespaced_env_overrides_any_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEMATE__SERVER__PORT", "9001")
    monkeypatch.setenv("TRADEMATE__DATABASE__URL", "postgresql://u@db.internal/tm")
    settings = load_settings()
    assert settings.server.port == 9001
    assert settings.database.url == "postgresql://u@db.internal/tm"
    assert not settings.uses_embedded_database


def test_conventional_urls_are_honoured_but_namespaced_ones_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://plain/db")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert load_settings().database.url == "postgresql://plain/db"
    assert load_settings().redis.url == "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("TRADEMATE__DATABASE__URL", "postgresql://namespaced/db")
    assert load_settings().database.url == "postgresql://namespaced/db"


def test_wrong_type_names_the_key_and_its_env_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEMATE__DATABASE__POOL_MAX", "lots")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "database.pool_max" in message
    assert "TRADEMATE__DATABASE__POOL_MAX" in message
    assert "'lots'" in message


def test_unknown_key_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEMATE__SERVER__PROT", "80")
    with pytest.raises(ConfigError, match=r"server\.prot"):
        load_settings()


def test_bad_url_scheme_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEMATE__DATABASE__URL", "mysql://localhost/db")
    with pytest.raises(ConfigError, match=r"database\.url"):
        load_settings()


def test_missing_key_in_the_file_is_named(tmp_path: Path) -> None:
    text = DEFAULT_CONFIG_FILE.read_text().replace("  pool_max: 10\n", "")
    broken = tmp_path / "config.yaml"
    broken.write_text(text)
    with pytest.raises(ConfigError, match=r"database\.pool_max: Field required"):
        load_settings(broken)


def test_secret_in_a_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    override = tmp_path / "override.yaml"
    override.write_text("llm:\n  api_key: sk-live-123\n")
    monkeypatch.setenv("TRADEMATE_CONFIG", str(override))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "llm.api_key" in str(caught.value)
    assert "TRADEMATE__LLM__API_KEY" in str(caught.value)
    assert "sk-live-123" not in str(caught.value)


def test_secret_from_env_is_accepted_and_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEMATE__LLM__API_KEY", "sk-live-123")
    settings = load_settings()
    assert settings.llm.api_key is not None
    assert settings.llm.api_key.get_secret_value() == "sk-live-123"
    assert "sk-live-123" not in repr(settings)


def test_override_file_layers_on_top_of_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    override = tmp_path / "prod.yaml"
    override.write_text("server:\n  port: 7000\napp:\n  env: production\n")
    monkeypatch.setenv("TRADEMATE_CONFIG", str(override))
    settings = load_settings()
    assert settings.server.port == 7000
    assert settings.server.host == "127.0.0.1"  # untouched keys keep their defaults


def test_invalid_yaml_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "config.yaml"
    broken.write_text("server: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(broken)


def test_production_requires_an_explicit_encryption_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEMATE__APP__ENV", "production")
    monkeypatch.setenv("TRADEMATE__APP__DATA_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="security.encryption_key"):
        resolve_encryption_key(load_settings())


def test_development_generates_one_key_and_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEMATE__APP__DATA_DIR", str(tmp_path))
    first = resolve_encryption_key(load_settings())
    second = resolve_encryption_key(load_settings())
    assert first == second
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0  # owner-only
