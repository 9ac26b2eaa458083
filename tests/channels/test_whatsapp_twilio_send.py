"""WhatsApp through Twilio, outbound: the real twilio SDK against a local fake API.

Each send goes through the SDK's async client to :class:`FakeTwilioAPI` on 127.0.0.1, so our
request building, the SDK's response parsing and our error mapping all run for real.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import datetime, timedelta

import pytest

from channels.base import Capabilities
from channels.errors import (
    ChannelAuthError,
    PermanentError,
    RateLimited,
    TransientError,
    WindowClosed,
)
from channels.models import Button, Media, OutboundMessage, Template
from channels.whatsapp_twilio import WhatsAppTwilioAdapter
from channels.window import window_open

from ..fakes.twilio_api import (
    ACCOUNT_SID,
    INVALID_TO,
    OUTSIDE_WINDOW,
    RATE_LIMITED,
    SANDBOX_FROM,
    SERVICE_UNAVAILABLE,
    FakeTwilioAPI,
)
from .twilio_cases import CUSTOMER, NOW, PUBLIC_URL, make_adapter


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilioAPI]:
    async with FakeTwilioAPI() as api:
        yield api


@pytest.fixture
async def adapter(fake: FakeTwilioAPI) -> AsyncIterator[WhatsAppTwilioAdapter]:
    async with aclosing(make_adapter(fake.base_url)) as instance:
        yield instance


# --- sending through the real SDK ----------------------------------------------------------
async def test_send_text_with_status_callback(adapter, fake: FakeTwilioAPI) -> None:
    receipt = await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="Hello 👋"))
    assert receipt.external_message_id in fake.messages
    assert receipt.external_message_id.startswith("SM") and len(receipt.external_message_id) == 34
    assert receipt.status == "queued"
    (params,) = fake.sent()
    assert dict(params) == {
        "To": CUSTOMER,
        "From": SANDBOX_FROM,
        "Body": "Hello 👋",
        "StatusCallback": f"{PUBLIC_URL}/webhooks/whatsapp/{adapter.ref.id}",
    }
    assert fake.calls[0].path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


async def test_send_media_and_bare_number(adapter, fake: FakeTwilioAPI) -> None:
    media = (
        Media("image", url="https://cdn.example/a.jpg", caption="Our menu"),
        Media("document", url="https://cdn.example/b.pdf"),
    )
    receipt = await adapter.send(OutboundMessage(recipient_id="+14017122661", media=media))
    (params,) = fake.sent()
    assert params["To"] == CUSTOMER and params["Body"] == "Our menu"
    assert params.getall("MediaUrl") == ["https://cdn.example/a.jpg", "https://cdn.example/b.pdf"]
    assert receipt.external_message_id.startswith("MM") and receipt.raw["num_media"] == "2"


async def test_send_template_as_content_sid(adapter, fake: FakeTwilioAPI) -> None:
    template = Template("HX" + "1" * 32, {"1": "Ana", "2": "12:30"})
    await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="ignored", template=template))
    (params,) = fake.sent()
    assert params["ContentSid"] == template.name and "Body" not in params
    assert json.loads(params["ContentVariables"]) == {"1": "Ana", "2": "12:30"}


async def test_buttons_degrade_to_numbered_text(adapter, fake: FakeTwilioAPI) -> None:
    buttons = (Button("Yes", "y"), Button("No", "n"))
    await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="Confirm?", buttons=buttons))
    assert fake.sent()[0]["Body"] == "Confirm?\n1. Yes\n2. No"


async def test_messaging_service_without_callback(fake: FakeTwilioAPI) -> None:
    service = "MG" + "2" * 32
    async with aclosing(
        make_adapter(
            fake.base_url, from_number=None, messaging_service_sid=service, status_callback=False
        )
    ) as adapter:
        receipt = await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="hi"))
    (params,) = fake.sent()
    assert params["MessagingServiceSid"] == service
    assert "From" not in params and "StatusCallback" not in params
    assert (receipt.raw["status"], receipt.status) == ("accepted", "queued")


@pytest.mark.parametrize(
    "message",
    [
        OutboundMessage(recipient_id=CUSTOMER),
        OutboundMessage(recipient_id=CUSTOMER, media=(Media("image", platform_media_id="x"),)),
        OutboundMessage(recipient_id=CUSTOMER, template=Template("welcome_v1")),
    ],
)
async def test_unsendable_messages_fail_before_any_call(adapter, fake, message) -> None:
    with pytest.raises(PermanentError):
        await adapter.send(message)
    assert fake.calls == []


# --- send errors ---------------------------------------------------------------------------
async def test_429_is_rate_limited_with_retry_after(adapter, fake: FakeTwilioAPI) -> None:
    fake.fail_next(429, RATE_LIMITED, headers={"Retry-After": "7"})
    with pytest.raises(RateLimited) as caught:
        await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="hi"))
    assert (caught.value.retry_after, caught.value.code) == (7.0, "20429")
    assert caught.value.__cause__ is not None
    fake.fail_next(429, RATE_LIMITED)  # no header: the default pause
    with pytest.raises(RateLimited) as caught:
        await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="hi"))
    assert caught.value.retry_after == 1.0


async def test_concurrent_sends_keep_their_own_retry_after(adapter, fake) -> None:
    """Retry-After travels from the HTTP client to the error by a ContextVar: per task."""
    fake.fail_next(429, RATE_LIMITED, headers={"Retry-After": "9"})
    results = await asyncio.gather(
        *(adapter.send(OutboundMessage(recipient_id=CUSTOMER, text=f"m{i}")) for i in range(3)),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert [type(e) for e in errors] == [RateLimited] and errors[0].retry_after == 9.0
    assert len(fake.messages) == 2


async def test_twilio_region_in_the_environment_is_ignored(adapter, fake, monkeypatch) -> None:
    # The SDK would otherwise re-host every request to api.<region>.twilio.com.
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="hi"))
    assert len(fake.messages) == 1


async def test_retry_after_as_http_date(adapter, fake: FakeTwilioAPI) -> None:
    when = (NOW + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    fake.fail_next(429, RATE_LIMITED, headers={"Retry-After": when})
    with pytest.raises(RateLimited) as caught:
        await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="hi"))
    assert caught.value.retry_after == 30.0


async def test_wrong_credentials_are_a_channel_auth_error(fake: FakeTwilioAPI) -> None:
    async with aclosing(make_adapter(fake.base_url, auth_token="stale-token")) as adapter:
        with pytest.raises(ChannelAuthError) as caught:
            await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="hi"))
    assert caught.value.code == "20003" and not caught.value.retryable
    assert fake.messages == {}


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        (400, OUTSIDE_WINDOW, WindowClosed, "63016"),
        (400, INVALID_TO, PermanentError, "21211"),
        (503, SERVICE_UNAVAILABLE, TransientError, "20503"),
        (502, "<html>Bad Gateway</html>", TransientError, "502"),
    ],
)
async def test_error_mapping(adapter, fake, status, body, error, code) -> None:
    fake.fail_next(status, body)
    with pytest.raises(error) as caught:
        await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="hi"))
    assert type(caught.value) is error and caught.value.code == code
    assert caught.value.__cause__ is not None


async def test_timeout_is_transient(fake: FakeTwilioAPI) -> None:
    fake.delay = 0.5
    async with aclosing(make_adapter(fake.base_url, timeout=0.1)) as adapter:
        with pytest.raises(TransientError):
            await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="hi"))


async def test_connection_refused_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with aclosing(make_adapter(f"http://127.0.0.1:{port}")) as adapter:
        with pytest.raises(TransientError) as caught:
            await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="hi"))
    assert caught.value.retryable


async def test_aclose_closes_the_session_and_is_idempotent(fake: FakeTwilioAPI) -> None:
    adapter = make_adapter(fake.base_url)
    await adapter.aclose()  # never opened
    await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="hi"))
    session = adapter._http.session
    await adapter.aclose()
    await adapter.aclose()
    assert session.closed
    await adapter.send(OutboundMessage(recipient_id=CUSTOMER, text="again"))  # reopens
    await adapter.aclose()
    assert len(fake.messages) == 2


# --- the 24-hour window --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (None, False),
        (NOW - timedelta(hours=23, minutes=59), True),
        (NOW - timedelta(hours=24), False),
    ],
)
def test_window_open(last: datetime | None, expected: bool) -> None:
    assert window_open(WhatsAppTwilioAdapter.capabilities, last, NOW) is expected
    assert window_open(Capabilities(), last, NOW) is True  # channels without a window


def test_window_needs_aware_times() -> None:
    with pytest.raises(ValueError):
        window_open(WhatsAppTwilioAdapter.capabilities, datetime(2025, 1, 1), NOW)  # noqa: DTZ001
