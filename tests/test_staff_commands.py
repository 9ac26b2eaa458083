"""The merchant commands, called as the staff bot calls them: a CommandContext over the real
database and Redis, with drafts made by the real pipeline (stand-in classifier)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from agents.classifier.base import Classification
from agents.followups import daily_stats
from agents.followups.quiet_hours import zone
from agents.policy import decide
from agents.retrieval.confidence import MAX_CONFIDENCE
from bot.approvals import Approvals
from bot.cards import Cards
from bot.outbox import ChannelOutbox
from bot.staff import commands as registry
from bot.staff.commands import CommandContext, as_list
from bot.staff.customers import _duration, autopilot, customer, leads, stats
from bot.staff.inbox import PAGE_SIZE, inbox, inbox_page
from bot.staff_bot.frontend import HINT, StaffBot
from channels.models import InboundMessage
from storage.db import transaction
from storage.queue import WorkQueue
from storage.repositories import organizations, users
from tests.agents.test_pipeline import run
from tests.agents.test_pipeline import shop as shop  # noqa: F401 - the fixture

registry.load_all()


@pytest.fixture
async def desk(pool, redis, keys, shop):  # noqa: F811
    ref, intake, pipeline, _ = shop
    async with transaction(pool) as conn:
        staff = SimpleNamespace(
            owner=await users.create(conn, ref.org_id, "owner@costa.test", "owner"),
            ana=await users.create(conn, ref.org_id, "ana@costa.test", "agent"),
            viewer=await users.create(conn, ref.org_id, "viewer@costa.test", "readonly"),
        )
    services = SimpleNamespace(pool=pool, redis=redis, keys=keys)
    outbound = WorkQueue(redis, keys, "outbound")
    await outbound.ensure_group()
    approvals = Approvals(services, ChannelOutbox(pool, outbound))

    async def say(text: str, sender: str = "whatsapp:+34600000001"):
        return await run(pool, ref, intake, pipeline, text, sender=sender)

    def ctx(user, args: str = "") -> CommandContext:
        return CommandContext(services, ref.org_id, user, args, {"approvals": approvals})

    return SimpleNamespace(
        ref=ref, pool=pool, staff=staff, services=services, approvals=approvals, say=say, ctx=ctx
    )


def texts(result) -> list[str]:
    return [r.text for r in as_list(result)]


def callback_data(result) -> list[str]:
    return [b.callback_data for r in as_list(result) for row in r.buttons for b in row]


# --- /inbox -----------------------------------------------------------------------------------
async def test_inbox_lists_pending_drafts_with_decision_buttons_and_pages(desk):
    assert texts(await inbox(desk.ctx(desk.staff.ana))) == ["Inbox zero: no drafts are waiting. 🎉"]
    made = [await desk.say(f"How long does shipping take to town {n}?") for n in range(6)]
    first = await inbox(desk.ctx(desk.staff.ana))
    assert first[0].text == "6 draft(s) waiting — page 1 of 2."
    assert len(first) == 1 + PAGE_SIZE + 1  # header, five drafts, navigation
    assert "town 0" in first[1].text and "Shipping to Spain takes 7-10 days." in first[1].text
    assert f"ap:approve:{made[0].suggestion_id}" in callback_data(first[1])
    assert callback_data(first[-1]) == ["ib:2"]
    second = await inbox_page(desk.ctx(desk.staff.ana, "2"))
    assert "town 5" in second[1].text and callback_data(second[-1]) == ["ib:1"]
    # Read-only staff see the drafts but get no decision buttons.
    assert not [
        d for d in callback_data(await inbox(desk.ctx(desk.staff.viewer))) if d.startswith("ap:")
    ]
    # Decided drafts leave the inbox.
    await desk.approvals.decide(desk.ref.org_id, made[0].suggestion_id, desk.staff.ana, "approve")
    assert (await inbox(desk.ctx(desk.staff.ana)))[0].text.startswith("5 draft(s)")


# --- /customer, /leads ------------------------------------------------------------------------
async def test_customer_shows_profile_memories_recent_messages_and_leads(desk):
    await desk.say("Hola, price for 500 pcs of the steel bottle?")
    async with desk.pool.acquire() as conn:
        customer_id = await conn.fetchval(
            "SELECT id FROM customers WHERE org_id = $1", desk.ref.org_id
        )
        await conn.execute(
            "INSERT INTO leads (org_id, customer_id, title, score) VALUES ($1, $2, $3, 80)",
            desk.ref.org_id,
            customer_id,
            "500 steel bottles",
        )
    [reply] = texts(await customer(desk.ctx(desk.staff.ana, "lucía")))
    assert reply.startswith("👤 Lucía")
    assert "Needs 500 pcs" in reply  # a memory the pipeline kept
    assert "them: Hola, price for 500 pcs" in reply  # recent messages
    assert "500 steel bottles — new (80)" in reply
    assert texts(await customer(desk.ctx(desk.staff.ana, "Nobody"))) == [
        "No customer matches 'Nobody'."
    ]
    assert "followed by a name" in texts(await customer(desk.ctx(desk.staff.ana)))[0]


async def test_customer_with_several_matches_asks_which(desk):
    await desk.say("hello", sender="whatsapp:+34600000001")
    await desk.say("hello", sender="whatsapp:+34600000002")  # both are "Lucía"
    async with desk.pool.acquire() as conn:
        await conn.execute(
            "UPDATE customers SET display_name = 'Lucía Gómez' WHERE org_id = $1"
            " AND id = (SELECT min(id::text)::uuid FROM customers WHERE org_id = $1)",
            desk.ref.org_id,
        )
    [reply] = texts(await customer(desk.ctx(desk.staff.ana, "Luc")))
    assert reply.startswith("2 customers match 'Luc'; which one?")


async def test_leads_lists_hot_leads_but_not_sandbox_customers(desk):
    assert texts(await leads(desk.ctx(desk.staff.viewer))) == ["No hot leads in the last 14 days."]
    await desk.say("Price for 500 pcs?", sender="whatsapp:+34600000001")
    await desk.say("Price for 900 pcs?", sender="whatsapp:+34600000009")
    async with desk.pool.acquire() as conn:
        await conn.execute(
            "UPDATE customers SET is_test = true, display_name = 'Sandbox Sam'"
            " WHERE org_id = $1 AND id = (SELECT customer_id FROM customer_identities"
            " WHERE external_id = 'whatsapp:+34600000009')",
            desk.ref.org_id,
        )
    [reply] = texts(await leads(desk.ctx(desk.staff.viewer)))
    assert "🔥 Hot leads" in reply and "Lucía — score 70" in reply and "500 pcs" in reply
    assert "Sandbox" not in reply and "900 pcs" not in reply


# --- /stats -------------------------------------------------------------------------------------
async def test_stats_counts_today_and_leaves_out_sandbox_conversations(desk):
    a = await desk.say("How long does shipping take?")
    b = await desk.say("How long does shipping take to Madrid?")
    c = await desk.say("Shipping time to Bilbao?")
    await desk.say("hello")  # no draft worth queuing? still a message and a draft
    sandbox = await desk.say("Shipping to Cádiz?", sender="whatsapp:+34600000099")
    async with desk.pool.acquire() as conn:
        await conn.execute(
            "UPDATE conversations SET is_test = true WHERE id = (SELECT conversation_id"
            " FROM reply_suggestions WHERE id = $1)",
            sandbox.suggestion_id,
        )
    ana = desk.staff.ana
    await desk.approvals.decide(desk.ref.org_id, a.suggestion_id, ana, "approve")
    await desk.approvals.decide(desk.ref.org_id, b.suggestion_id, ana, "edit", "7-10 days!")
    await desk.approvals.decide(desk.ref.org_id, c.suggestion_id, ana, "reject")
    await desk.approvals.decide(desk.ref.org_id, sandbox.suggestion_id, ana, "reject")
    [reply] = texts(await stats(desk.ctx(desk.staff.viewer)))
    lines = reply.splitlines()
    assert lines[:7] == [
        "📊 Today",
        "Inbound messages: 4",
        "Drafted: 4",
        "Approved: 1",
        "Edited: 1",
        "Auto-sent: 0",
        "Rejected: 1",
    ]
    assert lines[7].startswith("Median response time: ") and lines[7] != "Median response time: —"


async def test_stats_and_the_daily_sweep_count_by_one_definition(desk):
    """Regression: /stats had its own SQL — a sandbox *customer* in an unflagged conversation
    counted, and its median was time-to-decision, not time-to-reply like the sweep's."""
    a = await desk.say("How long does shipping take?")
    sandbox = await desk.say("Shipping to Cádiz?", sender="whatsapp:+34600000099")
    async with desk.pool.acquire() as conn:
        await conn.execute(
            "UPDATE customers SET is_test = true WHERE id = (SELECT customer_id FROM"
            " conversations WHERE id = (SELECT conversation_id FROM reply_suggestions"
            " WHERE id = $1))",
            sandbox.suggestion_id,
        )
    ana = desk.staff.ana
    await desk.approvals.decide(desk.ref.org_id, a.suggestion_id, ana, "approve")
    await desk.approvals.decide(desk.ref.org_id, sandbox.suggestion_id, ana, "reject")
    [reply] = texts(await stats(desk.ctx(desk.staff.viewer)))

    async with desk.pool.acquire() as conn:
        org = await organizations.get(conn, desk.ref.org_id)
        today = datetime.now(UTC).astimezone(zone(org.timezone)).date()
        swept = await daily_stats.compute(conn, desk.ref.org_id, today, org.timezone)
    assert (swept["inbound"], swept["drafted"], swept["approved"], swept["rejected"]) == (
        1,
        1,
        1,
        0,
    )
    median = swept["median_response_seconds"]
    assert median is not None
    assert reply.splitlines()[1:] == [
        "Inbound messages: 1",
        "Drafted: 1",
        "Approved: 1",
        "Edited: 0",
        "Auto-sent: 0",
        "Rejected: 0",
        f"Median response time: {_duration(median)}",
    ]


# --- /autopilot ---------------------------------------------------------------------------------
async def test_autopilot_toggles_the_org_settings_that_policy_reads(desk):
    praise = Classification("praise", 0.95, "en", "positive")
    question = Classification("question", 0.9, "en", "neutral")

    async def policy(c: Classification, confidence: float = 0.9) -> str:
        async with desk.pool.acquire() as conn:
            org = await organizations.get(conn, desk.ref.org_id)
        kind = "faq" if c.category == "question" else "template"  # praise gets a thank-you
        return decide(c, kind, confidence, org.settings).action

    owner = desk.staff.owner
    assert await policy(praise) == "queue"  # off by default
    [reply] = texts(await autopilot(desk.ctx(owner, "on")))
    assert reply.startswith("Autopilot is on: FAQ answers at least 0.92 confident")
    assert await policy(praise) == "auto_send"
    assert await policy(question, 0.9) == "queue"  # below the default 0.92
    await autopilot(desk.ctx(owner, "confidence 0.85"))
    assert await policy(question, 0.9) == "auto_send"
    await autopilot(desk.ctx(owner, "praise off"))
    assert await policy(praise) == "queue"
    [state] = texts(await autopilot(desk.ctx(owner, "")))
    assert "0.85 confident" in state and "praise (off)" in state and "Change it" in state
    assert "0.5 to 1" in texts(await autopilot(desk.ctx(owner, "confidence 2")))[0]
    await autopilot(desk.ctx(owner, "off"))
    assert await policy(question, 0.99) == "queue"
    async with desk.pool.acquire() as conn:
        changes = await conn.fetch(
            "SELECT after FROM audit_logs WHERE org_id = $1 AND action = 'organization.autopilot'"
            " ORDER BY created_at",
            desk.ref.org_id,
        )
    assert [c["after"] for c in changes] == [
        {"autopilot": True},
        {"auto_send_min_confidence": 0.85},
        {"auto_send_praise": False},
        {"autopilot": False},
    ]
    # Only owners and admins may switch it.
    command = registry.COMMANDS["autopilot"]
    assert [command.allowed(r) for r in ("readonly", "agent", "admin", "owner")] == [
        False,
        False,
        True,
        True,
    ]


async def test_autopilot_confidence_above_the_highest_reachable_is_capped_not_silently_off(desk):
    """Regression: /autopilot confidence 0.99 or 1 stored a bar no draft ever reaches (the
    calibration table tops out at MAX_CONFIDENCE), switching FAQ autopilot off without a word."""
    question = Classification("question", 0.9, "en", "neutral")
    owner = desk.staff.owner
    await autopilot(desk.ctx(owner, "on"))
    for asked in ("0.99", "1"):
        [reply] = texts(await autopilot(desk.ctx(owner, f"confidence {asked}")))
        assert f"the highest a FAQ answer reaches is {MAX_CONFIDENCE:g}" in reply
        async with desk.pool.acquire() as conn:
            settings = (await organizations.get(conn, desk.ref.org_id)).settings
        assert settings["auto_send_min_confidence"] == MAX_CONFIDENCE
        # The most confident answer there is still goes out by itself.
        assert decide(question, "faq", MAX_CONFIDENCE, settings).action == "auto_send"


# --- the front end: rights, unknown commands, plain text ---------------------------------------
def _message(text: str, sender: str = "4242") -> InboundMessage:
    from datetime import UTC, datetime

    extra = {}
    if text.startswith("/"):
        name, _, rest = text.partition(" ")
        extra = {"command": name, "command_args": rest}
    return InboundMessage(
        f"{sender}:{uuid.uuid4().int % 10**6}", sender, datetime.now(UTC), "text", text=text,
        chat_id=sender, extra=extra,
    )  # fmt: skip


async def test_the_bot_refuses_clearly_and_helps(desk):
    bot = StaffBot(desk.services, Cards(desk.services, hub=None), desk.approvals)
    ref = desk.ref

    async def answer(text, user):
        return texts(await bot.answer(ref.org_id, ref.id, _message(text), user))

    assert await answer("/frobnicate", desk.staff.ana) == [
        "Unknown command /frobnicate. Send /help to see what you can do."
    ]
    assert await answer("/autopilot on", desk.staff.ana) == [
        "/autopilot needs the admin role or higher; your role is agent."
    ]
    assert (await answer("/autopilot on", desk.staff.owner))[0].startswith("Autopilot is on")
    assert await answer("good morning", desk.staff.ana) == [HINT]
    assert (await answer("/inbox", None))[0].startswith("This command is for the shop's staff")
    [agent_help] = await answer("/help", desk.staff.ana)
    [viewer_help] = await answer("/help", desk.staff.viewer)
    assert "/inbox" in viewer_help and "/customer" not in viewer_help
    assert "/customer" in agent_help and "/autopilot" not in agent_help


async def test_edit_button_then_text_decides_with_that_text(desk):
    bot = StaffBot(desk.services, Cards(desk.services, hub=None), desk.approvals)
    outcome = await desk.say("How long does shipping take?")
    press = InboundMessage(
        "cbq:1", "4242", _message("x").sent_at, "button",
        button_payload=f"ap:edit:{outcome.suggestion_id}", chat_id="4242",
    )  # fmt: skip
    replies = await bot.answer(desk.ref.org_id, desk.ref.id, press, desk.staff.ana)
    assert replies[0].notice and "next message" in replies[1].text
    [done] = await bot.answer(
        desk.ref.org_id, desk.ref.id, _message("Ships tomorrow, 7-10 days."), desk.staff.ana
    )
    assert done.text.startswith("Edited ✓")
    async with desk.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, edited_text FROM reply_suggestions WHERE id = $1",
            outcome.suggestion_id,
        )
    assert (row["status"], row["edited_text"]) == ("edited", "Ships tomorrow, 7-10 days.")
    # The pending edit is used up: the next text is just text.
    assert texts(
        await bot.answer(desk.ref.org_id, desk.ref.id, _message("thanks"), desk.staff.ana)
    ) == [HINT]


async def test_sandbox_drafts_stay_out_of_the_inbox(desk):
    real = await desk.say("How long does shipping take?")
    sandbox = await desk.say("Shipping to Cádiz?", sender="whatsapp:+34600000099")
    async with desk.pool.acquire() as conn:
        await conn.execute(
            "UPDATE conversations SET is_test = true WHERE id = (SELECT conversation_id"
            " FROM reply_suggestions WHERE id = $1)",
            sandbox.suggestion_id,
        )
    result = await inbox(desk.ctx(desk.staff.ana))
    assert result[0].text == "1 draft(s) waiting — page 1 of 1."
    assert callback_data(result[1])[0] == f"ap:approve:{real.suggestion_id}"


async def test_duty_switches_whether_cards_arrive(desk):
    from bot.staff.inbox import duty

    assert texts(await duty(desk.ctx(desk.staff.ana, "off")))[0].startswith("You are off duty")
    async with desk.pool.acquire() as conn:
        assert not await conn.fetchval("SELECT on_duty FROM users WHERE id = $1", desk.staff.ana.id)
    assert texts(await duty(desk.ctx(desk.staff.ana)))[0].startswith("You are off duty")
    assert texts(await duty(desk.ctx(desk.staff.ana, "on")))[0].startswith("You are on duty")
    async with desk.pool.acquire() as conn:
        assert await conn.fetchval("SELECT on_duty FROM users WHERE id = $1", desk.staff.ana.id)


async def test_staff_of_another_org_see_and_decide_nothing_here(desk):
    from bot.staff.inbox import decide_button
    from tests.storage.factories import make_org

    outcome = await desk.say("Price for 500 pcs? How long does shipping take?")
    async with transaction(desk.pool) as conn:
        other = await make_org(conn)
        outsider = await users.create(conn, other.id, "spy@other.test", "owner")
    try:
        ctx = CommandContext(desk.services, other.id, outsider, "", {"approvals": desk.approvals})
        assert texts(await inbox(ctx)) == ["Inbox zero: no drafts are waiting. 🎉"]
        ctx.args = "Lucía"
        assert texts(await customer(ctx)) == ["No customer matches 'Lucía'."]
        assert texts(await leads(ctx)) == ["No hot leads in the last 14 days."]
        ctx.args = f"approve:{outcome.suggestion_id}"
        assert texts(await decide_button(ctx)) == ["That draft no longer exists."]
        async with desk.pool.acquire() as conn:
            status = await conn.fetchval(
                "SELECT status FROM reply_suggestions WHERE id = $1", outcome.suggestion_id
            )
        assert status == "pending"
    finally:
        async with desk.pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", other.id)
