"""Reading Twilio's messaging webhooks: what the signature covers, and the normalized result.

Twilio sends one flat set of form parameters for everything: a customer's message (text,
``MediaUrlN``, location, button and list replies, flow responses) or a status callback for a
message we sent. Parameters that a normalized field fully represents are dropped; all others
(``To``, ``WaId``, ``Referral*``, ``Forwarded``, ...) are kept in ``InboundMessage.extra``.
Where a key repeats, the first value is used (as aiohttp's ``MultiDict.get`` does); the
signature, however, covers every value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qs, parse_qsl, urlparse

from multidict import MultiDict

from .errors import MalformedPayload, WebhookAuthError
from .models import (
    ContentType,
    DeliveryState,
    DeliveryStatus,
    InboundMessage,
    Location,
    Media,
    WebhookRequest,
    WebhookResponse,
)

# Twilio logs warning 12200 for any answer that isn't TwiML; an empty <Response> says "no reply".
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
TWIML_RESPONSE = WebhookResponse(body=EMPTY_TWIML, content_type="text/xml")

# Twilio's message statuses (MessageInstance.Status) → ours.
STATES: dict[str, DeliveryState] = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "partially_delivered": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "canceled": "failed",
    "undelivered": "undelivered",
}

_MAX_FIELDS = 1000  # a real webhook has < 100 parameters; refuse form bombs early
_INBOUND_STATES = frozenset({"received", "receiving"})
_MEDIA_FIELD = re.compile(r"Media(?:Url|ContentType)\d+")
_NORMALIZED = frozenset(
    {"MessageSid", "SmsMessageSid", "SmsSid", "From", "Body", "ProfileName", "ButtonPayload"}
    | {"OriginalRepliedMessageSid", "Latitude", "Longitude"}
)


def is_json(request: WebhookRequest) -> bool:
    content_type = request.header("Content-Type") or ""
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """Decoded form parameters, duplicates and blank values kept (the signature covers both).

    Raises ValueError (UnicodeDecodeError included) for a body that isn't UTF-8 form data."""
    return parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FIELDS)


def signed_params(request: WebhookRequest) -> str | MultiDict[str]:
    """What ``RequestValidator.validate`` must be given: the raw body for a JSON webhook
    (``bodySHA256`` in the URL), otherwise every form value, repeated keys included."""
    # The validator's own test, mirrored: handed a str without bodySHA256 it would iterate
    # the characters as parameter names and raise.
    if "bodySHA256" in parse_qs(urlparse(request.url).query):
        try:
            return request.body.decode("utf-8")
        except UnicodeDecodeError as err:
            raise WebhookAuthError("webhook body is not UTF-8") from err
    if is_json(request):
        raise WebhookAuthError("JSON webhook without bodySHA256 in the signed URL")
    try:
        return MultiDict(form_pairs(request.body))
    except ValueError as err:
        raise WebhookAuthError(f"unreadable form body: {err}") from err


def read_fields(request: WebhookRequest) -> dict[str, str]:
    """The webhook's parameters, first value per key; MalformedPayload if unreadable."""
    if is_json(request):
        raise MalformedPayload("Twilio messaging webhooks are form-encoded, got JSON")
    try:
        pairs = form_pairs(request.body)
    except ValueError as err:
        raise MalformedPayload(f"unreadable form body: {err}") from err
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


def message_sid(fields: Mapping[str, str]) -> str:
    sid = fields.get("MessageSid") or fields.get("SmsMessageSid") or fields.get("SmsSid")
    if not sid:
        raise MalformedPayload("no MessageSid in the webhook")
    return sid


def is_status_callback(fields: Mapping[str, str]) -> bool:
    """Status callbacks carry MessageStatus (or, older, only SmsStatus and no Body)."""
    state = fields.get("MessageStatus")
    if state is not None:
        return state.lower() not in _INBOUND_STATES
    state = fields.get("SmsStatus")
    return state is not None and state.lower() not in _INBOUND_STATES and "Body" not in fields


def delivery_status(sid: str, fields: Mapping[str, str], now: datetime) -> DeliveryStatus | None:
    """None for a status we don't know (acknowledged, not stored)."""
    state = STATES.get((fields.get("MessageStatus") or fields.get("SmsStatus") or "").lower())
    if state is None:
        return None
    return DeliveryStatus(
        external_message_id=sid,
        status=state,
        at=now,
        error_code=fields.get("ErrorCode") or None,
        error_message=fields.get("ErrorMessage") or None,
    )


def inbound_message(sid: str, fields: Mapping[str, str], now: datetime) -> InboundMessage:
    sender = fields.get("From")
    if not sender:
        raise MalformedPayload(f"inbound message {sid} has no From")
    body = fields.get("Body") or None
    media = _media(fields)
    location = _location(fields)
    # ListId/ListTitle: list-picker replies (Content API); quick replies use Button*.
    payload = fields.get("ButtonPayload") or fields.get("ListId") or None
    button_text = fields.get("ButtonText") or fields.get("ListTitle") or None
    event = None
    content_type: ContentType
    if payload or button_text:
        content_type, body = "button", body or button_text
    elif location:
        content_type = "location"
    elif media:
        content_type = media[0].kind
    elif fields.get("InteractiveData") or fields.get("FlowData"):
        content_type, event = "event", "flow_response"  # the flow's data stays in extra
    else:
        content_type = "text"
    profile = {"profile_name": fields.get("ProfileName"), "wa_id": fields.get("WaId")}
    return InboundMessage(
        external_message_id=sid,
        sender_id=sender,
        sent_at=now,
        content_type=content_type,
        text=body,
        sender_name=fields.get("ProfileName") or None,
        media=media,
        location=location,
        event=event,
        button_payload=payload,
        reply_to_external_id=fields.get("OriginalRepliedMessageSid") or None,
        profile={k: v for k, v in profile.items() if v},
        extra={
            k: v
            for k, v in fields.items()
            if k not in _NORMALIZED and not _MEDIA_FIELD.fullmatch(k)
        },
    )


def _media(fields: Mapping[str, str]) -> tuple[Media, ...]:
    items: list[Media] = []
    while url := fields.get(f"MediaUrl{len(items)}"):
        mime = fields.get(f"MediaContentType{len(items)}") or None
        major = (mime or "").split("/", 1)[0].lower()
        kind = major if major in ("image", "audio", "video") else "document"
        items.append(Media(kind=kind, url=url, mime_type=mime))  # type: ignore[arg-type]
    return tuple(items)


def _location(fields: Mapping[str, str]) -> Location | None:
    latitude, longitude = fields.get("Latitude"), fields.get("Longitude")
    if not latitude or not longitude:
        return None
    try:
        lat, lon = float(latitude), float(longitude)
    except ValueError as err:
        raise MalformedPayload(f"bad location {latitude!r}, {longitude!r}") from err
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        raise MalformedPayload(f"location out of range: {latitude!r}, {longitude!r}")
    return Location(lat, lon, label=fields.get("Label") or fields.get("Address") or None)
