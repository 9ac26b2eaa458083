"""Normalized messages: what every adapter produces and consumes.

Nothing outside ``channels/`` reads a platform payload; it reads these. All fields are plain
data (JSON-serialisable through :func:`dataclasses.asdict`), times are timezone-aware UTC.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

ContentType = Literal[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "location",
    "sticker",
    "contact",
    "event",
    "button",
    "link",
]
DeliveryState = Literal["queued", "sent", "delivered", "read", "failed", "undelivered"]


@dataclass(frozen=True)
class ChannelRef:
    """Which channel a message came through or goes out on (a ``channels`` row, decrypted)."""

    id: uuid.UUID
    org_id: uuid.UUID
    platform: str
    config: Mapping[str, Any]
    webhook_secret: str


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request as the adapter sees it, independent of the web framework.

    ``url`` is the public URL the platform called (signatures cover it), which behind a proxy
    differs from the one our server saw; the route handler builds it from ``app.public_url``.
    ``received_url`` is the URL as our server saw it (Host header), for a deployment whose
    ``app.public_url`` was left at its default. Header names are lower-case.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes
    remote: str | None = None
    received_url: str | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class WebhookResponse:
    """What to answer the platform (Twilio wants TwiML, WeChat "success", WeCom the echo)."""

    body: str = ""
    content_type: str = "text/plain"
    status: int = 200


@dataclass(frozen=True)
class Media:
    kind: Literal["image", "audio", "video", "document", "sticker"]
    url: str | None = None  # where to fetch it (Twilio MediaUrlN, WeChat PicUrl)
    platform_media_id: str | None = None  # Telegram file_id, WeChat MediaId
    mime_type: str | None = None
    file_name: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    label: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """One thing a customer did: a message, a button press, or an event (subscribe, click).

    ``external_message_id`` is unique per channel and stable across platform retries; it is
    the deduplication key. ``sender_id`` identifies the customer on this channel (the
    identity's external id); ``chat_id`` is where a reply goes (differs in group chats).
    """

    external_message_id: str
    sender_id: str
    sent_at: datetime
    content_type: ContentType
    text: str | None = None
    chat_id: str | None = None
    sender_name: str | None = None
    language_hint: str | None = None  # e.g. Telegram's language_code
    media: tuple[Media, ...] = ()
    location: Location | None = None
    event: str | None = None  # subscribe, unsubscribe, click, scan, view, ...
    event_key: str | None = None
    button_payload: str | None = None
    reply_to_external_id: str | None = None
    profile: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def reply_target(self) -> str:
        return self.chat_id or self.sender_id


@dataclass(frozen=True)
class DeliveryStatus:
    """A platform's report on a message we sent (Twilio status callback, ...)."""

    external_message_id: str
    status: DeliveryState
    at: datetime
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class WebhookResult:
    """Everything one webhook delivery carried, plus what to answer."""

    messages: tuple[InboundMessage, ...] = ()
    statuses: tuple[DeliveryStatus, ...] = ()
    response: WebhookResponse = field(default_factory=WebhookResponse)


@dataclass(frozen=True)
class Button:
    text: str
    payload: str


@dataclass(frozen=True)
class Template:
    """A pre-approved message template (WhatsApp Content SID, WeChat template id)."""

    name: str
    variables: Mapping[str, str] = field(default_factory=dict)
    language: str | None = None


@dataclass(frozen=True)
class OutboundMessage:
    """A message to send. ``client_ref`` is our message id: adapters pass it to platforms
    that accept an idempotency key, and it ties the receipt back to our row."""

    recipient_id: str
    text: str | None = None
    media: tuple[Media, ...] = ()
    buttons: tuple[Button, ...] = ()
    template: Template | None = None
    reply_to_external_id: str | None = None
    client_ref: str | None = None


@dataclass(frozen=True)
class SendReceipt:
    external_message_id: str | None
    status: DeliveryState = "sent"
    raw: Mapping[str, Any] = field(default_factory=dict)
