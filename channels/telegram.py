"""Telegram: a bot per channel, through aiogram 3 against the Bot API.

Inbound: Telegram calls our webhook with the ``secret_token`` we gave ``setWebhook`` in the
``X-Telegram-Bot-Api-Secret-Token`` header; the body is one Update, normalized by
:mod:`channels.telegram_parse`. Outbound: aiogram's ``Bot`` on an ``AiohttpSession`` pointed
at ``env.api_base("telegram")`` (a local fake in tests). Every Bot API call goes through
:meth:`TelegramAdapter._call`, the one place vendor errors become :mod:`channels.errors`.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any, TypeVar

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    GetMe,
    SendAudio,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendSticker,
    SendVideo,
    SetWebhook,
    TelegramMethod,
)
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
    ReplyParameters,
)
from pydantic import field_validator

from .base import Capabilities, ChannelAdapter, ChannelConfig, ChannelEnvironment
from .errors import (
    ChannelAuthError,
    ChannelConfigError,
    PermanentError,
    RateLimited,
    SendError,
    TransientError,
    WebhookAuthError,
)
from .models import ChannelRef, Media, OutboundMessage, SendReceipt, WebhookRequest, WebhookResult
from .registry import register
from .telegram_parse import load_update, normalize

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_API_BASE = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# What we ask Telegram to deliver. my_chat_member tells us when a customer blocks the bot.
ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "my_chat_member",
]
CAPTION_LIMIT = 1024  # characters; longer text goes in its own message
CALLBACK_DATA_LIMIT = 64  # bytes, UTF-8
MEDIA_GROUP_LIMIT = 10
_TOKEN = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{10,}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token


class TelegramConfig(ChannelConfig):
    """A bot made with @BotFather: its token and, optionally, its @username."""

    bot_token: str
    bot_username: str | None = None

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        value = value.strip()
        if not _TOKEN.match(value):
            # Never echo the token: configs are secrets and errors end up in logs.
            raise ValueError(
                "expected a BotFather token: digits, a colon, then letters, digits, _ or -"
            )
        return value

    @field_validator("bot_username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return value.strip().removeprefix("@") or None


@register
class TelegramAdapter(ChannelAdapter):
    """One Telegram bot. The aiogram ``Bot`` (and its HTTP session) is made on first use,
    so verifying and parsing webhooks never opens a connection."""

    name = "telegram"
    config_model = TelegramConfig
    capabilities = Capabilities(buttons=True, max_text_length=4096)

    config: TelegramConfig

    def __init__(self, ref: ChannelRef, env: ChannelEnvironment) -> None:
        super().__init__(ref, env)
        self._bot: Bot | None = None

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            api = TelegramAPIServer.from_base(self.env.api_base(self.name, DEFAULT_API_BASE))
            session = AiohttpSession(api=api, timeout=self.env.http_timeout)
            self._bot = Bot(self.config.bot_token, session=session)
        return self._bot

    # --- inbound -------------------------------------------------------------------------
    def verify(self, request: WebhookRequest) -> None:
        given = request.header(SECRET_HEADER)
        if not given:
            raise WebhookAuthError(f"missing {SECRET_HEADER} header", status=401)
        expected = self.ref.webhook_secret
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookAuthError(f"wrong {SECRET_HEADER}", status=403)

    def parse(self, request: WebhookRequest) -> WebhookResult:
        message = normalize(load_update(request.body))
        log.debug(
            "telegram update parsed: %s %s channel=%s",
            message.content_type,
            message.external_message_id,
            self.ref.id,
        )
        return WebhookResult(messages=(message,))

    # --- outbound ------------------------------------------------------------------------
    async def send(self, message: OutboundMessage) -> SendReceipt:
        sent: list[Message] = []
        for method in _plan(message):
            result = await self._call(method)
            sent.extend(result if isinstance(result, list) else [result])
        last = sent[-1]
        return SendReceipt(
            external_message_id=f"{last.chat.id}:{last.message_id}",
            raw={"message_ids": [f"{m.chat.id}:{m.message_id}" for m in sent]},
        )

    async def register_webhook(self) -> str | None:
        """Point the bot at our webhook URL with the channel's secret; nothing to paste."""
        if not _SECRET.match(self.ref.webhook_secret or ""):
            raise ChannelConfigError(
                "telegram webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        url = self.env.webhook_url(self.ref)
        await self._call(
            SetWebhook(
                url=url, secret_token=self.ref.webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
        )
        log.info("telegram webhook set: url=%s channel=%s", url, self.ref.id)
        return None

    async def get_me(self) -> str:
        """The bot's @username (without the @): proves the token works."""
        me = await self._call(GetMe())
        return me.username or ""

    async def aclose(self) -> None:
        if self._bot is not None:
            bot, self._bot = self._bot, None
            await bot.session.close()

    async def _call(self, method: TelegramMethod[T]) -> T:
        """Run one Bot API method; the only place Telegram errors are translated."""
        try:
            return await self.bot(method)
        except BOT_API_ERRORS as err:
            raise classify_error(err, self.config.bot_token) from err


# What a Bot API call can raise; every one of them is classified by classify_error.
BOT_API_ERRORS = (AiogramError, TimeoutError, aiohttp.ClientError)


def classify_error(err: BaseException, token: str) -> SendError:
    """The one mapping of Telegram's errors onto :mod:`channels.errors` (rate limited,
    transient, auth, permanent); the staff bot's calls use it too."""
    # aiohttp error texts can include the request URL, which contains the token.
    reason = str(err).replace(token, "<token>") or type(err).__name__
    match err:
        case TelegramRetryAfter():
            return RateLimited(reason, retry_after=float(err.retry_after), code="429")
        case TelegramUnauthorizedError():
            return ChannelAuthError(reason, code="401")
        case TelegramEntityTooLarge():  # a TelegramNetworkError subclass: keep it before
            return PermanentError(reason, code="413")
        case TelegramMigrateToChat():
            return PermanentError(reason, code="migrated")  # the reason names the new chat
        case TelegramForbiddenError():  # the user blocked the bot, or kicked it
            return PermanentError(reason, code="403")
        case TelegramBadRequest():
            return PermanentError(reason, code="400")
        case TelegramNotFound():
            return PermanentError(reason, code="404")
        case TelegramConflictError():
            return PermanentError(reason, code="409")
        case TelegramServerError():
            return TransientError(reason, code="5xx")
        case TelegramNetworkError() | TimeoutError() | aiohttp.ClientError():
            return TransientError(reason, code="network")
        case ClientDecodeError():  # e.g. a proxy's HTML 502 page instead of JSON
            return TransientError(reason, code="bad_response")
    return PermanentError(reason, code=type(err).__name__)


# --- building the calls for one outbound message --------------------------------------------
def _plan(message: OutboundMessage) -> list[TelegramMethod[Any]]:
    """The Bot API calls that deliver ``message``, validated before anything is sent.

    Text alone: sendMessage. One media: send<Kind> with the text as caption when it fits.
    Several: one sendMediaGroup (Telegram delivers an album atomically). Buttons ride on the
    last message that can carry them; the reply reference on the first.
    """
    chat_id = _chat_id(message.recipient_id)
    text = message.text or None
    markup = _keyboard(message)
    reply = _reply_parameters(message.reply_to_external_id)
    media = message.media
    if not text and not media:
        raise PermanentError("nothing to send: no text and no media", code="empty")
    calls: list[TelegramMethod[Any]] = []
    captioned = False  # did the text travel as a media caption?
    if len(media) == 1:
        captionable = media[0].kind != "sticker" and len(text or "") <= CAPTION_LIMIT
        captioned = captionable and text is not None
        buttons_here = captioned or text is None
        calls.append(
            _single_media(
                chat_id,
                media[0],
                caption=text if captioned else None,
                markup=markup if buttons_here else None,
                reply=reply,
            )
        )
    elif media:
        if len(media) > MEDIA_GROUP_LIMIT:
            raise PermanentError(f"telegram albums hold at most {MEDIA_GROUP_LIMIT} media")
        if markup is not None and text is None:
            raise PermanentError("buttons with several media need a text to attach to")
        # An album can't carry buttons: with buttons the text goes in its own message.
        captioned = text is not None and markup is None and len(text) <= CAPTION_LIMIT
        items = [
            _input_media(m, text if captioned and i == 0 else None) for i, m in enumerate(media)
        ]
        calls.append(SendMediaGroup(chat_id=chat_id, media=items, reply_parameters=reply))
    if text is not None and not captioned:
        calls.append(
            SendMessage(
                chat_id=chat_id,
                text=text,
                reply_markup=markup,
                reply_parameters=None if calls else reply,
            )
        )
    return calls


def _single_media(
    chat_id: int | str,
    media: Media,
    *,
    caption: str | None,
    markup: InlineKeyboardMarkup | None,
    reply: ReplyParameters | None,
) -> TelegramMethod[Message]:
    source = _source(media)
    common: dict[str, Any] = {"chat_id": chat_id, "reply_markup": markup, "reply_parameters": reply}
    if media.kind == "sticker":
        return SendSticker(sticker=source, **common)
    method, field = {
        "image": (SendPhoto, "photo"),
        "video": (SendVideo, "video"),
        "audio": (SendAudio, "audio"),
        "document": (SendDocument, "document"),
    }[media.kind]
    return method(**{field: source}, caption=caption, **common)


def _input_media(media: Media, caption: str | None) -> Any:
    kinds = {
        "image": InputMediaPhoto,
        "video": InputMediaVideo,
        "audio": InputMediaAudio,
        "document": InputMediaDocument,
    }
    if media.kind not in kinds:
        raise PermanentError(f"a {media.kind} can't be part of a telegram album")
    return kinds[media.kind](media=_source(media), caption=caption)


def _source(media: Media) -> str:
    """A file_id we received earlier, or a URL Telegram fetches itself."""
    source = media.platform_media_id or media.url
    if not source:
        raise PermanentError(f"{media.kind} has neither a url nor a platform_media_id")
    return source


def _keyboard(message: OutboundMessage) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    for button in message.buttons:
        if len(button.payload.encode()) > CALLBACK_DATA_LIMIT:
            raise PermanentError(
                f"button payload longer than {CALLBACK_DATA_LIMIT} bytes: {button.payload[:20]!r}…",
                code="button_payload_too_long",
            )
    rows = [[InlineKeyboardButton(text=b.text, callback_data=b.payload)] for b in message.buttons]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _reply_parameters(external_id: str | None) -> ReplyParameters | None:
    """``"chat:msg"`` (or an edit's ``"chat:msg:edit:ts"``) → quote that message; other ids
    (button presses, events) name no message and are ignored."""
    chat, _, rest = (external_id or "").partition(":")
    message_id = rest.split(":", 1)[0]
    if not (chat.lstrip("-").isdigit() and message_id.isdigit()):
        return None
    return ReplyParameters(
        message_id=int(message_id),
        chat_id=int(chat),
        # A deleted original shouldn't turn a good answer into a permanent failure.
        allow_sending_without_reply=True,
    )


def _chat_id(recipient: str) -> int | str:
    return int(recipient) if recipient.lstrip("-").isdigit() else recipient
