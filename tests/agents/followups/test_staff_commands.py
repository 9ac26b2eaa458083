"""``/remind`` and ``/followups`` called directly with real services and rows, and an approved
follow-up draft going out through the approval flow (as a template when marked so)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from agents.followups import due, silent
from bot.approvals import Approvals
from bot.outbox import ChannelOutbox
from bot.settings import load_settings
from bot.staff.commands import COMMANDS, CommandContext, load_all
from storage.db import transaction
from storage.queue import WorkQueue
from storage.repositories import users

from .helpers import CONFIG, make_customer, make_shop

# Tuesday 2026-03-03 10:00 UTC.
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
async def desk(pool, redis, keys, monkeypatch, tmp_path):
    monkeypatch.setenv("TRADEMATE__APP__DATA_DIR", str(tmp_path / "var"))
    async with transaction(pool) as conn:
        shop = await make_shop(conn, "whatsapp")
        agent = await users.create(conn, shop.org.id, "ana@shop.test", "agent")
        viewer = await users.create(conn, shop.org.id, "viewer@shop.test", "readonly")
    services = SimpleNamespace(pool=pool, redis=redis, keys=keys, settings=load_settings())
    load_all()
    try:
        yield SimpleNamespace(shop=shop, agent=agent, viewer=viewer, services=services)
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", shop.org.id)


def ctx(desk, args: str = "", user=None, now=NOW) -> CommandContext:
    return CommandContext(
        desk.services, desk.shop.org.id, user or desk.agent, args, extra={"now": now}
    )


async def test_remind_plans_a_followup_and_followups_lists_it(desk, pool):
    async with transaction(pool) as conn:
        customer, conversation = await make_customer(conn, desk.shop, name="Marta Ruiz")
        await make_customer(conn, desk.shop, name="Marco Polo")

    reply = await COMMANDS["remind"].handler(ctx(desk, "Marta Ruiz 3d ask about the samples"))
    assert "Marta Ruiz" in reply.text and "ask about the samples" in reply.text
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM followups WHERE org_id = $1", desk.shop.org.id)
    assert row["customer_id"] == customer and row["conversation_id"] == conversation
    assert row["due_at"] == NOW + timedelta(days=3)
    assert row["note"] == "ask about the samples" and row["reason"] == "manual"
    assert row["created_by"] == desk.agent.id and row["status"] == "scheduled"

    listing = await COMMANDS["followups"].handler(ctx(desk, user=desk.viewer))
    assert "Marta Ruiz — reminder — 06 Mar 10:00 — ask about the samples" in listing.text

    # Once due, the list says so; once drafted, it waits for approval.
    later = NOW + timedelta(days=3, minutes=1)
    assert "due now" in (await COMMANDS["followups"].handler(ctx(desk, now=later))).text
    async with pool.acquire() as conn:
        assert (await due.sweep(conn, later, CONFIG, org_id=desk.shop.org.id)).counts == {
            "drafted": 1
        }
    text = (await COMMANDS["followups"].handler(ctx(desk, now=later))).text
    assert "draft waiting for approval" in text


async def test_remind_refuses_bad_input_ambiguity_and_opted_out_customers(desk, pool):
    async with transaction(pool) as conn:
        opted, _ = await make_customer(conn, desk.shop, name="Stop Person")
        await conn.execute(
            "INSERT INTO opt_outs (org_id, customer_id, keyword) VALUES ($1, $2, 'stop')",
            desk.shop.org.id,
            opted,
        )
        await make_customer(conn, desk.shop, name="Marco A")
        await make_customer(conn, desk.shop, name="Marco B")

    assert "usage" in (await COMMANDS["remind"].handler(ctx(desk, "Marco soon"))).text
    assert "No customer" in (await COMMANDS["remind"].handler(ctx(desk, "Nobody 2d"))).text
    assert "which one" in (await COMMANDS["remind"].handler(ctx(desk, "Marco 2d"))).text
    assert "opted out" in (await COMMANDS["remind"].handler(ctx(desk, "Stop Person 1d"))).text
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM followups WHERE org_id = $1", desk.shop.org.id
            )
            == 0
        )
    assert COMMANDS["remind"].allowed("agent") and not COMMANDS["remind"].allowed("readonly")


async def test_remind_respects_the_customers_night(desk, pool):
    async with transaction(pool) as conn:
        await make_customer(conn, desk.shop, name="Tanaka", timezone="Asia/Tokyo")
    # 10:00 UTC + 4h = 14:00 UTC = 23:00 in Tokyo: moved to 09:00 Tokyo = 00:00 UTC next day.
    reply = await COMMANDS["remind"].handler(ctx(desk, "Tanaka 4h"))
    assert "night" in reply.text
    async with pool.acquire() as conn:
        due_at = await conn.fetchval(
            "SELECT due_at FROM followups WHERE org_id = $1", desk.shop.org.id
        )
    assert due_at == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)


async def test_an_approved_template_marked_followup_is_queued_as_the_template(
    desk, pool, redis, keys
):
    async with transaction(pool) as conn:
        await make_customer(conn, desk.shop, name="Ana", last_inbound_at=NOW - timedelta(days=5))
        await conn.execute(
            """
            INSERT INTO response_templates (org_id, name, kind, language, body,
                                            external_template_id)
            VALUES ($1, 'followup_silent', 'followup', 'en', 'Hi {name}!', 'HXabc123')
            """,
            desk.shop.org.id,
        )
        await silent.sweep(conn, NOW, CONFIG, org_id=desk.shop.org.id)
        await due.sweep(conn, NOW, CONFIG, org_id=desk.shop.org.id)
        suggestion_id = await conn.fetchval(
            "SELECT id FROM reply_suggestions WHERE org_id = $1 AND kind = 'followup'",
            desk.shop.org.id,
        )
    outbound = WorkQueue(redis, keys, "outbound")
    await outbound.ensure_group()
    approvals = Approvals(desk.services, ChannelOutbox(pool, outbound))
    result = await approvals.decide(desk.shop.org.id, suggestion_id, desk.agent, "approve")
    assert result.applied and result.outbound_message_id is not None
    async with pool.acquire() as conn:
        message = await conn.fetchrow(
            "SELECT content, content_type, metadata FROM messages WHERE id = $1",
            result.outbound_message_id,
        )
    assert message["content_type"] == "template"
    assert message["metadata"]["template"] == {
        "name": "HXabc123",
        "language": "en",
        "variables": {"1": "Ana"},
    }
    assert message["content"] == "Hi Ana!"
