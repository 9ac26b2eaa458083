"""Rendering staff replies on Telegram with aiogram: messages, inline keyboards, documents,
card edits and button acknowledgements.

The ``Bot`` is the one the channel's adapter already holds (pointed at the configured API
base, the fake in tests), so the staff bot shares its HTTP session and rate of the same
token. Telegram errors are classified by the adapter's mapping
(:func:`channels.telegram.classify_error`) and become :class:`StaffBotError` here.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendDocument,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from channels.base import ChannelAdapter
from channels.errors import RateLimited, SendError
from channels.retry import RetryPolicy
from channels.telegram import BOT_API_ERRORS, TelegramAdapter, classify_error

from ..staff.commands import Button, Reply

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
TOAST_LIMIT = 200  # answerCallbackQuery text
# Staff traffic is light: a few quick retries (Telegram's retry-after honoured, capped), then
# the caller logs and moves on; a person is waiting for the answer.
RETRY = RetryPolicy(max_attempts=3, base_delay=0.2, max_delay=5.0)


class StaffBotError(Exception):
    """Telegram refused or could not be reached while talking to staff."""


def bot_of(adapter: ChannelAdapter) -> Bot:
    if not isinstance(adapter, TelegramAdapter):
        raise StaffBotError(f"staff cards need a telegram channel, not {adapter.name}")
    return adapter.bot


def keyboard(buttons: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, callback_data=b.callback_data) for b in row]
            for row in buttons
        ]
    )


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _with_retries(bot: Bot, method: TelegramMethod):
    """One Bot API call, retried when Telegram says so (its retry-after, capped) or is
    briefly unreachable (backoff); errors classified as the Telegram adapter's are."""
    for attempt in range(1, RETRY.max_attempts + 1):
        try:
            return await bot(method)
        except BOT_API_ERRORS as err:
            error = classify_error(err, bot.token)
            if attempt == RETRY.max_attempts or not error.retryable:
                raise error from err
            if isinstance(error, RateLimited):
                await asyncio.sleep(min(error.retry_after, RETRY.max_delay))
            else:
                await asyncio.sleep(RETRY.backoff(attempt))
    raise AssertionError("unreachable")


async def call(bot: Bot, method: TelegramMethod):
    """One Bot API call, retried when Telegram says so or is briefly unreachable."""
    try:
        return await _with_retries(bot, method)
    except SendError as err:
        raise StaffBotError(err.reason) from err


async def send_reply(bot: Bot, chat_id: int | str, reply: Reply) -> int:
    """Send one reply (text with its buttons, then its document); the text's message id."""
    sent = await call(
        bot,
        SendMessage(chat_id=chat_id, text=clip(reply.text), reply_markup=keyboard(reply.buttons)),
    )
    if reply.document is not None:
        doc = reply.document
        await call(
            bot,
            SendDocument(
                chat_id=chat_id,
                document=BufferedInputFile(doc.content, filename=doc.filename),
            ),
        )
    return sent.message_id


async def edit(
    bot: Bot, chat_id: int, message_id: int, text: str, buttons: list[list[Button]]
) -> None:
    """Replace a message's text and keyboard (no buttons: the keyboard goes away)."""
    try:
        await _with_retries(
            bot,
            EditMessageText(
                chat_id=chat_id,
                message_id=message_id,
                text=clip(text),
                reply_markup=keyboard(buttons),
            ),
        )
    except SendError as err:
        if err.code == "400" and "not modified" in err.reason:
            return  # the copy already shows this
        raise StaffBotError(err.reason) from err


async def acknowledge(bot: Bot, callback_query_id: str, text: str | None = None) -> None:
    """Stop the button's spinner, optionally with a short toast."""
    try:
        await call(
            bot,
            AnswerCallbackQuery(
                callback_query_id=callback_query_id, text=clip(text, TOAST_LIMIT) if text else None
            ),
        )
    except StaffBotError as err:  # a late answer (query too old) must not lose the decision
        log.info("could not answer callback query %s: %s", callback_query_id, err)
