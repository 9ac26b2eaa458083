"""Staff replies rendered through aiogram against the fake Bot API: text, inline keyboards
from ``Reply.buttons``, documents from ``Reply.document``, card edits, toasts, errors."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.staff.commands import Button, Document, Reply
from bot.staff_bot import telegram as tg
from channels.errors import ChannelAuthError
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI


@pytest.fixture
async def api():
    async with FakeTelegramAPI() as fake:
        session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
        bot = Bot(DEFAULT_TOKEN, session=session)
        try:
            yield fake, bot
        finally:
            await session.close()


async def test_a_reply_with_buttons_and_a_document(api):
    fake, bot = api
    reply = Reply(
        "Quote Q-2026-0001 ready",
        [
            [Button("✅ Approve", "qt:ok:1"), Button("❌ Reject", "qt:no:1")],
            [Button("More", "ib:2")],
        ],
        Document("Q-2026-0001.pdf", b"%PDF-1.4 fake"),
    )
    message_id = await tg.send_reply(bot, 4242, reply)
    [(m1, text), (m2, doc)] = fake.sent_messages()
    assert (m1, m2) == ("sendMessage", "sendDocument")
    assert text["text"] == "Quote Q-2026-0001 ready" and message_id >= 1001
    assert text["reply_markup"]["inline_keyboard"] == [
        [
            {"text": "✅ Approve", "callback_data": "qt:ok:1"},
            {"text": "❌ Reject", "callback_data": "qt:no:1"},
        ],
        [{"text": "More", "callback_data": "ib:2"}],
    ]
    uploaded = doc[doc["document"].removeprefix("attach://")]  # multipart, as Telegram takes it
    assert uploaded == {"filename": "Q-2026-0001.pdf", "content": b"%PDF-1.4 fake"}


async def test_long_text_is_clipped_and_plain_replies_have_no_keyboard(api):
    fake, bot = api
    await tg.send_reply(bot, 4242, Reply("x" * 5000))
    [(_, params)] = fake.sent_messages()
    assert len(params["text"]) == 4096 and params["text"].endswith("…")
    assert "reply_markup" not in params


async def test_editing_a_card_replaces_its_text_and_drops_the_keyboard(api):
    fake, bot = api
    await tg.edit(bot, 4242, 1001, "✅ Approved by Ana", [])
    [(method, params)] = fake.edits()
    assert method == "editMessageText" and params["text"] == "✅ Approved by Ana"
    assert int(params["message_id"]) == 1001 and "reply_markup" not in params


async def test_a_toast_answers_the_button_and_errors_become_staff_bot_errors(api):
    fake, bot = api
    await tg.acknowledge(bot, "cbq-1", "Approved ✓")
    [(_, params)] = fake.method_calls("answerCallbackQuery")
    assert params == {"callback_query_id": "cbq-1", "text": "Approved ✓"}
    fake.fail_with(403, "Forbidden: bot was blocked by the user")
    with pytest.raises(tg.StaffBotError, match="blocked"):
        await tg.send_reply(bot, 4242, Reply("hello"))
    fake.fail_with(400, "Bad Request: query is too old")
    await tg.acknowledge(bot, "cbq-2")  # a late answer is logged, never raised


async def test_rate_limits_and_server_errors_are_retried_then_given_up(api):
    fake, bot = api
    fake.fail_with(429, "Too Many Requests: retry after 1", retry_after=1)
    fake.fail_with(502, "Bad Gateway")
    await tg.send_reply(bot, 4242, Reply("third time lucky"))
    assert len(fake.method_calls("sendMessage")) == 3  # two refusals, then the message
    fake.fail_with(502, "Bad Gateway", times=3)
    with pytest.raises(tg.StaffBotError, match="Bad Gateway"):
        await tg.send_reply(bot, 4242, Reply("never"))


async def test_errors_are_classified_by_the_telegram_adapters_mapping(api):
    fake, bot = api
    fake.fail_with(401, "Unauthorized")
    with pytest.raises(tg.StaffBotError, match="Unauthorized") as caught:
        await tg.send_reply(bot, 4242, Reply("hello"))
    assert isinstance(caught.value.__cause__, ChannelAuthError)
    assert len(fake.method_calls("sendMessage")) == 1  # auth errors are not retried
    fake.fail_with(400, "Bad Request: message is not modified")
    await tg.edit(bot, 4242, 1001, "✅ Approved by Ana", [])  # nothing to change: fine
