"""``trademate channel add|list|test`` as a user runs them, against fake platform APIs."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.conftest import trademate
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI

pytestmark = pytest.mark.slow


async def run_cli(env, *args):
    # The fake API lives in this event loop: run the CLI without blocking it.
    return await asyncio.to_thread(trademate, env, *args)


@pytest.fixture
async def org_env(cli_env):
    assert (await run_cli(cli_env, "migrate")).returncode == 0
    created = await run_cli(cli_env, "org", "create", "Canal Shop")
    return {**cli_env, "ORG": created.stdout.strip()}


async def test_add_telegram_registers_the_webhook_and_lists_it(org_env):
    async with FakeTelegramAPI() as telegram:
        env = {
            **org_env,
            "TRADEMATE__CHANNELS__API_BASE__TELEGRAM": telegram.base_url,
            "TRADEMATE__APP__PUBLIC_URL": "https://shop.example",
        }
        added = await run_cli(
            env,
            "channel",
            "add",
            "telegram",
            "--org",
            env["ORG"],
            "--bot-token",
            DEFAULT_TOKEN,
            "--name",
            "main bot",
            "--json",
        )
        assert added.returncode == 0, added.stderr
        info = json.loads(added.stdout)
        assert info["webhook_url"] == f"https://shop.example/webhooks/telegram/{info['id']}"
        [(_, params)] = telegram.method_calls("setWebhook")
        assert params["url"] == info["webhook_url"]
        assert len(params["secret_token"]) >= 32

        listed = await run_cli(env, "channel", "list", "--org", env["ORG"], "--json")
        [row] = json.loads(listed.stdout)
        assert row["id"] == info["id"] and row["status"] == "active"

        tested = await run_cli(env, "channel", "test", info["id"], "--to", "4242", "--text", "ping")
        assert tested.returncode == 0, tested.stderr
        [(method, sent)] = telegram.sent_messages()
        assert method.lower() == "sendmessage" and sent["text"] == "ping"
        assert str(sent["chat_id"]) == "4242"


async def test_bot_token_can_come_from_the_environment(org_env):
    async with FakeTelegramAPI() as telegram:
        env = {
            **org_env,
            "TRADEMATE__CHANNELS__API_BASE__TELEGRAM": telegram.base_url,
            "TRADEMATE_CHANNEL_BOT_TOKEN": DEFAULT_TOKEN,
        }
        added = await run_cli(env, "channel", "add", "telegram", "--org", env["ORG"])
        assert added.returncode == 0, added.stderr
        assert "webhook URL: http" in added.stdout


async def test_a_rejected_token_is_stored_as_error_and_reported(org_env):
    async with FakeTelegramAPI() as telegram:
        env = {**org_env, "TRADEMATE__CHANNELS__API_BASE__TELEGRAM": telegram.base_url}
        added = await run_cli(
            env,
            "channel",
            "add",
            "telegram",
            "--org",
            env["ORG"],
            "--bot-token",
            "999999999:AAWrongTokenWrongTokenWrongToken_1",
        )
        assert added.returncode == 1
        assert "could not be registered" in added.stderr
        listed = await run_cli(env, "channel", "list", "--org", env["ORG"], "--json")
        assert json.loads(listed.stdout)[0]["status"] == "error"


async def test_missing_config_names_the_key_and_stores_nothing(org_env):
    added = await run_cli(
        org_env,
        "channel",
        "add",
        "whatsapp",
        "--org",
        org_env["ORG"],
        "--account-sid",
        "AC" + "0" * 32,
    )
    assert added.returncode == 1
    assert "auth_token" in added.stderr
    listed = await run_cli(org_env, "channel", "list", "--org", org_env["ORG"], "--json")
    assert json.loads(listed.stdout) == []


async def test_wechat_prints_what_to_paste_in_the_console(org_env):
    added = await run_cli(
        org_env,
        "channel",
        "add",
        "wechat",
        "--org",
        org_env["ORG"],
        "--app-id",
        "wx0123456789abcdef",
        "--app-secret",
        "s3cret",
        "--token",
        "mytoken123",
    )
    assert added.returncode == 0, added.stderr
    assert "/webhooks/wechat/" in added.stdout


def test_add_help_lists_every_platform_and_its_options():
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEMATE")}
    out = trademate(env, "channel", "add", "--help").stdout
    for platform in ("telegram", "whatsapp", "wechat", "wecom"):
        assert platform in out
    wecom = trademate(env, "channel", "add", "wecom", "--help").stdout
    for flag in ("--corp-id", "--secret", "--agent-id", "--token", "--encoding-aes-key"):
        assert flag in wecom
