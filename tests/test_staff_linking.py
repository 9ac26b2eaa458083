"""Linking a Telegram account with a one-time code: the CLI prints it, /link redeems it once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.staff_bot.linking import LinkError, code_hash, issue_code, redeem
from storage.db import transaction
from storage.repositories import users
from tests.conftest import trademate
from tests.storage.factories import make_channel, make_org


@pytest.fixture
async def shop(pool):
    async with transaction(pool) as conn:
        org = await make_org(conn)
        channel = await make_channel(conn, org, "telegram")
        agent = await users.create(conn, org.id, "ana@shop.test", "agent")
    yield org, channel, agent
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)


async def test_a_code_links_once_and_only_its_hash_is_stored(pool, shop):
    org, channel, agent = shop
    async with transaction(pool) as conn:
        code = await issue_code(conn, org.id, agent.id)
        stored = await conn.fetchval(
            "SELECT code_hash FROM user_link_codes WHERE user_id = $1", agent.id
        )
    assert code not in stored and stored == code_hash(code)
    async with transaction(pool) as conn:
        linked = await redeem(conn, org.id, code.lower(), 4242, channel.id)  # case-insensitive
    assert linked.telegram_user_id == 4242
    async with pool.acquire() as conn:
        settings = await conn.fetchval("SELECT settings FROM users WHERE id = $1", agent.id)
        assert settings["telegram_channel_id"] == str(channel.id)
        assert await conn.fetchval(
            "SELECT count(*) FROM audit_logs WHERE entity_id = $1 AND action = $2",
            agent.id,
            "user.telegram_linked",
        )
    with pytest.raises(LinkError, match="already used"):
        async with transaction(pool) as conn:
            await redeem(conn, org.id, code, 4343, channel.id)


async def test_expired_unknown_and_other_org_codes_do_not_link(pool, shop):
    org, channel, agent = shop
    async with transaction(pool) as conn:
        expired = await issue_code(conn, org.id, agent.id, timedelta(seconds=-1))
        other = await make_org(conn)
        outsider = await users.create(conn, other.id, "out@other.test", "owner")
        foreign = await issue_code(conn, other.id, outsider.id)
    try:
        for code, reason in (
            (expired, "expired"),
            ("ABCD-EFGH", "not valid"),
            (foreign, "not valid"),
        ):
            with pytest.raises(LinkError, match=reason):
                async with transaction(pool) as conn:
                    await redeem(conn, org.id, code, 4242, channel.id)
        async with pool.acquire() as conn:
            assert (await users.get(conn, org.id, agent.id)).telegram_user_id is None
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", other.id)


async def test_a_new_code_retires_the_old_one_and_relinking_moves_the_account(pool, shop):
    org, channel, agent = shop
    async with transaction(pool) as conn:
        first = await issue_code(conn, org.id, agent.id)
        second = await issue_code(conn, org.id, agent.id)
        owner = await users.create(conn, org.id, "boss@shop.test", "owner")
        owners_code = await issue_code(conn, org.id, owner.id)
    with pytest.raises(LinkError, match="expired"):
        async with transaction(pool) as conn:
            await redeem(conn, org.id, first, 4242, channel.id)
    async with transaction(pool) as conn:
        await redeem(conn, org.id, second, 4242, channel.id)
        # The same Telegram account now links to the owner: it leaves the agent.
        await redeem(conn, org.id, owners_code, 4242, channel.id)
    async with pool.acquire() as conn:
        assert (await users.get(conn, org.id, agent.id)).telegram_user_id is None
        assert (await users.get_by_telegram(conn, org.id, 4242)).id == owner.id


def test_cli_link_code_prints_a_code_that_links(cli_env):
    assert trademate(cli_env, "migrate").returncode == 0
    org_id = trademate(cli_env, "org", "create", "CLI Shop").stdout.strip()
    added = trademate(
        cli_env, "user", "add", "--org", org_id, "ana@cli.test", "--password", "x" * 12
    )
    assert added.returncode == 0, added.stderr
    result = trademate(cli_env, "user", "link-code", "ana@cli.test")
    assert result.returncode == 0, result.stderr
    code = result.stdout.strip()
    assert len(code) == 9 and code[4] == "-" and f"/link {code}" in result.stderr
    missing = trademate(cli_env, "user", "link-code", "nobody@cli.test")
    assert missing.returncode == 1 and "not found" in missing.stderr.lower()


async def test_staff_bot_webhook_points_the_dedicated_bot_at_this_server(cli_env):
    import asyncio
    import sys

    from tests.fakes.telegram_api import FakeTelegramAPI

    token = "987654321:AAStaffBotTokenForTradeMateTests_0123"
    async with FakeTelegramAPI({token: "shop_staff_bot"}) as fake:
        env = {
            **cli_env,
            "TRADEMATE__APP__PUBLIC_URL": "https://shop.example",
            "TRADEMATE__STAFF_BOT__TOKEN": token,
            "TRADEMATE__STAFF_BOT__WEBHOOK_SECRET": "s3cret-staff",
            "TRADEMATE__STAFF_BOT__API_BASE": fake.base_url,
        }
        # The fake answers on this event loop: run the CLI without blocking it.
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "staff-bot", "webhook", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, err.decode()
        assert out.decode().strip() == "https://shop.example/staff/telegram/webhook"
        [(_, params)] = fake.method_calls("setWebhook")
        assert params["url"] == "https://shop.example/staff/telegram/webhook"
        assert params["secret_token"] == "s3cret-staff"
        assert params["allowed_updates"] == ["message", "callback_query"]
