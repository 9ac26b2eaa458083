"""The contract every platform adapter implements, and what the base class gives for free.

An adapter is built from one ``channels`` row (``ChannelRef``: its decrypted config) and a
``ChannelEnvironment`` (API base URLs, the public URL, a shared HTTP timeout). It must:

- ``verify(request)``: raise :class:`WebhookAuthError` unless the request is genuinely from
  the platform for this channel (signature, secret token);
- ``parse(request)``: turn a verified request into a :class:`WebhookResult`, raising
  :class:`MalformedPayload` when it can't be read;
- ``send(message)``: deliver an :class:`OutboundMessage` through the platform API, raising
  the classified :class:`SendError` subclasses;
- ``aclose()``: release its HTTP session.

Optional: ``handshake`` (GET URL verification: WeChat, WeCom), ``register_webhook`` (Telegram
setWebhook), ``prepare`` (work done once per outbound message, before the first attempt, whose
result every retry reuses: WeCom uploads a linked file for a ``media_id``). Capabilities are
flags, not stubs: when a channel can't show buttons, :meth:`ChannelAdapter.degrade` renders
them as numbered text before ``send`` sees them.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import ChannelConfigError, WebhookError
from .models import (
    ChannelRef,
    OutboundMessage,
    SendReceipt,
    WebhookRequest,
    WebhookResponse,
    WebhookResult,
)


@dataclass(frozen=True)
class Capabilities:
    buttons: bool = False
    media: bool = True
    templates: bool = False
    # Longest text one message may carry; longer text is split by the sender.
    max_text_length: int = 4096
    # Hours after the customer's last message during which free-form replies are allowed
    # (WhatsApp: 24). None: no such window.
    service_window_hours: int | None = None


class TokenCache(Protocol):
    """Where adapters keep short-lived access tokens (WeChat, WeCom) so that every process of
    a deployment shares one token instead of each fetching its own (a new WeChat token
    invalidates the old one after a grace period). Production wires this to Redis."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl_seconds: int) -> None: ...


class MemoryTokenCache:
    """A per-process TokenCache, for tests and single-process use."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, float]] = {}

    async def get(self, key: str) -> str | None:
        value = self._items.get(key)
        if value is None or value[1] < time.monotonic():
            return None
        return value[0]

    async def set(self, key: str, value: str, ttl_seconds: int) -> None:
        self._items[key] = (value, time.monotonic() + ttl_seconds)


@dataclass(frozen=True)
class ChannelEnvironment:
    """Deployment-wide settings adapters need: where the platform APIs are (tests point these
    at local fakes) and the public base URL platforms call us on."""

    public_url: str = "http://127.0.0.1:8080"
    api_bases: Mapping[str, str] = field(default_factory=dict)
    http_timeout: float = 10.0
    token_cache: TokenCache = field(default_factory=MemoryTokenCache)

    def api_base(self, platform: str, default: str) -> str:
        return self.api_bases.get(platform) or default

    def webhook_url(self, ref: ChannelRef) -> str:
        return f"{self.public_url.rstrip('/')}/webhooks/{ref.platform}/{ref.id}"


class ChannelConfig(BaseModel):
    """Base for each adapter's config model: what ``channel add`` asks for and stores."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ChannelAdapter(abc.ABC):
    """One platform. Subclasses set ``name``, ``config_model`` and ``capabilities``."""

    name: ClassVar[str]
    config_model: ClassVar[type[ChannelConfig]]
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, ref: ChannelRef, env: ChannelEnvironment) -> None:
        self.ref = ref
        self.env = env
        self.config = self.parse_config(ref.config)

    @classmethod
    def parse_config(cls, raw: Mapping[str, Any]) -> Any:
        """Validate a stored or entered config; errors name the missing or bad keys."""
        try:
            return cls.config_model.model_validate(dict(raw))
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(config)'}: {e['msg']}"
                for e in err.errors()
            )
            raise ChannelConfigError(f"{cls.name} channel config: {problems}") from err

    @classmethod
    def contact_address(cls, value: str) -> str:
        """A customer's account on this platform as typed by staff, in the form intake stores
        for the sender (so their next message finds the same customer); raises ValueError
        when it can't be one. The default only strips blanks."""
        address = value.strip()
        if not address:
            raise ValueError("the contact is blank")
        return address

    # --- inbound -------------------------------------------------------------------------
    @abc.abstractmethod
    def verify(self, request: WebhookRequest) -> None:
        """Raise WebhookAuthError unless the request is authentic."""

    @abc.abstractmethod
    def parse(self, request: WebhookRequest) -> WebhookResult:
        """Normalize a verified request; raise MalformedPayload if it can't be read."""

    def handshake(self, request: WebhookRequest) -> WebhookResponse:
        """Answer a GET URL-verification request. Platforms without one get 405."""
        raise _MethodNotAllowed(f"{self.name} webhooks take POST only")

    # --- outbound ------------------------------------------------------------------------
    @abc.abstractmethod
    async def send(self, message: OutboundMessage) -> SendReceipt:
        """Deliver one message; raise a SendError subclass on failure."""

    async def prepare(self, message: OutboundMessage) -> OutboundMessage:
        """Called once per outbound message before the first send attempt (by
        :func:`channels.retry.deliver`); retries send what it returns, so costly steps such as
        a media upload happen once, not on every retry. May raise a :class:`SendError` (it is
        retried by the same policy as ``send``). Must be idempotent: a prepared message
        passes through unchanged. The default changes nothing."""
        return message

    async def register_webhook(self) -> str | None:
        """Tell the platform our webhook URL where it has an API for that (Telegram).

        Returns a human hint when the merchant must paste the URL themselves."""
        return f"Set this URL in the {self.name} console: {self.env.webhook_url(self.ref)}"

    def degrade(self, message: OutboundMessage) -> OutboundMessage:
        """Fit a message to this channel's capabilities (buttons → numbered text)."""
        if message.buttons and not self.capabilities.buttons:
            lines = [f"{i}. {b.text}" for i, b in enumerate(message.buttons, start=1)]
            text = "\n".join(filter(None, [message.text or "", *lines]))
            message = replace(message, text=text, buttons=())
        return message

    async def aclose(self) -> None:  # noqa: B027 - optional hook, deliberately a no-op
        """Release network resources. Adapters with sessions override this."""


class _MethodNotAllowed(WebhookError):
    status = 405
