"""Telegram adapter: real recorded updates in, the real aiogram client out to a local fake."""

from __future__ import annotations

import json
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import SendPhoto
from aiogram.types import BufferedInputFile

from channels.base import ChannelEnvironment
from channels.errors import (
    ChannelAuthError,
    ChannelConfigError,
    MalformedPayload,
    PermanentError,
    RateLimited,
    TransientError,
    WebhookAuthError,
)
from channels.models import (
    Button,
    ChannelRef,
    InboundMessage,
    Media,
    OutboundMessage,
    WebhookRequest,
    WebhookResponse,
)
from channels.registry import CHANNELS
from channels.telegram import ALLOWED_UPDATES, TelegramAdapter
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI

# The repo's parent holds shared/ (here /work; in CI the clone sits beside it).
WEBHOOKS = Path(__file__).resolve().parents[3] / "shared" / "data" / "webhooks"
TELEGRAM = WEBHOOKS / "telegram"
SECRET = "s3cret_Token-for-tests"

# index.json says which aiogram dataset files are bare objects; they go into an Update under
# the key Telegram would use (the file name tells edits and channel posts apart).
WRAP_KEY = {
    "Message": "message",
    "PreCheckoutQuery": "pre_checkout_query",
    "ShippingQuery": "shipping_query",
}
WRAP_OVERRIDE = {
    "edited_message.json": "edited_message",
    "message_from_channel.json": "channel_post",
}
WRAPPED_UPDATE_ID = 777000

# file → (content_type, event, sender_id, external_message_id)
EXPECTED: dict[str, tuple[str, str | None, str, str]] = {
    "01_message_text_start_tls12.json": ("text", None, "1111111", "1111111:1365"),
    "02_message_text_command.json": ("text", None, "1111111", "1111111:1365"),
    "03_forwarded_message.json": ("text", None, "1111111", "1111111:1365"),
    "04_forwarded_channel_message.json": ("text", None, "1111111", "1111111:1365"),
    "05_message_with_reply.json": ("text", None, "1111111", "1111111:1365"),
    "06_edited_message.json": ("text", None, "1111111", "1111111:1365:edit:1441646600"),
    "07_message_with_entities.json": ("text", None, "1111111", "1111111:1365"),
    "08_message_with_audio.json": ("audio", None, "1111111", "1111111:1365"),
    "09_voice_message.json": ("audio", None, "1111111", "1111111:1365"),
    "10_message_with_document.json": ("document", None, "1111111", "1111111:1365"),
    "11_inline_query.json": ("event", "inline_query", "1111111", "update:10000"),
    "12_chosen_inline_result.json": ("event", "chosen_inline_result", "1111111", "update:10000"),
    "13_callback_query.json": ("button", None, "1111111", "cbq:4382bfdwdsb323b2d9"),
    "edited_message.json": ("text", None, "12345678", "12345678:12345:edit:1508825379"),
    "forwarded_message.json": ("text", None, "12345678", "12345678:12345"),
    "message.json": ("text", None, "12345678", "12345678:11223"),
    "message_from_channel.json": ("text", None, "-1001065170817", "-1001065170817:123432"),
    "message_with_audio.json": ("audio", None, "12345678", "12345678:12345"),
    "message_with_contact.json": ("contact", None, "12345678", "12345678:56006"),
    "message_with_dice.json": ("event", "dice", "12345678", "12345678:12345"),
    "message_with_document.json": ("document", None, "12345678", "12345678:12345"),
    "message_with_game.json": ("event", "game", "12345678", "12345678:12345"),
    "message_with_invoice.json": ("event", "invoice", "12345678", "12345678:9772"),
    "message_with_location.json": ("location", None, "12345678", "12345678:12345"),
    "message_with_media_group.json": ("image", None, "12345678", "12345678:55966"),
    "message_with_migrate_from_chat_id.json": (
        "event",
        "migrate_from_chat_id",
        "12345678",
        "12345678:12345",
    ),
    "message_with_migrate_to_chat_id.json": (
        "event",
        "migrate_to_chat_id",
        "12345678",
        "12345678:12345",
    ),
    "message_with_photo.json": ("image", None, "12345678", "12345678:12345"),
    "message_with_sticker.json": ("sticker", None, "12345678", "12345678:12345"),
    "message_with_successful_payment.json": (
        "event",
        "successful_payment",
        "12345678",
        "12345678:9768",
    ),
    "message_with_venue.json": ("location", None, "12345678", "12345678:56004"),
    "message_with_video.json": ("video", None, "12345678", "12345678:12345"),
    "message_with_video_note.json": ("video", None, "12345678", "12345678:55934"),
    "message_with_voice.json": ("audio", None, "12345678", "12345678:12345"),
    "pre_checkout_query.json": (
        "event",
        "pre_checkout_query",
        "12345678",
        f"update:{WRAPPED_UPDATE_ID}",
    ),
    "reply_message.json": ("text", None, "12345678", "12345678:12345"),
    "shipping_query.json": ("event", "shipping_query", "12345678", f"update:{WRAPPED_UPDATE_ID}"),
    "update.json": ("text", None, "12345678", "12345678:11223"),
}


# --- loading the shared payloads -------------------------------------------------------------
def _payload_files() -> list[Path]:
    if not TELEGRAM.is_dir():
        return []
    return sorted(p for p in TELEGRAM.rglob("*.json") if p.name != "index.json")


def _object_kinds() -> dict[str, str]:
    kinds: dict[str, str] = {}
    for index in TELEGRAM.rglob("index.json"):
        kinds |= {entry["file"]: entry["object"] for entry in json.loads(index.read_text())}
    return kinds


def update_body(name: str) -> dict[str, Any]:
    """A shared payload as the whole Update Telegram would POST."""
    matches = [p for p in _payload_files() if p.name == name]
    if not matches:
        pytest.skip(f"shared Telegram payloads not found under {TELEGRAM}")
    data = json.loads(matches[0].read_text())
    kind = _object_kinds().get(name, "Update")
    if kind == "Update":
        return data
    return {"update_id": WRAPPED_UPDATE_ID, WRAP_OVERRIDE.get(name, WRAP_KEY[kind]): data}


def _payload_params() -> list[Any]:
    files = _payload_files()
    if not files:
        reason = f"shared Telegram payloads not found under {TELEGRAM}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(p.name, id=p.name) for p in files]


# --- fixtures ----------------------------------------------------------------------------------
def make_ref(token: str = DEFAULT_TOKEN, secret: str = SECRET) -> ChannelRef:
    return ChannelRef(
        id=uuid.uuid4(),
        org_id=uuid.uuid4(),
        platform="telegram",
        config={"bot_token": token},
        webhook_secret=secret,
    )


def request(body: bytes | dict[str, Any], secret: str | None = SECRET) -> WebhookRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["x-telegram-bot-api-secret-token"] = secret
    return WebhookRequest("POST", "https://shop.example/webhooks/telegram/x", headers, {}, raw)


@pytest.fixture
def offline_adapter() -> TelegramAdapter:
    """For verify/parse: an API base nobody listens on proves no session is needed."""
    return TelegramAdapter(
        make_ref(), ChannelEnvironment(api_bases={"telegram": "http://127.0.0.1:9"})
    )


def parse_one(adapter: TelegramAdapter, body: dict[str, Any] | bytes) -> InboundMessage:
    result = adapter.parse(request(body))
    assert result.response == WebhookResponse()
    assert len(result.messages) == 1
    return result.messages[0]


@pytest.fixture
async def fake():
    async with FakeTelegramAPI() as api:
        yield api


@pytest.fixture
async def adapter(fake: FakeTelegramAPI):
    env = ChannelEnvironment(
        public_url="https://shop.example", api_bases={"telegram": fake.base_url}
    )
    tg = TelegramAdapter(make_ref(fake.token), env)
    try:
        yield tg
    finally:
        await tg.aclose()


# --- registry and config -----------------------------------------------------------------------
def test_registered_with_buttons_and_telegram_text_limit():
    assert CHANNELS["telegram"] is TelegramAdapter
    assert TelegramAdapter.capabilities.buttons is True
    assert TelegramAdapter.capabilities.max_text_length == 4096


@pytest.mark.parametrize("token", ["", "abc:def", "123456789", "12345:has space here", "12:sh"])
def test_config_refuses_malformed_tokens_without_echoing_them(token):
    with pytest.raises(ChannelConfigError) as info:
        TelegramAdapter.parse_config({"bot_token": token})
    assert "bot_token" in str(info.value)
    if token:
        assert token not in str(info.value)


def test_config_accepts_a_botfather_token_and_strips_the_at_sign():
    config = TelegramAdapter.parse_config({"bot_token": DEFAULT_TOKEN, "bot_username": "@shop_bot"})
    assert config.bot_token == DEFAULT_TOKEN
    assert config.bot_username == "shop_bot"


# --- verify ------------------------------------------------------------------------------------
def test_verify_accepts_the_channel_secret(offline_adapter):
    offline_adapter.verify(request(b"{}"))


def test_verify_without_the_header_is_401(offline_adapter):
    with pytest.raises(WebhookAuthError) as info:
        offline_adapter.verify(request(b"{}", secret=None))
    assert info.value.status == 401


@pytest.mark.parametrize("wrong", [SECRET + "x", SECRET[:-1], SECRET.upper(), "other"])
def test_verify_with_a_wrong_secret_is_403(offline_adapter, wrong):
    with pytest.raises(WebhookAuthError) as info:
        offline_adapter.verify(request(b"{}", secret=wrong))
    assert info.value.status == 403


def test_verify_fails_closed_when_the_channel_has_no_secret():
    adapter = TelegramAdapter(make_ref(secret=""), ChannelEnvironment())
    with pytest.raises(WebhookAuthError) as info:
        adapter.verify(request(b"{}", secret="anything"))
    assert info.value.status == 403


# --- parse: every shared payload -----------------------------------------------------------------
@pytest.mark.parametrize("name", _payload_params())
def test_every_shared_payload_parses(offline_adapter, name):
    message = parse_one(offline_adapter, update_body(name))
    assert message.sent_at.tzinfo is not None
    assert message.sent_at.utcoffset().total_seconds() == 0
    assert message.sender_id
    assert message.external_message_id
    if name in EXPECTED:
        content_type, event, sender_id, external_id = EXPECTED[name]
        assert message.content_type == content_type
        assert message.event == event
        assert message.sender_id == sender_id
        assert message.external_message_id == external_id
    # parsing never opens a session
    assert offline_adapter._bot is None


def test_expectations_name_existing_files():
    files = {p.name for p in _payload_files()}
    if not files:
        pytest.skip(f"shared Telegram payloads not found under {TELEGRAM}")
    assert set(EXPECTED) <= files


def test_same_update_parses_to_the_same_id_on_every_redelivery(offline_adapter):
    body = update_body("02_message_text_command.json")
    ids = {parse_one(offline_adapter, body).external_message_id for _ in range(3)}
    assert ids == {"1111111:1365"}


def test_text_message_sender_profile_time_and_command(offline_adapter):
    message = parse_one(offline_adapter, update_body("02_message_text_command.json"))
    assert message.text == "/start"
    assert message.chat_id == "1111111"
    assert message.sender_name == "Test Firstname Test Lastname"
    assert message.profile == {
        "username": "Testusername",
        "first_name": "Test Firstname",
        "last_name": "Test Lastname",
        "is_bot": False,
    }
    assert message.sent_at == datetime(2015, 9, 7, 17, 5, 32, tzinfo=UTC)
    assert message.extra["command"] == "/start"


def test_language_hint_comes_from_the_user(offline_adapter):
    message = parse_one(offline_adapter, update_body("message.json"))
    assert message.language_hint == "ru"
    assert message.text == "Hi, world!"


def test_entities_are_kept(offline_adapter):
    message = parse_one(offline_adapter, update_body("07_message_with_entities.json"))
    assert [e["type"] for e in message.extra["entities"]] == ["italic", "bold"]


def test_photo_caption_and_file_id(offline_adapter):
    message = parse_one(offline_adapter, update_body("message_with_photo.json"))
    (photo,) = message.media
    assert photo.kind == "image"
    assert photo.platform_media_id == "AgADBAADFak0G88YZAf8OAug7bHyS9x2ZxkABHVfpJywcloRAAGAAQABAg"
    assert photo.caption == message.text == "photo description"


def test_photo_picks_the_largest_size(offline_adapter):
    # The recorded sizes are identical; give them distinct ones, largest not last.
    body = update_body("message_with_photo.json")
    sizes = [(320, 180, "MID"), (1280, 720, "BIG"), (90, 51, "SMALL")]
    body["message"]["photo"] = [
        {"file_id": fid, "file_unique_id": fid.lower(), "width": w, "height": h}
        for w, h, fid in sizes
    ]
    assert parse_one(offline_adapter, body).media[0].platform_media_id == "BIG"


def test_media_group_id_is_kept(offline_adapter):
    message = parse_one(offline_adapter, update_body("message_with_media_group.json"))
    assert message.extra["media_group_id"] == "12182749320567362"


def test_document_voice_video_note_and_sticker(offline_adapter):
    document = parse_one(offline_adapter, update_body("10_message_with_document.json")).media[0]
    assert (document.file_name, document.mime_type) == ("Testfile.pdf", "application/pdf")
    voice = parse_one(offline_adapter, update_body("message_with_voice.json"))
    assert voice.media[0].mime_type == "audio/ogg" and voice.extra["voice"] is True
    note = parse_one(offline_adapter, update_body("message_with_video_note.json"))
    assert note.media[0].platform_media_id == "AbCdEfGhIjKlMnOpQrStUvWxYz"
    assert note.extra["video_note"] is True
    sticker = parse_one(offline_adapter, update_body("message_with_sticker.json"))
    assert sticker.media[0].platform_media_id == "AAbbCCddEEffGGhh1234567890"


def test_location_coordinates(offline_adapter):
    message = parse_one(offline_adapter, update_body("message_with_location.json"))
    assert message.location is not None
    assert (message.location.latitude, message.location.longitude) == (50.693416, 30.624605)
    assert message.location.label is None


def test_venue_is_a_labelled_location(offline_adapter):
    message = parse_one(offline_adapter, update_body("message_with_venue.json"))
    assert message.location is not None
    assert message.location.label == "Venue Name, Venue Address"
    assert message.extra["venue"]["foursquare_id"] == "4e6f2cec483bad563d150f98"


def test_contact(offline_adapter):
    message = parse_one(offline_adapter, update_body("message_with_contact.json"))
    assert message.extra["contact"] == {
        "phone_number": "88005553535",
        "first_name": "John",
        "last_name": "Smith",
    }


def test_callback_query_payload_and_id_for_answering(offline_adapter):
    message = parse_one(offline_adapter, update_body("13_callback_query.json"))
    assert message.button_payload == "Data from button callback"
    assert message.extra["callback_query_id"] == "4382bfdwdsb323b2d9"
    assert message.extra["inline_message_id"] == "1234csdbsk4839"
    # An inline message belongs to no chat we know: replies go to the user directly.
    assert message.chat_id is None
    assert message.reply_target == "1111111"


def test_callback_on_our_message_names_the_button_and_the_message(offline_adapter):
    user = {"id": 4242, "is_bot": False, "first_name": "Ana", "language_code": "es"}
    keyboard = [
        [{"text": "Sí, pedir", "callback_data": "order:7"}],
        [{"text": "No", "callback_data": "no"}],
    ]
    body = {
        "update_id": 5001,
        "callback_query": {
            "id": "9001",
            "from": user,
            "chat_instance": "-77",
            "data": "order:7",
            "message": {
                "message_id": 31,
                "date": 1700000000,
                "chat": {"id": 4242, "type": "private", "first_name": "Ana"},
                "text": "¿Confirmas el pedido?",
                "reply_markup": {"inline_keyboard": keyboard},
            },
        },
    }
    message = parse_one(offline_adapter, body)
    assert message.external_message_id == "cbq:9001"
    assert (message.content_type, message.button_payload) == ("button", "order:7")
    assert message.text == "Sí, pedir"
    assert (message.chat_id, message.reply_to_external_id) == ("4242", "4242:31")
    assert message.language_hint == "es"


def test_edited_message_gets_its_own_id(offline_adapter):
    original = parse_one(offline_adapter, update_body("02_message_text_command.json"))
    edited = parse_one(offline_adapter, update_body("06_edited_message.json"))
    assert edited.external_message_id != original.external_message_id
    assert edited.extra["original_external_id"] == original.external_message_id
    assert edited.extra["edited"] is True
    assert edited.sent_at == datetime.fromtimestamp(1441646600, UTC)  # the edit's time


def test_forwarded_from_a_user(offline_adapter):
    message = parse_one(offline_adapter, update_body("03_forwarded_message.json"))
    assert message.extra["forward"]["from_user_id"] == 222222
    assert message.extra["forward"]["from_name"] == "Forward Firstname Forward Lastname"
    assert message.extra["forward"]["date"] == "2015-09-07T17:05:50+00:00"


def test_forwarded_from_a_channel_in_the_old_guide_shape(offline_adapter):
    # The webhook guide puts the channel into forward_from; it is read as forward_from_chat.
    message = parse_one(offline_adapter, update_body("04_forwarded_channel_message.json"))
    assert message.extra["forward"]["from_chat_id"] == -10000000000
    assert message.extra["forward"]["from_name"] == "Test channel"


def test_forwarded_from_a_chat_with_message_id(offline_adapter):
    message = parse_one(offline_adapter, update_body("forwarded_message.json"))
    assert message.extra["forward"]["from_chat_id"] == 12345678
    assert message.extra["forward"]["from_message_id"] == 123


def test_forward_origin_of_current_bot_api(offline_adapter):
    body = update_body("message.json")
    body["message"]["forward_origin"] = {
        "type": "hidden_user",
        "date": 1700000000,
        "sender_user_name": "Someone",
    }
    forward = parse_one(offline_adapter, body).extra["forward"]
    assert forward["type"] == "hidden_user" and forward["sender_user_name"] == "Someone"


def test_reply_to_points_at_the_quoted_message(offline_adapter):
    assert (
        parse_one(offline_adapter, update_body("reply_message.json")).reply_to_external_id
        == "12345678:11223"
    )
    assert (
        parse_one(offline_adapter, update_body("05_message_with_reply.json")).reply_to_external_id
        == "1111112:1334"
    )


def test_channel_post_sender_is_the_channel(offline_adapter):
    message = parse_one(offline_adapter, update_body("message_from_channel.json"))
    assert message.sender_id == message.chat_id == "-1001065170817"
    assert message.sender_name == "@best_channel_ever"


def test_payment_event_keeps_the_payload(offline_adapter):
    message = parse_one(offline_adapter, update_body("message_with_successful_payment.json"))
    assert message.extra["payload"]["invoice_payload"] == "HAPPY FRIDAYS COUPON"
    query = parse_one(offline_adapter, update_body("pre_checkout_query.json"))
    assert query.event_key == "HAPPY FRIDAYS COUPON"


def test_blocked_by_the_user_is_a_my_chat_member_event(offline_adapter):
    user = {"id": 4242, "is_bot": False, "first_name": "Ana"}
    bot = {"id": 123456789, "is_bot": True, "first_name": "Shop"}
    body = {
        "update_id": 6001,
        "my_chat_member": {
            "chat": {"id": 4242, "type": "private", "first_name": "Ana"},
            "from": user,
            "date": 1700000100,
            "old_chat_member": {"status": "member", "user": bot},
            "new_chat_member": {"status": "kicked", "user": bot, "until_date": 0},
        },
    }
    message = parse_one(offline_adapter, body)
    assert (message.content_type, message.event, message.event_key) == (
        "event",
        "my_chat_member",
        "kicked",
    )
    assert (message.sender_id, message.external_message_id) == ("4242", "update:6001")
    assert message.sent_at == datetime.fromtimestamp(1700000100, UTC)


@pytest.mark.parametrize(
    ("body", "event_key"),
    [
        ({"update_id": 7001}, None),
        ({"update_id": 7002, "a_future_kind": {"x": 1}}, "a_future_kind"),
    ],
)
def test_updates_we_do_not_understand_still_parse(offline_adapter, body, event_key):
    message = parse_one(offline_adapter, body)
    assert (message.content_type, message.event) == ("event", "unknown")
    assert message.event_key == event_key
    assert message.external_message_id == f"update:{body['update_id']}"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"update"',
        b'{"message": {"text": "no update_id"}}',
        b'{"update_id": "x"}',
        b'{"update_id": 1, "message": "not an object"}',
        b'{"update_id": 1, "message": {"message_id": 1, "text": "no chat, no date"}}',
    ],
)
def test_malformed_bodies_are_refused_with_400(offline_adapter, body):
    with pytest.raises(MalformedPayload) as info:
        offline_adapter.parse(request(body))
    assert info.value.status == 400


# --- send through aiogram to the fake Bot API ----------------------------------------------------
async def test_send_text(adapter, fake):
    receipt = await adapter.send(
        OutboundMessage(recipient_id="4242", text="Hola, ¿en qué te ayudo?")
    )
    ((method, params),) = fake.sent_messages()
    assert method == "sendMessage"
    assert params["chat_id"] == "4242"
    assert params["text"] == "Hola, ¿en qué te ayudo?"
    assert "reply_markup" not in params and "parse_mode" not in params
    assert receipt.status == "sent"
    assert receipt.external_message_id == "4242:1001"


async def test_send_buttons_as_an_inline_keyboard(adapter, fake):
    buttons = (Button("Approve", "approve:17"), Button("Reject", "reject:17"))
    await adapter.send(OutboundMessage(recipient_id="4242", text="Quote #17", buttons=buttons))
    ((_, params),) = fake.sent_messages()
    assert params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Approve", "callback_data": "approve:17"}],
            [{"text": "Reject", "callback_data": "reject:17"}],
        ]
    }


async def test_button_payload_over_64_bytes_is_refused_before_sending(adapter, fake):
    too_long = "é" * 33  # 33 characters, 66 bytes
    with pytest.raises(PermanentError) as info:
        await adapter.send(
            OutboundMessage(recipient_id="4242", text="x", buttons=(Button("B", too_long),))
        )
    assert info.value.code == "button_payload_too_long"
    assert fake.calls == []


async def test_send_photo_by_url_with_the_text_as_caption(adapter, fake):
    photo = Media("image", url="https://shop.example/p/17.jpg")
    receipt = await adapter.send(OutboundMessage("4242", text="Modelo 17", media=(photo,)))
    ((method, params),) = fake.sent_messages()
    assert method == "sendPhoto"
    assert params["photo"] == "https://shop.example/p/17.jpg"
    assert params["caption"] == "Modelo 17"
    assert receipt.external_message_id == "4242:1001"


async def test_send_long_text_with_media_goes_in_its_own_message(adapter, fake):
    document = Media("document", platform_media_id="BQADAgADpgADy_JxS66XQTBRHFleAg")
    buttons = (Button("OK", "ok"),)
    receipt = await adapter.send(
        OutboundMessage("4242", text="x" * 1500, media=(document,), buttons=buttons)
    )
    (doc_method, doc), (text_method, text) = fake.sent_messages()
    assert (doc_method, doc["document"]) == ("sendDocument", "BQADAgADpgADy_JxS66XQTBRHFleAg")
    assert "caption" not in doc and "reply_markup" not in doc
    assert text_method == "sendMessage" and len(text["text"]) == 1500
    assert "reply_markup" in text
    assert receipt.raw["message_ids"] == ["4242:1001", "4242:1002"]
    assert receipt.external_message_id == "4242:1002"


async def test_send_several_media_as_one_album(adapter, fake):
    media = (
        Media("image", url="https://shop.example/a.jpg"),
        Media("video", platform_media_id="VID1"),
    )
    await adapter.send(OutboundMessage("4242", text="Both colours", media=media))
    ((method, params),) = fake.sent_messages()
    assert method == "sendMediaGroup"
    assert params["media"] == [
        {"type": "photo", "media": "https://shop.example/a.jpg", "caption": "Both colours"},
        {"type": "video", "media": "VID1"},
    ]


async def test_send_reply_to_a_customer_message(adapter, fake):
    await adapter.send(
        OutboundMessage("4242", text="Yes, in stock", reply_to_external_id="4242:31")
    )
    ((_, params),) = fake.sent_messages()
    assert params["reply_parameters"] == {
        "message_id": 31,
        "chat_id": 4242,
        "allow_sending_without_reply": True,
    }


async def test_reply_to_a_button_press_is_not_a_message_reference(adapter, fake):
    await adapter.send(OutboundMessage("4242", text="Noted", reply_to_external_id="cbq:9001"))
    ((_, params),) = fake.sent_messages()
    assert "reply_parameters" not in params


async def test_nothing_to_send_is_permanent(adapter, fake):
    with pytest.raises(PermanentError):
        await adapter.send(OutboundMessage("4242"))
    assert fake.calls == []


# --- error mapping -----------------------------------------------------------------------------
async def test_429_is_rate_limited_with_retry_after(adapter, fake):
    fake.fail_with(429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RateLimited) as info:
        await adapter.send(OutboundMessage("4242", text="hi"))
    assert info.value.retry_after == 3
    assert info.value.retryable is True
    assert info.value.__cause__ is not None


async def test_unknown_token_is_a_channel_auth_error_that_never_shows_the_token(fake):
    other = "987654321:AAOtherTokenNobodyKnows_abcdefghijk"
    adapter = TelegramAdapter(
        make_ref(other), ChannelEnvironment(api_bases={"telegram": fake.base_url})
    )
    try:
        with pytest.raises(ChannelAuthError) as info:
            await adapter.send(OutboundMessage("4242", text="hi"))
    finally:
        await adapter.aclose()
    assert "Unauthorized" in info.value.reason
    assert other not in info.value.reason
    assert info.value.retryable is False


async def test_blocked_by_the_user_is_permanent(adapter, fake):
    fake.fail_with(403, "Forbidden: bot was blocked by the user")
    with pytest.raises(PermanentError) as info:
        await adapter.send(OutboundMessage("4242", text="hi"))
    assert "blocked" in info.value.reason
    assert info.value.retryable is False


async def test_bad_request_is_permanent(adapter, fake):
    fake.fail_with(400, "Bad Request: chat not found")
    with pytest.raises(PermanentError):
        await adapter.send(OutboundMessage("4242", text="hi"))


async def test_server_error_is_transient(adapter, fake):
    fake.fail_with(500, "Internal Server Error")
    with pytest.raises(TransientError) as info:
        await adapter.send(OutboundMessage("4242", text="hi"))
    assert info.value.retryable is True


async def test_a_proxy_html_page_is_transient(adapter, fake):
    fake.fail_next(502, "<html><body>502 Bad Gateway</body></html>")
    with pytest.raises(TransientError):
        await adapter.send(OutboundMessage("4242", text="hi"))


async def test_connection_refused_is_transient():
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = ChannelEnvironment(api_bases={"telegram": f"http://127.0.0.1:{port}"}, http_timeout=2)
    adapter = TelegramAdapter(make_ref(), env)
    try:
        with pytest.raises(TransientError) as info:
            await adapter.send(OutboundMessage("4242", text="hi"))
    finally:
        await adapter.aclose()
    assert DEFAULT_TOKEN not in info.value.reason


# --- webhook registration, getMe, lifecycle ------------------------------------------------------
async def test_register_webhook_sends_our_url_and_secret(adapter, fake):
    assert await adapter.register_webhook() is None
    ((_, params),) = fake.method_calls("setWebhook")
    assert params["url"] == f"https://shop.example/webhooks/telegram/{adapter.ref.id}"
    assert params["secret_token"] == SECRET
    assert params["allowed_updates"] == ALLOWED_UPDATES
    assert "callback_query" in params["allowed_updates"]


async def test_register_webhook_refuses_a_secret_telegram_would_reject(fake):
    env = ChannelEnvironment(api_bases={"telegram": fake.base_url})
    adapter = TelegramAdapter(make_ref(fake.token, secret="has spaces!"), env)
    with pytest.raises(ChannelConfigError):
        await adapter.register_webhook()
    assert fake.calls == []


async def test_get_me_returns_the_bot_username(adapter):
    assert await adapter.get_me() == "trademate_test_bot"


async def test_aclose_closes_the_session(adapter):
    await adapter.send(OutboundMessage("4242", text="hi"))
    bot = adapter._bot
    assert bot is not None
    http = bot.session._session
    assert http is not None and not http.closed
    await adapter.aclose()
    assert http.closed
    assert adapter._bot is None
    await adapter.aclose()  # twice is fine


async def test_aclose_without_use_opens_nothing(offline_adapter):
    await offline_adapter.aclose()
    assert offline_adapter._bot is None


# --- the fake itself -----------------------------------------------------------------------------
async def test_fake_decodes_multipart_uploads(adapter, fake):
    upload = BufferedInputFile(b"\x89PNG fake", filename="p.png")
    await adapter.bot(SendPhoto(chat_id=4242, photo=upload, caption="uploaded"))
    (call,) = fake.calls
    assert call.headers["content-type"].startswith("multipart/form-data")
    ((_, params),) = fake.sent_messages()
    attached = params["photo"].removeprefix("attach://")
    assert params[attached] == {"filename": "p.png", "content": b"\x89PNG fake"}
    assert params["caption"] == "uploaded"
