"""WhatsApp through Twilio: signed form webhooks in, the Messages API out.

Inbound, Twilio POSTs ``application/x-www-form-urlencoded`` parameters to the channel's
webhook URL, both for customer messages and for the status callbacks of messages we sent
(``send`` asks for those on the same route). Every request carries ``X-Twilio-Signature``:
base64 HMAC-SHA1 of the URL Twilio called followed by the sorted parameters. twilio's own
``RequestValidator`` checks it, and tries the URL with and without the default port because
Twilio's signing side is inconsistent about ``:443``. JSON-bodied webhooks sign the URL only
and put ``bodySHA256`` in its query; a Webhook Rule with a SharedKey signs with that key
(possibly HMAC-SHA256) and says so in ``X-Twilio-Webhooks-Signature-Settings``.

Reading the parameters lives in :mod:`channels.whatsapp_twilio_parse`. Outbound uses the
real twilio ``Client`` on its aiohttp transport, aimed at
``env.api_base("whatsapp", ...)`` by :class:`_RebasedHttpClient`. Twilio's errors are
translated in one place, :func:`classify_error`.
"""

from __future__ import annotations

import base64
import contextvars
import json
import logging
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from pydantic import Field, field_validator, model_validator
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import (
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.rest import Client

from .base import Capabilities, ChannelAdapter, ChannelConfig, ChannelEnvironment
from .errors import (
    ChannelAuthError,
    PermanentError,
    RateLimited,
    SendError,
    TransientError,
    WebhookAuthError,
    WindowClosed,
)
from .models import ChannelRef, OutboundMessage, SendReceipt, WebhookRequest, WebhookResult
from .registry import register
from .whatsapp_twilio_parse import (
    EMPTY_TWIML,
    STATES,
    TWIML_RESPONSE,
    delivery_status,
    inbound_message,
    is_status_callback,
    message_sid,
    read_fields,
    signed_params,
)

__all__ = ["EMPTY_TWIML", "WhatsAppTwilioAdapter", "WhatsAppTwilioConfig", "classify_error"]

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
DEFAULT_RETRY_AFTER = 1.0
_SID = "[0-9a-fA-F]{32}"
_E164 = re.compile(r"\+[1-9]\d{6,14}")
# The SDK falls back to os.environ when given an empty mapping, and TWILIO_REGION/TWILIO_EDGE
# there would re-host every request of every tenant. Channel config is the only source.
_NO_ENVIRONMENT = {"TWILIO_REGION": "", "TWILIO_EDGE": ""}
# Headers of the last Twilio HTTP response in this task: TwilioRestException drops them, and
# a 429's Retry-After lives there. A ContextVar keeps concurrent sends (tasks) apart.
_response_headers: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "twilio_response_headers", default=None
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def whatsapp_address(value: str) -> str:
    """``+14155238886`` or ``whatsapp:+14155238886`` → the ``whatsapp:`` form Twilio needs."""
    number = value.strip().removeprefix("whatsapp:")
    if not _E164.fullmatch(number):
        raise ValueError(f"{value!r} is not a WhatsApp number (+E.164 or whatsapp:+E.164)")
    return f"whatsapp:{number}"


class WhatsAppTwilioConfig(ChannelConfig):
    """What ``channel add whatsapp`` asks for: the account and the sender."""

    account_sid: str = Field(pattern=f"^AC{_SID}$")
    auth_token: str = Field(min_length=1, repr=False)
    from_number: str | None = None
    messaging_service_sid: str | None = Field(default=None, pattern=f"^MG{_SID}$")
    # Ask Twilio to report delivery on our webhook route (StatusCallback on each send).
    status_callback: bool = True
    # Only for a Twilio Webhook Rule that signs with a SharedKey instead of the auth token.
    webhook_signing_secret: str | None = Field(default=None, repr=False)

    @field_validator("from_number")
    @classmethod
    def _normalize_sender(cls, value: str | None) -> str | None:
        return None if value is None else whatsapp_address(value)

    @model_validator(mode="after")
    def _needs_a_sender(self) -> WhatsAppTwilioConfig:
        if not self.from_number and not self.messaging_service_sid:
            raise ValueError("set from_number (whatsapp:+E.164) or messaging_service_sid (MG...)")
        return self


class _RebasedHttpClient(AsyncTwilioHttpClient):
    """The SDK's aiohttp transport, sending ``https://api.twilio.com`` requests to our base.

    It also applies our timeout: the SDK client stores the constructor's ``timeout`` but
    passes the per-call ``timeout=None`` on to aiohttp, which means no timeout at all. The
    session is opened on first use, inside the running loop."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(pool_connections=False, timeout=timeout)
        self.base_url = base_url.rstrip("/")

    async def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's HttpClient signature
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        if url == TWILIO_API or url.startswith(TWILIO_API + "/"):
            url = self.base_url + url[len(TWILIO_API) :]
        if auth is not None:
            # The SDK hands aiohttp auth=BasicAuth(...), deprecated since aiohttp 3.14 (a warning
            # on every send, gone in 4.0); the same header, built here, works on every version.
            credentials = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers, auth = {**(headers or {}), "Authorization": f"Basic {credentials}"}, None
        if self.session is None:
            self.session = aiohttp.ClientSession()
        response = await super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout or self.timeout,
            allow_redirects=allow_redirects,
        )
        _response_headers.set(response.headers)
        return response


def classify_error(err: BaseException, *, retry_after: float | None = None) -> SendError:
    """The one place Twilio and transport errors become our SendError classes."""
    if isinstance(err, TwilioRestException | TwilioServiceException):
        status = int(err.status)
        code = _int_or_none(err.code)
        detail = err.msg if isinstance(err, TwilioRestException) else (err.detail or err.title)
        reason = f"Twilio HTTP {status}, code {code}: {detail}"
        code_text = None if code is None else str(code)
        if status == 429 or code == 20429:
            wait = DEFAULT_RETRY_AFTER if retry_after is None else retry_after
            return RateLimited(reason, retry_after=wait, code=code_text)
        if status == 401 or code == 20003:
            return ChannelAuthError(reason, code=code_text)
        if code == 63016:
            return WindowClosed(reason, code=code_text)
        if status >= 500:
            return TransientError(reason, code=code_text)
        return PermanentError(reason, code=code_text)
    if isinstance(err, aiohttp.ClientError | TimeoutError):
        return TransientError(f"Twilio API unreachable: {type(err).__name__}: {err}")
    raise TypeError(f"not a Twilio send error: {err!r}")


@register
class WhatsAppTwilioAdapter(ChannelAdapter):
    """WhatsApp Business through Twilio Programmable Messaging.

    ``clock`` supplies ``sent_at``/``at`` for webhooks (Twilio sends no timestamp) and is
    injectable for tests."""

    name = "whatsapp"
    config_model = WhatsAppTwilioConfig
    capabilities = Capabilities(
        buttons=False, media=True, templates=True, max_text_length=1600, service_window_hours=24
    )
    config: WhatsAppTwilioConfig

    @classmethod
    def contact_address(cls, value: str) -> str:
        # Intake stores Twilio's From ("whatsapp:+34600..."); staff type "+34600...".
        return whatsapp_address(value)

    def __init__(
        self,
        ref: ChannelRef,
        env: ChannelEnvironment,
        *,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        super().__init__(ref, env)
        self.clock = clock
        self._validator = RequestValidator(self.config.auth_token)
        self._http: _RebasedHttpClient | None = None
        self._client: Client | None = None

    # --- inbound -------------------------------------------------------------------------
    def verify(self, request: WebhookRequest) -> None:
        signature = request.header("X-Twilio-Signature")
        if not signature:
            raise WebhookAuthError("missing X-Twilio-Signature", status=401)
        settings = request.header(SIGNATURE_SETTINGS_HEADER)
        validator = self._validator
        if settings:
            if not self.config.webhook_signing_secret:
                raise WebhookAuthError(
                    "signed with a Twilio SharedKey, but the channel has no webhook_signing_secret"
                )
            validator = RequestValidator(self.config.webhook_signing_secret)
        params = signed_params(request)
        algorithm = get_signature_algorithm(settings)
        # Twilio signs the URL it called: app.public_url, or (public_url left at its default,
        # no proxy) the URL our server was reached on. Either way the HMAC needs the auth
        # token. validate() tries each without any port and with the default one added.
        urls = dict.fromkeys(u for u in (request.url, request.received_url) if u)
        if not any(validator.validate(url, params, signature, algorithm) for url in urls):
            raise WebhookAuthError("X-Twilio-Signature does not match")

    def parse(self, request: WebhookRequest) -> WebhookResult:
        fields = read_fields(request)
        sid = message_sid(fields)
        now = self.clock()
        if not is_status_callback(fields):
            message = inbound_message(sid, fields, now)
            return WebhookResult(messages=(message,), response=TWIML_RESPONSE)
        status = delivery_status(sid, fields, now)
        if status is None:
            logger.warning(
                "whatsapp: unknown status %r not stored (org %s, channel %s, message %s)",
                fields.get("MessageStatus") or fields.get("SmsStatus"),
                self.ref.org_id,
                self.ref.id,
                sid,
            )
        return WebhookResult(statuses=(status,) if status else (), response=TWIML_RESPONSE)

    # --- outbound ------------------------------------------------------------------------
    async def send(self, message: OutboundMessage) -> SendReceipt:
        message = self.degrade(message)
        params = self._create_params(message)
        client = self._twilio()
        token = _response_headers.set(None)
        try:
            created = await client.messages.create_async(**params)
        except (
            TwilioRestException,
            TwilioServiceException,
            aiohttp.ClientError,
            TimeoutError,
        ) as err:
            wait = _retry_after(_response_headers.get(), self.clock())
            error = classify_error(err, retry_after=wait)
            logger.warning(
                "whatsapp send failed: %s (org %s, channel %s, ref %s)",
                error.reason,
                self.ref.org_id,
                self.ref.id,
                message.client_ref,
            )
            raise error from err
        finally:
            _response_headers.reset(token)
        logger.info(
            "whatsapp message %s %s (org %s, channel %s, ref %s)",
            created.sid,
            created.status,
            self.ref.org_id,
            self.ref.id,
            message.client_ref,
        )
        return SendReceipt(
            external_message_id=created.sid,
            status=STATES.get(str(created.status or "").lower(), "queued"),
            raw={
                "status": created.status,
                "to": created.to,
                "from": created.from_,
                "messaging_service_sid": created.messaging_service_sid,
                "num_media": created.num_media,
            },
        )

    def _create_params(self, message: OutboundMessage) -> dict[str, Any]:
        recipient = message.recipient_id.strip()
        if recipient.startswith("+"):
            recipient = f"whatsapp:{recipient}"
        params: dict[str, Any] = {"to": recipient}
        if self.config.from_number:
            params["from_"] = self.config.from_number
        if self.config.messaging_service_sid:
            params["messaging_service_sid"] = self.config.messaging_service_sid
        if self.config.status_callback:
            params["status_callback"] = self.env.webhook_url(self.ref)
        if message.template is not None:
            template = message.template
            if not template.name.startswith("HX"):
                raise PermanentError(
                    f"WhatsApp templates are Twilio Content SIDs (HX...), got {template.name!r}"
                )
            params["content_sid"] = template.name
            if template.variables:
                params["content_variables"] = json.dumps(
                    dict(template.variables), ensure_ascii=False
                )
            return params
        if any(not item.url for item in message.media):
            raise PermanentError("Twilio sends media by public URL; a media item has no url")
        caption = next((item.caption for item in message.media if item.caption), None)
        body = message.text or caption
        if body:
            params["body"] = body
        if message.media:
            params["media_url"] = [item.url for item in message.media]
        if not body and not message.media:
            raise PermanentError("nothing to send: no text, media or template")
        return params

    def _twilio(self) -> Client:
        if self._client is None:
            base = self.env.api_base(self.name, TWILIO_API)
            self._http = _RebasedHttpClient(base, self.env.http_timeout)
            self._client = Client(
                self.config.account_sid,
                self.config.auth_token,
                account_sid=self.config.account_sid,
                http_client=self._http,
                environment=_NO_ENVIRONMENT,
            )
        return self._client

    async def register_webhook(self) -> str | None:
        # Twilio has an API for this per sender, but the sandbox and most senders are set up
        # in the console; status callbacks need nothing (each send names this URL).
        return (
            "In the Twilio console (Messaging → Senders → WhatsApp senders, or the WhatsApp "
            "sandbox settings) set 'When a message comes in' to "
            f"{self.env.webhook_url(self.ref)} (HTTP POST)."
        )

    async def aclose(self) -> None:
        http, self._http, self._client = self._http, None, None
        if http is not None:
            await http.close()


# --- helpers -----------------------------------------------------------------------------
def _retry_after(headers: Mapping[str, str] | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), if there is one."""
    value = headers.get("Retry-After") if headers else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
