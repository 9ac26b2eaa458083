"""Approving into a closed customer-service window: refused at once, in words that fit every
front end (and the Telegram toast), with templates let through only where the channel has them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.approvals import SENDERS, ClosedWindow, InvalidDecision, register_sender
from bot.cards import Cards
from bot.staff.followups import send_followup
from bot.staff.inbox import REMIND_HINT
from bot.staff_bot.frontend import StaffBot
from bot.staff_bot.telegram import TOAST_LIMIT
from channels.models import InboundMessage
from storage.repositories import audit
from tests.agents.test_pipeline import shop as shop  # noqa: F401 - the fixture
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI
from tests.test_approvals import corpus_rows, draft_for, outbound_rows
from tests.test_approvals import desk as desk  # noqa: F401 - the fixture

QUESTION = "How long does shipping to Spain take?"
TEMPLATE = {"name": "HX0123", "language": "es", "variables": {"1": "Ana"}}


async def _close_the_window(pool, suggestion_id, *, platform: str | None = None) -> None:
    """The customer last wrote three days ago: past WhatsApp's 24 hours and WeChat's 48.
    ``platform`` moves the shop's channel to another platform (only its capabilities count
    here: the message is queued, not sent)."""
    async with pool.acquire() as conn:
        conversation_id, channel_id = await conn.fetchrow(
            "SELECT cv.id, cv.channel_id FROM conversations cv JOIN reply_suggestions s"
            " ON s.conversation_id = cv.id WHERE s.id = $1",
            suggestion_id,
        )
        await conn.execute(
            "UPDATE conversations SET last_inbound_at = now() - interval '3 days' WHERE id = $1",
            conversation_id,
        )
        if platform is not None:
            await conn.execute(
                "UPDATE channels SET platform = $2 WHERE id = $1", channel_id, platform
            )


async def _as_followup(pool, suggestion_id, template: dict | None) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE reply_suggestions SET kind = 'followup', message_id = NULL, metadata = $2"
            " WHERE id = $1",
            suggestion_id,
            {"send_as": "template", "template": template},
        )


@pytest.fixture
def followup_sender():
    default = SENDERS["followup"]
    register_sender("followup", send_followup)
    yield
    register_sender("followup", default)


@pytest.mark.parametrize(("action", "text"), [("approve", None), ("edit", "Five days.")])
async def test_a_text_reply_approved_into_a_closed_window_is_refused_at_once(desk, action, text):
    """Regression: only quotes were refused at approval; a text reply was queued and failed
    later in the worker, where no one saw why. Now the agent is told at once what to do, in
    words no front end has to translate (the web inbox has no /remind)."""
    outcome = await draft_for(desk, QUESTION)
    await _close_the_window(desk.pool, outcome.suggestion_id)
    with pytest.raises(ClosedWindow, match="24 hours") as caught:
        await desk.approvals.decide(
            desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, action, text
        )
    said = str(caught.value)
    assert "template follow-up" in said and "/remind" not in said and len(said) < TOAST_LIMIT
    assert caught.value.templates
    # nothing happened: the draft is still open for when the customer writes again
    assert await outbound_rows(desk.pool, desk.ref.org_id) == []
    assert await corpus_rows(desk.pool, desk.ref.org_id) == []
    async with desk.pool.acquire() as conn:
        status = await conn.fetchval(
            "SELECT status FROM reply_suggestions WHERE id = $1", outcome.suggestion_id
        )
        entries = await audit.for_entity(
            conn, desk.ref.org_id, "reply_suggestion", outcome.suggestion_id
        )
    assert status == "pending" and entries == []
    assert await desk.outbound.read("probe", count=10, block_ms=100) == []


@pytest.mark.parametrize(("template", "allowed"), [(TEMPLATE, True), (None, False)])
async def test_a_followup_goes_into_a_closed_window_only_as_a_template(
    desk, followup_sender, template, allowed
):
    outcome = await draft_for(desk, QUESTION)
    await _as_followup(desk.pool, outcome.suggestion_id, template)
    await _close_the_window(desk.pool, outcome.suggestion_id)
    if not allowed:  # the template is missing: free text would be refused by WhatsApp
        with pytest.raises(InvalidDecision, match="24 hours"):
            await desk.approvals.decide(
                desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve"
            )
        return
    result = await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve"
    )
    [sent] = await outbound_rows(desk.pool, desk.ref.org_id)
    assert sent["id"] == result.outbound_message_id and sent["content_type"] == "template"


async def test_a_template_followup_on_a_channel_without_templates_is_refused(desk, followup_sender):
    """Regression: any message carrying a template passed, whatever the channel. WeChat OA
    has a 48-hour window but no templates (its adapter refuses them), so the follow-up was
    queued and failed in the worker. Now the agent hears it can go out once the customer
    writes again, and no advice about templates the channel can't send."""
    outcome = await draft_for(desk, QUESTION)
    await _as_followup(desk.pool, outcome.suggestion_id, TEMPLATE)
    await _close_the_window(desk.pool, outcome.suggestion_id, platform="wechat")
    with pytest.raises(ClosedWindow) as caught:
        await desk.approvals.decide(
            desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve"
        )
    said = str(caught.value)
    assert "48 hours" in said and "wechat" in said
    assert "it can go out once the customer writes again" in said
    assert "template" not in said and "/remind" not in said and not caught.value.templates
    assert await outbound_rows(desk.pool, desk.ref.org_id) == []


async def test_a_template_marked_followup_on_a_channel_without_templates_goes_as_text(
    desk, followup_sender
):
    """Regression: a follow-up marked for a template before the sweep read the channel's
    capability was queued as a template once the customer wrote again, and the WeChat adapter
    refuses templates. It goes out as text: the window is open."""
    outcome = await draft_for(desk, QUESTION)
    await _as_followup(desk.pool, outcome.suggestion_id, TEMPLATE)
    async with desk.pool.acquire() as conn:
        await conn.execute(
            "UPDATE channels SET platform = 'wechat' WHERE id = (SELECT channel_id FROM"
            " conversations c JOIN reply_suggestions s ON s.conversation_id = c.id"
            " WHERE s.id = $1)",
            outcome.suggestion_id,
        )
    result = await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve"
    )
    [sent] = await outbound_rows(desk.pool, desk.ref.org_id)
    assert sent["id"] == result.outbound_message_id and sent["content_type"] == "text"


@pytest.mark.parametrize("platform", ["telegram", "wecom"])
async def test_channels_without_a_window_send_whenever_the_customer_last_wrote(desk, platform):
    outcome = await draft_for(desk, QUESTION)
    await _close_the_window(desk.pool, outcome.suggestion_id, platform=platform)
    result = await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve"
    )
    assert result.applied
    [sent] = await outbound_rows(desk.pool, desk.ref.org_id)
    assert sent["id"] == result.outbound_message_id


@pytest.fixture
async def telegram():
    async with FakeTelegramAPI() as fake:
        session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
        try:
            yield fake, Bot(DEFAULT_TOKEN, session=session)
        finally:
            await session.close()


def _press(payload: str) -> InboundMessage:
    return InboundMessage(
        f"cbq:{uuid.uuid4().hex}", "4242", datetime.now(UTC), "button", button_payload=payload,
        chat_id="4242", extra={"callback_query_id": "cbq-1"},
    )  # fmt: skip


async def test_the_staff_bot_gives_the_whole_refusal_as_a_message(desk, telegram):
    """Regression: the refusal went back as the pressed button's toast, which Telegram clips
    at 200 characters and hides after a few seconds; the advice was cut off. Now the agent
    gets all of it, plus the staff bot's own way to send a template follow-up."""
    fake, tg_bot = telegram
    outcome = await draft_for(desk, QUESTION)
    await _close_the_window(desk.pool, outcome.suggestion_id)
    services = desk.approvals.services
    staff_bot = StaffBot(services, Cards(services, hub=None), desk.approvals)
    await staff_bot.handle(
        tg_bot,
        desk.ref.org_id,
        desk.ref.id,
        _press(f"ap:approve:{outcome.suggestion_id}"),
        desk.staff.ana,
    )
    [(_, answered)] = fake.method_calls("answerCallbackQuery")
    assert answered["callback_query_id"] == "cbq-1"  # the spinner stops
    [(_, sent)] = fake.sent_messages()
    assert str(sent["chat_id"]) == "4242"
    assert sent["text"].startswith("Not sent: the customer last wrote over 24 hours ago")
    assert sent["text"].endswith(f"once the customer writes again.\n\n{REMIND_HINT}")
    assert await outbound_rows(desk.pool, desk.ref.org_id) == []
