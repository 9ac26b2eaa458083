"""Simulated customers: a text message as each platform would deliver it, signed.

The inverse of each adapter's ``parse``: ``trademate demo`` uses it to have customers write
through the real webhook path (signature checks included) with no account anywhere. It
lives in ``channels/`` because it speaks the platforms' wire formats and uses their signers.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from .models import ChannelRef


@dataclass(frozen=True)
class Customer:
    """Who writes: ``handle`` is their id on the platform (phone, user id, OpenID)."""

    handle: str
    name: str
    language_code: str = "en"


@dataclass(frozen=True)
class SimulatedWebhook:
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


_ids = itertools.count(int(time.time()) % 1_000_000 * 1000)

Simulator = Callable[[ChannelRef, str, Customer, str], SimulatedWebhook]


def _telegram(ref: ChannelRef, url: str, customer: Customer, text: str) -> SimulatedWebhook:
    user = {
        "id": int(customer.handle),
        "is_bot": False,
        "first_name": customer.name,
        "language_code": customer.language_code,
    }
    update = {
        "update_id": next(_ids),
        "message": {
            "message_id": next(_ids),
            "from": user,
            "chat": {"id": int(customer.handle), "type": "private", "first_name": customer.name},
            "date": int(time.time()),
            "text": text,
        },
    }
    return SimulatedWebhook(
        headers={
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": ref.webhook_secret,
        },
        body=json.dumps(update).encode(),
    )


def _whatsapp(ref: ChannelRef, url: str, customer: Customer, text: str) -> SimulatedWebhook:
    sid = "SM" + secrets.token_hex(16)
    phone = customer.handle.removeprefix("whatsapp:")
    params = {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": customer.name,
        "MessageType": "text",
        "WaId": phone.lstrip("+"),
        "SmsStatus": "received",
        "Body": text,
        "To": str(ref.config.get("from_number") or ""),
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": str(ref.config["account_sid"]),
        "From": f"whatsapp:{phone}",
        "ApiVersion": "2010-04-01",
    }
    secret = ref.config.get("webhook_signing_secret") or ref.config["auth_token"]
    signature = RequestValidator(secret).compute_signature(url, params)
    return SimulatedWebhook(
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
        body=urlencode(params).encode(),
    )


def _wechat(ref: ChannelRef, url: str, customer: Customer, text: str) -> SimulatedWebhook:
    """An Official Account text message in plaintext mode (the signature is in the query)."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    token = str(ref.config["token"])
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    xml = (
        "<xml><ToUserName><![CDATA[gh_demo]]></ToUserName>"
        f"<FromUserName><![CDATA[{customer.handle}]]></FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{next(_ids)}</MsgId></xml>"
    )
    return SimulatedWebhook(
        query={"signature": signature, "timestamp": timestamp, "nonce": nonce},
        headers={"Content-Type": "text/xml"},
        body=xml.encode(),
    )


SIMULATORS: dict[str, Simulator] = {
    "telegram": _telegram,
    "whatsapp": _whatsapp,
    "wechat": _wechat,
}


def simulate(ref: ChannelRef, url: str, customer: Customer, text: str) -> SimulatedWebhook:
    """The webhook ``ref``'s platform would POST to ``url`` for ``customer`` writing ``text``."""
    try:
        build = SIMULATORS[ref.platform]
    except KeyError:
        raise ValueError(f"no customer simulator for {ref.platform!r}") from None
    return build(ref, url, customer, text)
