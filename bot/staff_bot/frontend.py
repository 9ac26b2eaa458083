"""The staff side of a shop's Telegram bot: who is staff, and answering them.

Staff write to the same bot as customers. :class:`StaffGate` sits in the webhook path after
the adapter has normalized the update: an update from a Telegram account linked to a user of
the channel's org, a ``/link`` command, a press on a staff button (an ``ap:…`` card button)
or a staff-only command goes to :class:`StaffBot` instead of customer intake, so staff never
become customers. Everything else passes through untouched.

Commands and buttons are looked up in the registry (:mod:`bot.staff.commands`) and checked
against the user's role there; this module only parses, refuses clearly and renders. It
works on normalized :class:`InboundMessage` fields, never on the raw Telegram payload.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING

from aiogram import Bot
from redis.exceptions import RedisError

from channels.base import ChannelAdapter
from channels.models import ChannelRef, InboundMessage
from storage.db import transaction
from storage.errors import NotFound
from storage.models import User
from storage.repositories import organizations, users

from ..approvals import Approvals
from ..services import Services
from ..staff import commands as registry
from ..staff.commands import CommandContext, Reply, as_list
from . import telegram as tg
from .linking import UNKNOWN_CODE, LinkError, org_of, redeem

if TYPE_CHECKING:  # cards imports this package: a runtime import would be a cycle
    from agents.content.studio import Studio

    from ..cards import Cards

log = logging.getLogger(__name__)

# Platforms whose bots double as the staff bot.
FRONT_ENDS = frozenset({"telegram"})
# Staff commands a customer may also type: from an unlinked account they stay customer text.
CUSTOMER_COMMANDS = frozenset({"start", "help"})
SEEN_SECONDS = 24 * 3600
# How long closing waits for staff answers in flight before cancelling them.
CLOSE_GRACE = 10.0

NOT_LINKED = (
    "This command is for the shop's staff. If you work here, ask an admin for a link code "
    "(trademate user link-code YOUR_EMAIL) and send: /link CODE"
)
HINT = "Send /help to see what you can do. New drafts reach you here as cards."


class StaffBot:
    """Answers one staff update (runs in the background of the webhook that carried it)."""

    def __init__(self, services: Services, cards: Cards, approvals: Approvals) -> None:
        registry.load_all()
        self.services = services
        self.cards = cards
        self.approvals = approvals
        # The content studio, opened once with the app (see bot.staff_bot.install).
        self.studio: Studio | None = None

    async def handle(
        self,
        bot: Bot,
        org_id: uuid.UUID | None,
        channel_id: uuid.UUID | None,
        message: InboundMessage,
        user: User | None,
    ) -> None:
        """Answer one update on ``bot``. ``org_id`` is the shop bot's org (None on the
        dedicated staff bot, which serves every org); ``channel_id`` the shop bot's channel."""
        chat_id = message.reply_target
        try:
            replies = await self.answer(org_id, channel_id, message, user)
        except Exception:  # noqa: BLE001 - the staff bot's one error handler: say so, keep serving
            log.exception(
                "staff update %s failed (org=%s channel=%s)",
                message.external_message_id,
                org_id,
                channel_id,
            )
            replies = [Reply("Sorry, that failed on our side. Please try again.", notice=True)]
        if message.content_type == "button":
            notice = next((r for r in replies if r.notice), None)
            # A toast holds 200 characters for a few seconds: a longer notice is sent as a
            # message instead of being cut off.
            toast = notice if notice is not None and len(notice.text) <= tg.TOAST_LIMIT else None
            query_id = message.extra.get("callback_query_id")
            if query_id:
                await tg.acknowledge(bot, str(query_id), toast.text if toast else None)
            replies = [r for r in replies if not r.notice or (r is notice and toast is None)]
        for reply in replies:
            try:
                await tg.send_reply(bot, chat_id, reply)
            except tg.StaffBotError as err:
                log.warning("staff reply to chat %s failed: %s (org=%s)", chat_id, err, org_id)

    async def answer(
        self,
        org_id: uuid.UUID | None,
        channel_id: uuid.UUID | None,
        message: InboundMessage,
        user: User | None,
    ) -> list[Reply]:
        if message.content_type == "event":
            return []  # joined, blocked the bot...: nothing to answer
        command = message.extra.get("command")
        if command == "/link":
            return [await self._link(org_id, channel_id, message)]
        if user is None:
            return [Reply(NOT_LINKED, notice=message.content_type == "button")]
        ctx = CommandContext(
            self.services,
            user.org_id,
            user,
            extra={
                "chat_id": message.reply_target,
                "approvals": self.approvals,
                "on_decided": self.cards.decided,
                "studio": self.studio,
            },
        )
        if message.content_type == "button":
            return await self._button(ctx, message.button_payload or "")
        if command:
            return await self._command(ctx, command, message.extra.get("command_args", ""))
        text = (message.text or "").strip()
        if text:
            from ..staff.inbox import finish_edit

            done = await finish_edit(ctx, text)
            if done is not None:
                return as_list(done)
        return [Reply(HINT)]

    async def _button(self, ctx: CommandContext, data: str) -> list[Reply]:
        prefix, _, payload = data.partition(":")
        handler = registry.CALLBACKS.get(prefix)
        if handler is None:
            return [Reply("That button no longer works.", notice=True)]
        if not handler.allowed(ctx.user.role):
            return [Reply(f"Your role ({ctx.user.role}) can't do that.", notice=True)]
        ctx.args = payload
        return as_list(await handler.handler(ctx))

    async def _command(self, ctx: CommandContext, command: str, args: str) -> list[Reply]:
        found = registry.COMMANDS.get(command[1:].lower())
        if found is None:
            return [Reply(f"Unknown command {command}. Send /help to see what you can do.")]
        if not found.allowed(ctx.user.role):
            return [
                Reply(
                    f"{command} needs the {found.min_role} role or higher; "
                    f"your role is {ctx.user.role}."
                )
            ]
        ctx.args = args.strip()
        return as_list(await found.handler(ctx))

    async def _link(
        self, org_id: uuid.UUID | None, channel_id: uuid.UUID | None, message: InboundMessage
    ) -> Reply:
        code = str(message.extra.get("command_args", "")).strip()
        if not code:
            return Reply("Send /link followed by the code from `trademate user link-code`.")
        if not message.sender_id.isdigit():
            return Reply("Linking works from a personal Telegram account.")
        try:
            async with transaction(self.services.pool) as conn:
                org_id = org_id or await org_of(conn, code)
                if org_id is None:
                    raise LinkError(UNKNOWN_CODE)
                user = await redeem(conn, org_id, code, int(message.sender_id), channel_id)
                org = await organizations.get(conn, org_id)
        except LinkError as err:
            log.info("link refused for telegram user %s: %s", message.sender_id, err)
            return Reply(str(err))
        log.info("telegram user %s linked to user %s (org=%s)", message.sender_id, user.id, org.id)
        return Reply(
            f"Linked ✓ You are {user.display_name or user.email} ({user.role}) at {org.name}. "
            "New drafts will reach you here as cards. Send /help to see commands."
        )


class StaffGate:
    """Takes staff updates out of a webhook's messages and answers them in the background."""

    def __init__(self, services: Services, cards: Cards, approvals: Approvals) -> None:
        self.services = services
        self.bot = StaffBot(services, cards, approvals)
        self._tasks: set[asyncio.Task] = set()

    async def divert(
        self, ref: ChannelRef, adapter: ChannelAdapter, messages: tuple[InboundMessage, ...]
    ) -> tuple[InboundMessage, ...]:
        """The messages that are the customers'; staff ones are being answered."""
        if ref.platform not in FRONT_ENDS:
            return messages
        customers: list[InboundMessage] = []
        for message in messages:
            user = await self._linked(ref.org_id, message.sender_id)
            staff_shaped = _staff_shaped(message)
            # Staff talking in a group chat the bot is in are part of that conversation, not
            # talking to the bot: keep their words with it, and don't answer in the group.
            in_group = message.extra.get("chat_type", "private") != "private"
            if not staff_shaped and (user is None or in_group):
                customers.append(message)
            else:
                key = self.services.keys.org(
                    ref.org_id, "staff-update", ref.id, message.external_message_id
                )
                await self.answer_once(key, tg.bot_of(adapter), ref.org_id, ref.id, message, user)
        return tuple(customers)

    async def answer_once(
        self,
        key: str,
        bot: Bot,
        org_id: uuid.UUID | None,
        channel_id: uuid.UUID | None,
        message: InboundMessage,
        user: User | None,
    ) -> None:
        """Answer ``message`` in the background, once per ``key`` (Telegram redelivers an
        update it thinks we missed); the shop bots' updates and the dedicated staff bot's
        come through here, so :meth:`aclose` waits for all of them."""
        if not await first_time(self.services, key):
            return
        task = asyncio.create_task(self.bot.handle(bot, org_id, channel_id, message, user))
        self._tasks.add(task)  # referenced until done: a bare task may be collected mid-flight
        task.add_done_callback(self._tasks.discard)

    async def _linked(self, org_id: uuid.UUID, sender_id: str) -> User | None:
        if not sender_id.isdigit():
            return None
        async with self.services.pool.acquire() as conn:
            try:
                return await users.get_by_telegram(conn, org_id, int(sender_id))
            except NotFound:
                return None

    async def aclose(self, grace: float = CLOSE_GRACE) -> None:
        """Let answers in flight finish (the server is stopping), for ``grace`` seconds at
        most; whatever still runs then is cancelled and awaited, so nothing is left using the
        studio, its LLM gateway or the pool that close right after this."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            log.warning("staff answer still running at shutdown: cancelled (%s)", task)
            task.cancel()
        # Errors of the answers themselves were logged by StaffBot.handle.
        await asyncio.gather(*pending, return_exceptions=True)


async def first_time(services: Services, key: str) -> bool:
    """Telegram redelivers an update it thinks we missed; answer it once."""
    try:
        return bool(await services.redis.set(key, "1", nx=True, ex=SEEN_SECONDS))
    except (RedisError, OSError) as err:
        log.warning("staff update dedupe unavailable (%s): answering anyway", err)
        return True


def _staff_shaped(message: InboundMessage) -> bool:
    """Updates that belong to the staff bot even from an account that isn't linked (yet)."""
    command = str(message.extra.get("command") or "")
    if command == "/link":
        return True
    if message.content_type == "button":
        prefix = (message.button_payload or "").partition(":")[0]
        return prefix in registry.CALLBACKS
    name = command[1:].lower()
    return bool(name) and name in registry.COMMANDS and name not in CUSTOMER_COMMANDS
