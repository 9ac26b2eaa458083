"""The channels package's exception tree.

Webhook errors map onto HTTP answers (the route handler turns them into 400/401/403);
send errors are classified so the pacer knows what to do: wait and retry (rate limited),
back off and retry (transient), or give up at once (auth, permanent). Each adapter
translates its vendor's errors into these in one place and raises them ``from`` the original.
"""

from __future__ import annotations


class ChannelError(Exception):
    """Base class for every error raised by the channels package."""


class ChannelConfigError(ChannelError):
    """A channel's stored configuration is incomplete or invalid."""


class UnknownPlatform(ChannelError):
    """No adapter is registered under that platform name."""


# --- inbound -----------------------------------------------------------------------------
class WebhookError(ChannelError):
    """A webhook request we refuse; ``status`` is the HTTP answer."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WebhookAuthError(WebhookError):
    """Unsigned or badly signed: 401 when a credential is missing, 403 when it is wrong."""

    def __init__(self, reason: str, *, status: int = 403) -> None:
        super().__init__(reason)
        self.status = status


class MalformedPayload(WebhookError):
    """Signed correctly (or unsigned by design) but unreadable: 400, and the body is kept.

    ``readable`` is what to keep instead of the request body when that is an envelope only
    the channel's key opens (WeChat safe mode, WeCom): the decrypted payload that failed."""

    status = 400

    def __init__(self, reason: str, *, readable: bytes | None = None) -> None:
        super().__init__(reason)
        self.readable = readable


# --- outbound ----------------------------------------------------------------------------
class SendError(ChannelError):
    """Sending failed. ``retryable`` tells the pacer whether trying again can help."""

    retryable = False

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class ChannelAuthError(SendError):
    """The platform refused our credentials: fix the channel config; retrying won't help."""


class RateLimited(SendError):
    """The platform asked us to slow down; wait ``retry_after`` seconds, then retry."""

    retryable = True

    def __init__(self, reason: str, *, retry_after: float, code: str | None = None) -> None:
        super().__init__(reason, code=code)
        self.retry_after = retry_after


class TransientError(SendError):
    """A timeout, a connection error or a 5xx: retry with backoff."""

    retryable = True


class PermanentError(SendError):
    """The platform rejected this message for good (blocked bot, bad recipient, ...)."""


class WindowClosed(PermanentError):
    """WhatsApp: outside the 24-hour customer-service window a free-form message is refused;
    only an approved template may be sent."""
