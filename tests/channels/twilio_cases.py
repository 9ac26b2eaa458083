"""Shared pieces of the WhatsApp-through-Twilio tests: the recorded data, an adapter."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from channels.base import ChannelEnvironment
from channels.models import InboundMessage
from channels.whatsapp_twilio import WhatsAppTwilioAdapter

from ..fakes.twilio_api import AUTH_TOKEN, signed_webhook, whatsapp_ref

# repo/tests/channels/this.py → the directory holding the repo, where shared/ sits beside it
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "webhooks" / "twilio"
PUBLIC_URL = "https://hooks.example.com"
NOW = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
CUSTOMER = "whatsapp:+14017122661"
FORM = "application/x-www-form-urlencoded"


def cases(
    filename: str, key: str | None = None, keep: Callable[[dict[str, Any]], bool] = bool
) -> list[Any]:
    path = DATA / filename
    if not path.exists():
        reason = f"shared Twilio data not found at {path}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    data = json.loads(path.read_text())
    items = data[key] if key else data
    return [
        pytest.param(item, id=item.get("id") or item.get("name")) for item in items if keep(item)
    ]


def load_vector(vector_id: str) -> dict[str, Any]:
    path = DATA / "signature_vectors.json"
    if not path.exists():
        pytest.skip(f"shared Twilio data not found at {path}")
    (vector,) = [v for v in json.loads(path.read_text())["vectors"] if v["id"] == vector_id]
    return vector


def make_adapter(
    api_base: str | None = None, *, timeout: float = 5.0, **config: Any
) -> WhatsAppTwilioAdapter:
    """An adapter on the fake's credentials, a fixed clock, and the API at ``api_base``."""
    env = ChannelEnvironment(
        public_url=PUBLIC_URL,
        api_bases={"whatsapp": api_base} if api_base else {},
        http_timeout=timeout,
    )
    return WhatsAppTwilioAdapter(whatsapp_ref(**config), env, clock=lambda: NOW)


def hook_url(adapter: WhatsAppTwilioAdapter) -> str:
    return adapter.env.webhook_url(adapter.ref)


def inbound(adapter: WhatsAppTwilioAdapter, params: dict[str, str]) -> InboundMessage:
    request = signed_webhook(hook_url(adapter), params, AUTH_TOKEN)
    adapter.verify(request)
    (message,) = adapter.parse(request).messages
    return message
