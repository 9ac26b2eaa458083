"""A list or mapping setting given in the environment as something other than JSON stops
start-up with a configuration error naming the variable (pydantic-settings alone raised a
SettingsError naming only the section); llm.tasks also takes a comma-separated value."""

from __future__ import annotations

import os

import pytest

from bot.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRADEMATE") or name in {"DATABASE_URL", "REDIS_URL", "QDRANT_URL"}:
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    "value",
    ["classify,draft", " classify , draft ", '["classify","draft"]', '["classify", "draft"]'],
)
def test_llm_tasks_take_json_or_comma_separated(monkeypatch, value: str) -> None:
    monkeypatch.setenv("TRADEMATE__LLM__TASKS", value)
    assert load_settings().llm.tasks == ["classify", "draft"]


def test_llm_tasks_from_yaml_are_unchanged() -> None:
    assert load_settings().llm.tasks == ["classify", "memories", "draft"]


def test_an_unknown_task_is_still_refused(monkeypatch) -> None:
    monkeypatch.setenv("TRADEMATE__LLM__TASKS", "classify,translate")
    with pytest.raises(ConfigError, match=r"llm\.tasks.*'translate'"):
        load_settings()


def test_broken_json_for_llm_tasks_is_a_configuration_error(monkeypatch) -> None:
    monkeypatch.setenv("TRADEMATE__LLM__TASKS", '["classify"')
    with pytest.raises(ConfigError, match=r"llm\.tasks: .*not a JSON list.*TRADEMATE__LLM__TASKS"):
        load_settings()


def test_a_list_setting_that_is_not_json_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("TRADEMATE__SERVER__ROLES", "web,worker")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "invalid configuration:\n"
        '  TRADEMATE__SERVER__ROLES: a list takes JSON, e.g. \'["web", "worker"]\', '
        "got 'web,worker'"
    )


def test_a_mapping_setting_that_is_not_json_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("TRADEMATE__QUOTES__RATES", "EUR:0.9")
    monkeypatch.setenv("TRADEMATE__QUOTES__LEAD_TIME", "3 weeks")  # a plain string: not blamed
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "TRADEMATE__QUOTES__RATES: a mapping takes JSON" in message
    assert "LEAD_TIME" not in message


def test_the_cli_reports_it_without_a_traceback(monkeypatch) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    monkeypatch.setenv("TRADEMATE__CONTENT__MARKETS", "US,DE")
    result = CliRunner().invoke(main, ["org", "list"])
    assert result.exit_code == 1  # a ClickException: message, no traceback
    assert isinstance(result.exception, SystemExit)
    assert "configuration error: invalid configuration:" in result.output
    assert "TRADEMATE__CONTENT__MARKETS: a list takes JSON" in result.output
