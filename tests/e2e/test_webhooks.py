"""Webhooks over HTTP on every platform: verified, stored once, processed once, answered."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.fakes.telegram_api import DEFAULT_TOKEN
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SANDBOX_FROM, sign_twilio_request
from tests.fakes.wechat_api import encrypt_wecom_inbound, plain_query, wecom_url_check

WEBHOOKS = Path(__file__).resolve().parents[3] / "shared" / "data" / "webhooks"
pytestmark = pytest.mark.skipif(not WEBHOOKS.is_dir(), reason=f"shared data missing: {WEBHOOKS}")

WECHAT = {"app_id": "wx0123456789abcdef", "app_secret": "oa-secret", "token": "wechat-token"}
WECOM_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
WECOM = {
    "corp_id": "ww0123456789abcdef",
    "secret": "app-secret",
    "agent_id": 1000002,
    "token": "wecom-token",
    "encoding_aes_key": WECOM_KEY,
}
TWILIO = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": SANDBOX_FROM}


async def _count_messages(stack, ref) -> int:
    rows = await stack.fetch("SELECT count(*) AS n FROM messages WHERE channel_id = $1", ref.id)
    return rows[0]["n"]


# --- Telegram ----------------------------------------------------------------------------
def _telegram_update() -> bytes:
    return (WEBHOOKS / "telegram/official_webhooks_guide/02_message_text_command.json").read_bytes()


async def test_telegram_message_is_stored_once_and_processed_once(stack):
    ref = await stack.add_channel("telegram", {"bot_token": DEFAULT_TOKEN})
    headers = {"X-Telegram-Bot-Api-Secret-Token": ref.webhook_secret}
    for _ in range(3):  # Telegram retries until it gets a 200
        async with stack.http.post(stack.url(ref), data=_telegram_update(), headers=headers) as r:
            assert r.status == 200
    assert await _count_messages(stack, ref) == 1
    [row] = await stack.fetch("SELECT id, content FROM messages WHERE channel_id = $1", ref.id)
    assert row["content"] == "/start"
    await stack.wait_for(
        "SELECT processing_status FROM messages WHERE id = $1", row["id"], expect="processed"
    )
    assert stack.handled.count(row["id"]) == 1


async def test_unsigned_and_forged_telegram_webhooks_are_refused_with_a_log_line(stack, caplog):
    ref = await stack.add_channel("telegram", {"bot_token": DEFAULT_TOKEN})
    with caplog.at_level(logging.WARNING, logger="bot.webhooks"):
        async with stack.http.post(stack.url(ref), data=_telegram_update()) as r:
            assert r.status == 401
        forged = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
        async with stack.http.post(stack.url(ref), data=_telegram_update(), headers=forged) as r:
            assert r.status == 403
    assert await _count_messages(stack, ref) == 0
    refused = [rec for rec in caplog.records if "webhook refused" in rec.getMessage()]
    assert len(refused) == 2 and str(ref.id) in refused[0].getMessage()


async def test_a_malformed_body_gets_400_and_is_kept_for_inspection(stack):
    ref = await stack.add_channel("telegram", {"bot_token": DEFAULT_TOKEN})
    headers = {"X-Telegram-Bot-Api-Secret-Token": ref.webhook_secret}
    async with stack.http.post(stack.url(ref), data=b"{not json", headers=headers) as r:
        assert r.status == 400
    [kept] = await stack.fetch(
        "SELECT status_code, body, headers, org_id FROM webhook_rejects WHERE channel_id = $1",
        ref.id,
    )
    assert kept["status_code"] == 400 and bytes(kept["body"]) == b"{not json"
    assert kept["org_id"] == ref.org_id
    assert "x-telegram-bot-api-secret-token" not in kept["headers"]  # no credential kept


async def test_unknown_channels_and_wrong_platforms_get_404(stack):
    ref = await stack.add_channel("telegram", {"bot_token": DEFAULT_TOKEN})
    async with stack.http.post(f"{stack.base_url}/webhooks/telegram/not-a-uuid", data=b"{}") as r:
        assert r.status == 404
    wrong = f"{stack.base_url}/webhooks/whatsapp/{ref.id}"
    async with stack.http.post(wrong, data=b"{}") as r:
        assert r.status == 404
    async with stack.http.get(stack.url(ref)) as r:
        assert r.status == 405  # Telegram has no GET handshake


# --- WhatsApp via Twilio -----------------------------------------------------------------
def _twilio_inbound(sid: str, body: str = "Hi, price for 500 pcs?") -> dict[str, str]:
    return {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Lucía",
        "MessageType": "text",
        "WaId": "34600000001",
        "SmsStatus": "received",
        "Body": body,
        "To": SANDBOX_FROM,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": "whatsapp:+34600000001",
        "ApiVersion": "2010-04-01",
    }


async def _post_twilio(stack, ref, params, *, signature=None):
    url = stack.url(ref)
    signature = signature or sign_twilio_request(url, params, AUTH_TOKEN)
    headers = {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with stack.http.post(url, data=urlencode(params), headers=headers) as response:
        return response.status, await response.text()


async def test_signed_whatsapp_message_is_stored_once_and_answered_with_twiml(stack):
    ref = await stack.add_channel("whatsapp", TWILIO)
    params = _twilio_inbound("SM" + "a" * 32)
    for _ in range(3):
        status, text = await _post_twilio(stack, ref, params)
        assert status == 200 and "<Response>" in text
    assert await _count_messages(stack, ref) == 1
    [customer] = await stack.fetch(
        "SELECT c.display_name FROM customers c JOIN customer_identities i ON i.customer_id = c.id"
        " WHERE i.channel_id = $1 AND i.external_id = 'whatsapp:+34600000001'",
        ref.id,
    )
    assert customer["display_name"] == "Lucía"


async def test_forged_twilio_signature_is_refused(stack):
    ref = await stack.add_channel("whatsapp", TWILIO)
    status, _ = await _post_twilio(stack, ref, _twilio_inbound("SM" + "b" * 32), signature="bad=")
    assert status == 403
    assert await _count_messages(stack, ref) == 0


async def test_reply_goes_out_through_twilio_and_the_status_callback_marks_it_delivered(stack):
    ref = await stack.add_channel("whatsapp", TWILIO)
    status, _ = await _post_twilio(stack, ref, _twilio_inbound("SM" + "c" * 32))
    assert status == 200
    [inbound] = await stack.fetch(
        "SELECT conversation_id, customer_id FROM messages WHERE channel_id = $1", ref.id
    )
    message_id = await _queue_reply(stack, ref, inbound, "Hola Lucía, 500 pcs cost 2.10 USD each.")
    sid = await stack.wait_for(
        "SELECT external_message_id IS NOT NULL FROM messages WHERE id = $1", message_id
    )
    assert sid
    [sent] = stack.fakes.twilio.sent()
    assert sent["To"] == "whatsapp:+34600000001" and sent["Body"].startswith("Hola Lucía")
    assert sent["StatusCallback"] == stack.url(ref)  # callbacks come back to this route
    [row] = await stack.fetch("SELECT external_message_id FROM messages WHERE id = $1", message_id)

    callback = {
        "MessageSid": row["external_message_id"],
        "MessageStatus": "delivered",
        "AccountSid": ACCOUNT_SID,
        "From": SANDBOX_FROM,
        "To": "whatsapp:+34600000001",
    }
    status, _ = await _post_twilio(stack, ref, callback)
    assert status == 200
    await stack.wait_for(
        "SELECT status FROM messages WHERE id = $1", message_id, expect="delivered"
    )


async def _queue_reply(stack, ref, inbound, text: str, **metadata):
    from storage.repositories import messages

    async with stack.services.pool.acquire() as conn:
        row = await messages.insert_outbound(
            conn,
            org_id=ref.org_id,
            conversation_id=inbound["conversation_id"],
            channel_id=ref.id,
            customer_id=inbound["customer_id"],
            content=text,
            metadata=metadata,
        )
    await stack.runtime.outbound_queue.publish([(ref.org_id, row.id)])
    return row.id


async def test_a_reply_published_twice_is_sent_once(stack):
    ref = await stack.add_channel("whatsapp", TWILIO)
    await _post_twilio(stack, ref, _twilio_inbound("SM" + "d" * 32))
    [inbound] = await stack.fetch(
        "SELECT conversation_id, customer_id FROM messages WHERE channel_id = $1", ref.id
    )
    message_id = await _queue_reply(stack, ref, inbound, "Once only")
    await stack.runtime.outbound_queue.publish([(ref.org_id, message_id)])
    await stack.wait_for("SELECT status FROM messages WHERE id = $1", message_id, expect="sent")
    assert len(stack.fakes.twilio.sent()) == 1


async def test_429_is_waited_out_and_the_message_sent_once(stack):
    ref = await stack.add_channel("whatsapp", TWILIO)
    await _post_twilio(stack, ref, _twilio_inbound("SM" + "e" * 32))
    [inbound] = await stack.fetch(
        "SELECT conversation_id, customer_id FROM messages WHERE channel_id = $1", ref.id
    )
    stack.fakes.twilio.fail_next(
        429,
        {"code": 20429, "message": "Too Many Requests", "status": 429},
        headers={"Retry-After": "1"},
    )
    stack.fakes.twilio.fail_next(503, {"code": 20503, "message": "Unavailable", "status": 503})
    message_id = await _queue_reply(stack, ref, inbound, "Eventually")
    await stack.wait_for("SELECT status FROM messages WHERE id = $1", message_id, expect="sent")
    creates = [c for c in stack.fakes.twilio.calls if c.path.endswith("/Messages.json")]
    assert len(creates) == 3  # 429, 503, then success
    assert len(stack.fakes.twilio.sent()) == 3  # every attempt reached the API...
    assert sum(1 for m in stack.fakes.twilio.messages.values()) == 1  # ...one was created


async def test_whatsapp_outside_24_hours_refuses_free_form_but_sends_a_template(stack):
    ref = await stack.add_channel("whatsapp", TWILIO)
    await _post_twilio(stack, ref, _twilio_inbound("SM" + "f" * 32))
    [inbound] = await stack.fetch(
        "SELECT conversation_id, customer_id FROM messages WHERE channel_id = $1", ref.id
    )
    async with stack.services.pool.acquire() as conn:
        await conn.execute(
            "UPDATE conversations SET last_inbound_at = now() - interval '25 hours' WHERE id = $1",
            inbound["conversation_id"],
        )
    late = await _queue_reply(stack, ref, inbound, "Are you still interested?")
    await stack.wait_for("SELECT status FROM messages WHERE id = $1", late, expect="failed")
    [row] = await stack.fetch("SELECT error FROM messages WHERE id = $1", late)
    assert "WindowClosed" in row["error"] and "template" in row["error"]
    assert stack.fakes.twilio.sent() == []

    template = {"name": "HX" + "1" * 32, "variables": {"1": "Lucía"}}
    ok = await _queue_reply(stack, ref, inbound, None, template=template)
    await stack.wait_for("SELECT status FROM messages WHERE id = $1", ok, expect="sent")
    [sent] = stack.fakes.twilio.sent()
    assert sent["ContentSid"] == template["name"]
    assert json.loads(sent["ContentVariables"]) == {"1": "Lucía"}


# --- WeChat Official Account and WeCom ---------------------------------------------------
async def test_wechat_handshake_and_plaintext_message(stack):
    ref = await stack.add_channel("wechat", WECHAT)
    query = {**plain_query(WECHAT["token"]), "echostr": "hello-wechat"}
    async with stack.http.get(stack.url(ref), params=query) as r:
        assert r.status == 200 and await r.text() == "hello-wechat"
    forged = {**query, "signature": "0" * 40}
    async with stack.http.get(stack.url(ref), params=forged) as r:
        assert r.status == 403

    xml = (
        WEBHOOKS / "wechat/official_account_xml/test_parser__test_parse_text_message.xml"
    ).read_bytes()
    signed = plain_query(WECHAT["token"])
    for _ in range(3):
        async with stack.http.post(stack.url(ref), params=signed, data=xml) as r:
            assert r.status == 200 and await r.text() == "success"
    assert await _count_messages(stack, ref) == 1


@pytest.mark.parametrize("errcode", [45015, 45047])
async def test_wechat_reply_limit_fails_the_message_once_with_a_reason_staff_can_read(
    stack, errcode
):
    """WeChat's own limits (48 h since the last interaction; the customer-service message
    count) are refused by the platform even when our record says the window is open: the
    reply fails at once, without retries, and the message row says why."""
    ref = await stack.add_channel("wechat", WECHAT)
    xml = (
        WEBHOOKS / "wechat/official_account_xml/test_parser__test_parse_text_message.xml"
    ).read_bytes()
    async with stack.http.post(stack.url(ref), params=plain_query(WECHAT["token"]), data=xml):
        pass
    [inbound] = await stack.fetch(
        "SELECT conversation_id, customer_id FROM messages WHERE channel_id = $1", ref.id
    )
    async with stack.services.pool.acquire() as conn:  # our own 48-hour check lets it through
        await conn.execute(
            "UPDATE conversations SET last_inbound_at = now() WHERE id = $1",
            inbound["conversation_id"],
        )
    stack.fakes.wechat.fail_next(
        200, {"errcode": errcode, "errmsg": "limit"}, path_contains="custom/send"
    )
    reply = await _queue_reply(stack, ref, inbound, "Still interested?")
    await stack.wait_for("SELECT status FROM messages WHERE id = $1", reply, expect="failed")
    [row] = await stack.fetch("SELECT error FROM messages WHERE id = $1", reply)
    assert row["error"].startswith("WindowClosed: not sent:") and "write again" in row["error"]
    assert len(stack.fakes.wechat.calls_to("custom/send")) == 1
    assert stack.fakes.wechat.sent == []


async def test_wecom_url_check_and_encrypted_message(stack):
    ref = await stack.add_channel("wecom", WECOM)
    check = wecom_url_check(WECOM["token"], WECOM_KEY, WECOM["corp_id"], "echo-1234")
    async with stack.http.get(stack.url(ref), params=check) as r:
        assert r.status == 200 and await r.text() == "echo-1234"

    xml = (WEBHOOKS / "wechat/wecom_xml/test_work_parser__test_parse_text_message.xml").read_text()
    query, body = encrypt_wecom_inbound(xml, WECOM["token"], WECOM_KEY, WECOM["corp_id"])
    for _ in range(3):
        async with stack.http.post(stack.url(ref), params=query, data=body) as r:
            assert r.status == 200
    assert await _count_messages(stack, ref) == 1
    unsigned = {k: v for k, v in query.items() if k != "msg_signature"}
    async with stack.http.post(stack.url(ref), params=unsigned, data=body) as r:
        assert r.status == 401
