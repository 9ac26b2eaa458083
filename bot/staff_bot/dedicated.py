"""The dedicated staff bot (config ``staff_bot``): a Telegram bot of its own for staff.

Optional: by default staff use the shop's bot. With ``staff_bot.token`` set, cards go out
through this bot and its webhook (``POST /staff/telegram/webhook``, checked against
``staff_bot.webhook_secret`` in Telegram's secret-token header) takes linking, commands and
button presses. One such bot serves every organization of the installation: a ``/link``
code names its org, and afterwards the sender's Telegram id names the user.
"""

from __future__ import annotations

import hmac
import logging

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import SetWebhook
from aiohttp import web

from channels.errors import MalformedPayload
from channels.telegram import SECRET_HEADER
from channels.telegram_parse import load_update, normalize
from storage.models import User

from ..services import Services
from ..settings import Settings
from . import telegram as tg
from .frontend import StaffGate

log = logging.getLogger(__name__)

ROUTE = "/staff/telegram/webhook"
DEFAULT_API_BASE = "https://api.telegram.org"
ALLOWED_UPDATES = ["message", "callback_query"]


def make_bot(settings: Settings) -> Bot | None:
    """The staff bot's aiogram ``Bot``, or None when none is configured (caller closes it)."""
    config = settings.staff_bot
    if config.token is None:
        return None
    base = config.api_base or settings.channels.api_base.get("telegram") or DEFAULT_API_BASE
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(base), timeout=settings.channels.http_timeout
    )
    return Bot(config.token.get_secret_value(), session=session)


async def set_webhook(settings: Settings, bot: Bot) -> str:
    """Point the staff bot at ``{public_url}/staff/telegram/webhook`` with the secret."""
    secret = settings.staff_bot.webhook_secret
    if secret is None:
        raise ValueError("staff_bot.webhook_secret is not set")
    url = settings.app.public_url.rstrip("/") + ROUTE
    await tg.call(
        bot,
        SetWebhook(
            url=url, secret_token=secret.get_secret_value(), allowed_updates=ALLOWED_UPDATES
        ),
    )
    return url


class DedicatedStaffBot:
    """The dedicated bot's webhook; answering (once per update, in the background) is the
    gate's, shared with the shop bots, and so is waiting for the answers on shutdown."""

    def __init__(self, services: Services, gate: StaffGate, bot: Bot) -> None:
        self.services = services
        self.gate = gate
        self.bot = bot

    async def receive(self, request: web.Request) -> web.Response:
        expected = self.services.settings.staff_bot.webhook_secret
        given = request.headers.get(SECRET_HEADER)
        if not given:
            return web.Response(status=401, text=f"missing {SECRET_HEADER} header")
        if expected is None or not hmac.compare_digest(
            given.encode(), expected.get_secret_value().encode()
        ):
            log.warning("staff bot webhook with a wrong secret from %s", request.remote)
            return web.Response(status=403, text=f"wrong {SECRET_HEADER}")
        try:
            message = normalize(load_update(await request.read()))
        except MalformedPayload as err:
            return web.Response(status=400, text=err.reason)
        if message.sender_id:
            key = self.services.keys.system("staff-bot-update", message.external_message_id)
            user = await self._user(message.sender_id)
            await self.gate.answer_once(key, self.bot, None, None, message, user)
        return web.Response(text="ok")

    async def _user(self, sender_id: str) -> User | None:
        if not sender_id.isdigit():
            return None
        async with self.services.pool.acquire() as conn:
            # Linked in several orgs (rare: a consultant): the earliest account answers.
            record = await conn.fetchrow(
                "SELECT * FROM users WHERE telegram_user_id = $1 AND is_active"
                " ORDER BY created_at LIMIT 1",
                int(sender_id),
            )
        return None if record is None else User.from_record(record)
