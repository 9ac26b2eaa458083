"""One contract, every adapter: the same checks run against each registered platform."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from channels.base import ChannelAdapter, ChannelEnvironment
from channels.errors import ChannelConfigError, WebhookAuthError, WebhookError
from channels.models import ChannelRef, OutboundMessage, WebhookRequest, WebhookResult
from channels.registry import CHANNELS, adapter_class, build_adapter, platforms
from tests.fakes.telegram_api import DEFAULT_TOKEN
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SANDBOX_FROM

CONFIGS = {
    "telegram": {"bot_token": DEFAULT_TOKEN},
    "whatsapp": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": SANDBOX_FROM},
    "wechat": {"app_id": "wx0123456789abcdef", "app_secret": "s", "token": "tok123"},
    "wecom": {
        "corp_id": "ww01",
        "secret": "s",
        "agent_id": 1,
        "token": "tok",
        "encoding_aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    },
}
# The platforms the database accepts (channels.platform CHECK): the registry must match.
SCHEMA_PLATFORMS = {"telegram", "whatsapp", "wechat", "wecom"}


def adapter(platform: str) -> ChannelAdapter:
    ref = ChannelRef(uuid.uuid4(), uuid.uuid4(), platform, CONFIGS[platform], "secret-xyz")
    return build_adapter(ref, ChannelEnvironment(public_url="https://shop.example"))


def test_the_registry_has_exactly_the_schema_platforms():
    assert set(platforms()) == SCHEMA_PLATFORMS
    for name in platforms():
        assert CHANNELS[name].name == name


@pytest.mark.parametrize("platform", sorted(SCHEMA_PLATFORMS))
def test_adapter_implements_the_contract(platform):
    cls = adapter_class(platform)
    assert issubclass(cls, ChannelAdapter)
    assert cls.capabilities.max_text_length > 0
    built = adapter(platform)
    assert built.ref.platform == platform
    assert built.env.webhook_url(built.ref).endswith(f"/webhooks/{platform}/{built.ref.id}")


@pytest.mark.parametrize("platform", sorted(SCHEMA_PLATFORMS))
def test_incomplete_config_is_refused_naming_a_key(platform):
    with pytest.raises(ChannelConfigError) as caught:
        adapter_class(platform).parse_config({})
    assert platform in str(caught.value)


@pytest.mark.parametrize("platform", sorted(SCHEMA_PLATFORMS))
def test_an_unsigned_request_is_refused(platform):
    request = WebhookRequest("POST", "https://shop.example/webhooks/x", {}, {}, b"garbage")
    with pytest.raises(WebhookAuthError) as caught:
        adapter(platform).verify(request)
    assert caught.value.status in (401, 403)


@pytest.mark.parametrize("platform", sorted(SCHEMA_PLATFORMS))
def test_garbage_is_refused_not_crashed_on(platform):
    """Garbage is refused with a webhook error (400 for most; signed-envelope platforms may
    refuse it as unauthenticated) — it never crashes and never yields a message."""
    request = WebhookRequest(
        "POST", "https://shop.example/webhooks/x", {"content-type": "text/plain"}, {}, b"\x00\xff"
    )
    try:
        result = adapter(platform).parse(request)
    except WebhookError:
        return
    assert isinstance(result, WebhookResult) and result.messages == ()


@pytest.mark.parametrize("platform", sorted(SCHEMA_PLATFORMS))
def test_buttons_degrade_to_text_only_where_unsupported(platform):
    from channels.models import Button

    built = adapter(platform)
    message = OutboundMessage("x", text="Choose", buttons=(Button("A", "a"),))
    degraded = built.degrade(message)
    if built.capabilities.buttons:
        assert degraded == message
    else:
        assert degraded.buttons == () and "1. A" in degraded.text


@pytest.mark.parametrize("platform", sorted(SCHEMA_PLATFORMS))
async def test_aclose_is_safe_before_any_use_and_twice(platform):
    built = adapter(platform)
    await built.aclose()
    await built.aclose()


def test_inbound_times_are_timezone_aware_in_every_model():
    from channels.models import InboundMessage

    message = InboundMessage("1", "u", datetime.now(UTC), "text", text="hi")
    assert message.sent_at.tzinfo is not None
    assert message.reply_target == "u"


@pytest.mark.parametrize("platform", sorted(SCHEMA_PLATFORMS))
async def test_prepare_leaves_ready_messages_alone_and_is_idempotent(platform):
    """``prepare`` (run once by deliver() before the retries) must not change what needs no
    preparing — text, media already on the platform — so preparing twice changes nothing.
    The adapters point at no API here: any network call would fail the test."""
    from channels.models import Media

    built = adapter(platform)
    try:
        for message in (
            OutboundMessage("x", text="hello"),
            OutboundMessage("x", text="see", media=(Media("image", platform_media_id="M1"),)),
        ):
            prepared = await built.prepare(message)
            assert prepared == message
            assert await built.prepare(prepared) == prepared
    finally:
        await built.aclose()
