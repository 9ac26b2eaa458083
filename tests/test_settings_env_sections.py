"""An environment variable naming a section that doesn't exist stops start-up by name
(pydantic-settings alone ignores it, so a typo'd section was silently dropped)."""

from __future__ import annotations

import os

import pytest

from bot.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRADEMATE") or name in {"DATABASE_URL", "REDIS_URL", "QDRANT_URL"}:
            monkeypatch.delenv(name)


def test_unknown_section_is_refused_by_variable_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEMATE__SEVER__PORT", "9000")
    with pytest.raises(ConfigError, match=r"TRADEMATE__SEVER__PORT: no such section"):
        load_settings()


def test_known_sections_still_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEMATE__SERVER__PORT", "9002")
    monkeypatch.setenv("TRADEMATE__STAFF_BOT__API_BASE", "http://127.0.0.1:9")
    assert load_settings().server.port == 9002
