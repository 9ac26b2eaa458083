"""A quote from approval to the customer's app: the PDF goes out as a Telegram document and as
WhatsApp media, by a signed link our own server serves (and refuses when forged or expired)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.approvals import Approvals, InvalidDecision
from bot.media import sign, signing_key
from bot.outbox import ChannelOutbox
from bot.staff.quotes import quote_service
from storage.db import transaction
from storage.repositories import conversations, customers, products, users
from tests.fakes.telegram_api import DEFAULT_TOKEN
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SANDBOX_FROM

TWILIO = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": SANDBOX_FROM}


async def _setup(stack, ref, external_id: str, language: str):
    async with transaction(stack.services.pool) as conn:
        match = await customers.upsert_by_identity(
            conn, stack.org_id, ref.id, external_id, display_name="Lucía García", language=language
        )
        await conversations.upsert_active(
            conn, stack.org_id, match.customer.id, ref.id, inbound_at=datetime.now(UTC)
        )
        user = await users.create(conn, stack.org_id, f"a{uuid.uuid4().hex[:6]}@shop.test", "agent")
        await products.upsert(
            conn, stack.org_id, sku="SKU-1", name="保温杯", name_en="Thermos cup",
            price=Decimal("2.10"), moq=500,
        )  # fmt: skip
    created = await quote_service(stack.services).create(
        stack.org_id, match.customer.id, "500 x SKU-1 USD FOB Ningbo", created_by=user.id
    )
    approvals = Approvals(
        stack.services, ChannelOutbox(stack.services.pool, stack.runtime.outbound_queue)
    )
    return created, approvals, user


async def _sent(stack, message_id):
    await stack.wait_for(
        "SELECT status FROM messages WHERE id = $1", message_id, expect="sent", limit=15
    )


async def _get(stack, url: str):
    async with stack.http.get(url) as response:
        return response.status, response.headers.get("Content-Type"), await response.read()


async def test_an_approved_quote_reaches_telegram_as_a_document_once(stack):
    ref = await stack.add_channel("telegram", {"bot_token": DEFAULT_TOKEN})
    created, approvals, user = await _setup(stack, ref, "777001", "zh")
    first = await approvals.decide(stack.org_id, created.suggestion_id, user, "approve")
    second = await approvals.decide(stack.org_id, created.suggestion_id, user, "approve")
    assert first.applied and not second.applied
    await _sent(stack, first.outbound_message_id)

    [(_, params)] = stack.fakes.telegram.method_calls("sendDocument")
    assert str(params["chat_id"]) == "777001"
    assert created.quote.number in params["caption"]
    url = params["document"]
    assert url.startswith(f"{stack.base_url}/media/") and url.endswith(".pdf")
    status, content_type, body = await _get(stack, url)
    assert status == 200 and content_type == "application/pdf" and body == created.pdf

    [row] = await stack.fetch(
        "SELECT status, approved_by, sent_at FROM quotations WHERE id = $1", created.quote.id
    )
    assert row["status"] == "sent" and row["approved_by"] == user.id and row["sent_at"]


async def test_whatsapp_gets_a_signed_media_url_that_only_works_while_valid(stack):
    ref = await stack.add_channel("whatsapp", TWILIO)
    created, approvals, user = await _setup(stack, ref, "whatsapp:+34600000001", "es")
    result = await approvals.decide(
        stack.org_id, created.suggestion_id, user, "edit", "Hola Lucía, aquí tiene la cotización."
    )
    await _sent(stack, result.outbound_message_id)

    [sent] = stack.fakes.twilio.sent()
    assert sent["To"] == "whatsapp:+34600000001"
    assert sent["Body"] == "Hola Lucía, aquí tiene la cotización."
    [url] = sent.getall("MediaUrl")
    status, content_type, body = await _get(stack, url)
    assert status == 200 and content_type == "application/pdf" and body == created.pdf

    token = url.split("/media/", 1)[1].split("/", 1)[0]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert (await _get(stack, f"{stack.base_url}/media/{forged}/x.pdf"))[0] == 403
    key = signing_key(stack.services.settings)
    file_id = created.quote.pdf_file_id
    expired = sign(key, stack.org_id, file_id, int(time.time()) - 1)
    assert (await _get(stack, f"{stack.base_url}/media/{expired}"))[0] == 403
    # Another org's id under a valid signature for this file finds nothing of theirs.
    other = sign(key, uuid.uuid4(), file_id, int(time.time()) + 60)
    assert (await _get(stack, f"{stack.base_url}/media/{other}"))[0] == 404
    fresh = sign(key, stack.org_id, file_id, int(time.time()) + 60)
    assert (await _get(stack, f"{stack.base_url}/media/{fresh}"))[0] == 200


async def test_wechat_gets_the_text_with_a_link_to_the_pdf(stack):
    config = {"app_id": "wx0123456789abcdef", "app_secret": "oa-secret", "token": "wechat-token"}
    ref = await stack.add_channel("wechat", config)
    created, approvals, user = await _setup(stack, ref, "oOpenId-quote-1", "zh")
    result = await approvals.decide(stack.org_id, created.suggestion_id, user, "approve")
    await _sent(stack, result.outbound_message_id)

    [call] = stack.fakes.wechat.calls_to("/message/custom/send")
    body = call.json
    assert body["touser"] == "oOpenId-quote-1" and body["msgtype"] == "text"
    content = body["text"]["content"]
    assert content.startswith(created.message)
    url = content.splitlines()[-1]
    status, content_type, pdf = await _get(stack, url)
    assert status == 200 and content_type == "application/pdf" and pdf == created.pdf


async def test_wecom_gets_the_pdf_itself_as_a_file(stack):
    from tests.e2e.test_webhooks import WECOM

    ref = await stack.add_channel("wecom", WECOM)
    created, approvals, user = await _setup(stack, ref, "zhangsan", "zh")
    result = await approvals.decide(stack.org_id, created.suggestion_id, user, "approve")
    await _sent(stack, result.outbound_message_id)

    [upload] = stack.fakes.wecom.uploads
    assert upload["type"] == "file" and upload["content"] == created.pdf
    assert upload["filename"] == f"{created.quote.number}.pdf"
    kinds = [(b["msgtype"], b.get("file")) for b in stack.fakes.wecom.sent]
    assert kinds == [("text", None), ("file", {"media_id": upload["media_id"]})]


async def test_a_rejected_quote_card_puts_the_quote_back_to_draft(stack):
    ref = await stack.add_channel("telegram", {"bot_token": DEFAULT_TOKEN})
    created, approvals, user = await _setup(stack, ref, "777002", "en")
    result = await approvals.decide(stack.org_id, created.suggestion_id, user, "reject")
    assert result.applied and result.outbound_message_id is None
    [row] = await stack.fetch("SELECT status FROM quotations WHERE id = $1", created.quote.id)
    assert row["status"] == "draft"
    assert stack.fakes.telegram.method_calls("sendDocument") == []


async def test_a_quote_is_not_approved_into_a_closed_whatsapp_window(stack):
    ref = await stack.add_channel("whatsapp", TWILIO)
    created, approvals, user = await _setup(stack, ref, "whatsapp:+34600000002", "es")
    async with stack.services.pool.acquire() as conn:
        await conn.execute(
            "UPDATE conversations SET last_inbound_at = now() - interval '2 days' WHERE id = $1",
            created.quote.conversation_id,
        )
    with pytest.raises(InvalidDecision, match="24 hours"):
        await approvals.decide(stack.org_id, created.suggestion_id, user, "approve")
    [row] = await stack.fetch(
        "SELECT q.status, s.status AS card FROM quotations q"
        " JOIN reply_suggestions s ON s.id = q.suggestion_id WHERE q.id = $1",
        created.quote.id,
    )
    assert (row["status"], row["card"]) == ("pending_approval", "pending")
    assert stack.fakes.twilio.sent() == []
