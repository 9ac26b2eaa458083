"""X-Twilio-Signature over the URL our server was reached on, when ``app.public_url`` says
something else (left at its default, served on another port): accepted, as the signature over
the public URL is; a signature over any third URL is still refused."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aiohttp.test_utils import make_mocked_request
from aiohttp.web import Application

from bot.webhooks import PUBLIC_URL_KEY, _to_webhook_request
from channels.errors import WebhookAuthError
from tests.fakes.twilio_api import AUTH_TOKEN, signed_webhook

from .twilio_cases import make_adapter

PARAMS = {
    "MessageSid": "SM" + "c" * 32,
    "From": "whatsapp:+34600000001",
    "To": "whatsapp:+14155238886",
    "Body": "hola",
    "NumMedia": "0",
}


def _received_at(adapter, signed_for: str, received: str):
    request = signed_webhook(signed_for, PARAMS, AUTH_TOKEN)
    # What the route builds: url from app.public_url, received_url from the Host header.
    return replace(request, url=adapter.env.webhook_url(adapter.ref), received_url=received)


def test_signature_over_the_received_url_is_accepted() -> None:
    adapter = make_adapter()
    local = f"http://127.0.0.1:18120/webhooks/whatsapp/{adapter.ref.id}"
    adapter.verify(_received_at(adapter, signed_for=local, received=local))


def test_signature_over_the_public_url_is_still_accepted() -> None:
    adapter = make_adapter()
    local = f"http://127.0.0.1:18120/webhooks/whatsapp/{adapter.ref.id}"
    public = adapter.env.webhook_url(adapter.ref)
    adapter.verify(_received_at(adapter, signed_for=public, received=local))


def test_signature_over_another_url_is_refused() -> None:
    adapter = make_adapter()
    local = f"http://127.0.0.1:18120/webhooks/whatsapp/{adapter.ref.id}"
    other = f"https://elsewhere.example/webhooks/whatsapp/{adapter.ref.id}"
    with pytest.raises(WebhookAuthError) as caught:
        adapter.verify(_received_at(adapter, signed_for=other, received=local))
    assert caught.value.status == 403


async def test_route_passes_both_urls() -> None:
    app = Application()
    app[PUBLIC_URL_KEY] = "https://hooks.example.com/"
    request = make_mocked_request(
        "POST", "/webhooks/whatsapp/abc?x=1", headers={"Host": "127.0.0.1:18120"}, app=app
    )
    hook = await _to_webhook_request(request)
    assert hook.url == "https://hooks.example.com/webhooks/whatsapp/abc?x=1"
    assert hook.received_url == "http://127.0.0.1:18120/webhooks/whatsapp/abc?x=1"
