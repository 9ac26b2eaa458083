"""A local Twilio Messages API, and signed Twilio webhooks, for tests and benchmarks.

:class:`FakeTwilioAPI` answers ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` the
way api.twilio.com does: HTTP Basic auth with the account SID and auth token, a 201 with the
Message resource JSON, and Twilio's error JSON (``code``, ``message``, ``more_info``,
``status``) for failures. Point the adapter at it with
``ChannelEnvironment(api_bases={"whatsapp": fake.base_url})``.

:func:`sign_twilio_request` and :func:`signed_webhook` build inbound requests signed exactly
as Twilio signs them, with twilio's own ``RequestValidator.compute_signature``.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from aiohttp import BasicAuth, web
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from channels.models import ChannelRef, WebhookRequest

from .base import FakeAPI

ACCOUNT_SID = "AC" + "5ef8732a3c49700934481addd5ce1659"
AUTH_TOKEN = "9f4ac1d2b7e04c5a8d3e6f1029384756"
SANDBOX_FROM = "whatsapp:+14155238886"
MESSAGES_ROUTE = "/2010-04-01/Accounts/{account_sid}/Messages.json"

Params = Mapping[str, str] | Iterable[tuple[str, str]]


def whatsapp_ref(**config: Any) -> ChannelRef:
    """A WhatsApp channel row whose credentials this fake accepts; ``None`` drops a key."""
    settings: dict[str, Any] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": SANDBOX_FROM,
    }
    settings.update(config)
    settings = {k: v for k, v in settings.items() if v is not None}
    return ChannelRef(uuid.uuid4(), uuid.uuid4(), "whatsapp", settings, "unused")


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's REST error body."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


RATE_LIMITED = twilio_error(429, 20429, "Too Many Requests")
OUTSIDE_WINDOW = twilio_error(
    400,
    63016,
    "Failed to send freeform message because you are outside the allowed window. "
    "If you want to send messages outside the allowed window, please use a Template.",
)
INVALID_TO = twilio_error(400, 21211, "The 'To' number whatsapp:+1 is not a valid phone number.")
SERVICE_UNAVAILABLE = twilio_error(503, 20503, "Service Unavailable")


class FakeTwilioAPI(FakeAPI):
    """The Messages resource of api.twilio.com, for one account."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: dict[str, dict[str, Any]] = {}  # created Message resources by sid
        self.delay = 0.0  # seconds to stall each create (timeout tests)
        super().__init__()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(MESSAGES_ROUTE, self._create_message)

    def sent(self) -> list[MultiDict[str]]:
        """The form parameters of every create-message request received, in order.

        ``params["Body"]`` reads one value; ``params.getall("MediaUrl")`` reads repeated ones."""
        return [
            MultiDict(parse_qsl(call.body.decode(), keep_blank_values=True))
            for call in self.calls
            if call.method == "POST" and call.path.endswith("/Messages.json")
        ]

    async def _create_message(self, request: web.Request) -> web.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        if not self._authorized(request.headers.get("Authorization", "")):
            return _error(
                401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'}
            )
        account = request.match_info["account_sid"]
        if account != self.account_sid:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        form = MultiDict(parse_qsl((await request.read()).decode(), keep_blank_values=True))
        to, sender = form.get("To"), form.get("From")
        service = form.get("MessagingServiceSid")
        body, media = form.get("Body", ""), form.getall("MediaUrl", [])
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not sender and not service:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not body and not media and not form.get("ContentSid"):
            return _error(400, 21619, "A text message body or media url must be specified.")
        if len(body) > 1600:
            return _error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        sid = ("MM" if media else "SM") + uuid.uuid4().hex
        now = format_datetime(datetime.now(UTC))
        uri = f"/2010-04-01/Accounts/{account}/Messages/{sid}"
        message = {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": str(len(media)),
            "num_segments": "1",
            "price": None,
            "price_unit": None,
            "sid": sid,
            # With a Messaging Service and no From, Twilio picks the sender later.
            "status": "accepted" if service and not sender else "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }
        self.messages[sid] = message
        return web.json_response(message, status=201)

    def _authorized(self, header: str) -> bool:
        try:
            auth = BasicAuth.decode(header)
        except ValueError:
            return False
        return (auth.login, auth.password) == (self.account_sid, self.auth_token)


def _error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(twilio_error(status, code, message), status=status, headers=headers)


# --- signed inbound webhooks ---------------------------------------------------------------
def sign_twilio_request(url: str, params: Params, auth_token: str) -> str:
    """``X-Twilio-Signature`` for a form webhook (repeated keys allowed as pairs)."""
    return RequestValidator(auth_token).compute_signature(url, MultiDict(params))


def signed_webhook(url: str, params: Params, auth_token: str) -> WebhookRequest:
    """A form-encoded webhook as Twilio would deliver it to ``url``."""
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    return _request(
        url,
        urlencode(pairs).encode(),
        "application/x-www-form-urlencoded",
        sign_twilio_request(url, pairs, auth_token),
    )


def signed_json_webhook(url: str, body: str, auth_token: str) -> WebhookRequest:
    """A JSON webhook: ``bodySHA256`` added to the URL, the signature over the URL alone."""
    digest = hashlib.sha256(body.encode()).hexdigest()
    url = f"{url}{'&' if urlsplit(url).query else '?'}bodySHA256={digest}"
    signature = RequestValidator(auth_token).compute_signature(url, {})
    return _request(url, body.encode(), "application/json", signature)


def _request(url: str, body: bytes, content_type: str, signature: str) -> WebhookRequest:
    return WebhookRequest(
        method="POST",
        url=url,
        headers={
            "content-type": content_type,
            "x-twilio-signature": signature,
            "user-agent": "TwilioProxy/1.1",
            "i-twilio-idempotency-token": str(uuid.uuid4()),
        },
        query=dict(parse_qsl(urlsplit(url).query)),
        body=body,
    )
