"""WeChat Official Account adapter: recorded callbacks, signatures, safe mode, sending."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from wechatpy.crypto import WeChatCrypto

from channels.base import ChannelEnvironment, MemoryTokenCache
from channels.errors import (
    ChannelAuthError,
    ChannelConfigError,
    MalformedPayload,
    PermanentError,
    RateLimited,
    TransientError,
    WebhookAuthError,
    WindowClosed,
)
from channels.models import Button, ChannelRef, Media, OutboundMessage
from channels.pacer import Pacer
from channels.registry import CHANNELS
from channels.retry import RetryPolicy, deliver
from channels.wechat import WeChatAdapter
from tests.fakes.wechat_api import (
    OA_EXPIRED,
    FakeWeChatAPI,
    encrypt_inbound,
    plain_query,
    seal,
    sign,
    webhook_request,
)

WEBHOOKS = Path(__file__).resolve().parents[3] / "shared" / "data" / "webhooks"
OA_DIR = WEBHOOKS / "wechat" / "official_account_xml"
VECTORS = WEBHOOKS / "wechat" / "crypto_vectors.json"
NO_DATA = f"shared webhook data not found at {WEBHOOKS}"

APP_ID = "wx0123456789abcdef"
SECRET = "oa-secret-0123456789"
TOKEN = "trademate"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
CONTENT_TYPES = {
    "text": "text",
    "image": "image",
    "voice": "audio",
    "video": "video",
    "shortvideo": "video",
    "location": "location",
    "link": "link",
    "event": "event",
}


def oa_files() -> list:
    if not OA_DIR.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_DATA))]
    return [pytest.param(path, id=path.stem) for path in sorted(OA_DIR.glob("*.xml"))]


def vectors(platform: str) -> list:
    if not VECTORS.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_DATA))]
    items = json.loads(VECTORS.read_text())
    return [pytest.param(v, id=v["id"]) for v in items if v["platform"] == platform]


def make_adapter(env: ChannelEnvironment | None = None, **config: object) -> WeChatAdapter:
    settings = {"app_id": APP_ID, "app_secret": SECRET, "token": TOKEN, **config}
    ref = ChannelRef(uuid.uuid4(), uuid.uuid4(), "wechat", settings, webhook_secret="unused")
    return WeChatAdapter(ref, env or ChannelEnvironment())


def receive(adapter: WeChatAdapter, query: dict, body: bytes | str):
    request = webhook_request(query, body)
    adapter.verify(request)
    return adapter.parse(request)


def plain(xml: bytes | str, adapter: WeChatAdapter | None = None):
    return receive(adapter or make_adapter(), plain_query(TOKEN), xml).messages[0]


def xml_message(msg_type: str, fields: str = "", sender: str = "oUser", created: int = 1700000000):
    return (
        f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[{sender}]]>"
        f"</FromUserName><CreateTime>{created}</CreateTime><MsgType><![CDATA[{msg_type}]]>"
        f"</MsgType>{fields}</xml>"
    )


def oa_file(name: str) -> bytes:
    path = OA_DIR / name
    if not path.is_file():
        pytest.skip(NO_DATA)
    return path.read_bytes()


# --- every recorded callback -----------------------------------------------------------------
def test_index_lists_every_file() -> None:
    if not OA_DIR.is_dir():
        pytest.skip(NO_DATA)
    listed = {entry["file"] for entry in json.loads((OA_DIR / "index.json").read_text())}
    assert listed == {path.name for path in OA_DIR.glob("*.xml")}


@pytest.mark.parametrize("mode", ["plaintext", "safe"])
@pytest.mark.parametrize("path", oa_files())
def test_recorded_callback_parses(path: Path, mode: str) -> None:
    xml = path.read_bytes()
    root = ET.fromstring(xml)  # an independent reading of what the payload says
    msg_type = root.findtext("MsgType").lower()
    if mode == "safe":
        adapter = make_adapter(encoding_aes_key=AES_KEY)
        result = receive(adapter, *encrypt_inbound(xml.decode(), TOKEN, AES_KEY, APP_ID))
    else:
        result = receive(make_adapter(), plain_query(TOKEN), xml)

    assert result.response.body == "success"
    (message,) = result.messages
    assert message.sender_id == message.chat_id == root.findtext("FromUserName")
    assert message.sent_at.timestamp() == int(root.findtext("CreateTime"))
    assert message.sent_at.utcoffset().total_seconds() == 0
    assert message.content_type == CONTENT_TYPES.get(msg_type, "event")
    if msg_type == "event":
        sender, created = root.findtext("FromUserName"), root.findtext("CreateTime")
        assert message.external_message_id == f"{sender}:{created}:{message.event}"
        assert message.event == message.event.lower()
    else:
        assert message.external_message_id == root.findtext("MsgId")
    if msg_type not in CONTENT_TYPES:
        assert message.event == f"unknown:{msg_type}"


def test_text() -> None:
    message = plain(oa_file("test_parser__test_parse_text_message.xml"))
    assert (message.content_type, message.text) == ("text", "this is a test")
    assert message.external_message_id == "1234567890123456"
    assert message.sender_id == "fromUser"
    assert message.extra["to_user"] == "toUser"


def test_image_keeps_url_and_media_id() -> None:
    message = plain(oa_file("test_parser__test_parse_image_message.xml"))
    assert message.media == (
        Media(kind="image", url="this is a url", platform_media_id="media_id"),
    )


def test_voice_with_and_without_recognition() -> None:
    message = plain(oa_file("test_parser__test_parse_voice_message.xml"))
    assert message.content_type == "audio"
    assert message.media[0].platform_media_id == "media_id"
    assert message.text is None and message.extra["format"] == "format"
    fields = (
        "<MediaId>m1</MediaId><Format>amr</Format><Recognition>你好</Recognition><MsgId>7</MsgId>"
    )
    recognized = plain(xml_message("voice", fields))
    assert recognized.text == "你好"
    assert recognized.media[0].mime_type == "audio/amr"


def test_video_and_shortvideo() -> None:
    message = plain(oa_file("test_parser__test_parse_video_message.xml"))
    assert message.media[0].platform_media_id == "media_id"
    assert message.extra["thumb_media_id"] == "thumb_media_id"
    short = plain(xml_message("shortvideo", "<MediaId>s1</MediaId><MsgId>8</MsgId>"))
    assert (short.content_type, short.media[0].kind) == ("video", "video")


def test_location() -> None:
    message = plain(oa_file("test_parser__test_parse_location_message.xml"))
    assert message.content_type == "location"
    assert (message.location.latitude, message.location.longitude) == (23.134521, 113.358803)
    assert message.location.label == "位置信息"
    assert message.extra["scale"] == "20"


def test_link() -> None:
    message = plain(oa_file("test_parser__test_parse_link_message.xml"))
    assert message.content_type == "link"
    assert message.extra["title"] == "公众平台官网链接"
    assert message.extra["url"] == "url"
    assert message.text == "公众平台官网链接\n公众平台官网链接\nurl"


def test_subscribe() -> None:
    message = plain(oa_file("test_parser__test_parse_subscribe_event.xml"))
    assert (message.content_type, message.event, message.event_key) == ("event", "subscribe", None)
    assert message.external_message_id == "FromUser:123456789:subscribe"


def test_subscribe_from_qr_code_is_still_a_subscribe() -> None:
    # wechatpy renames it subscribe_scan and strips "qrscene_"; the scene matches SCAN's key.
    message = plain(oa_file("test_parser__test_parse_subscribe_scan_event.xml"))
    assert (message.event, message.event_key) == ("subscribe", "123123")
    assert message.extra["subscribe_via"] == "subscribe_scan"
    scan = plain(oa_file("test_parser__test_parse_scan_event.xml"))
    assert (scan.event, scan.event_key) == ("scan", "123123")


def test_click_event_key() -> None:
    message = plain(oa_file("test_parser__test_parse_click_event.xml"))
    assert (message.event, message.event_key) == ("click", "EVENTKEY")
    view = plain(oa_file("test_parser__test_parse_view_event.xml"))
    assert (view.event, view.event_key) == ("view", "www.qq.com")


def test_location_event_carries_position() -> None:
    message = plain(oa_file("test_events__test_location_event.xml"))
    assert message.event == "location"
    assert (message.location.latitude, message.location.longitude) == (23.137466, 113.352425)
    assert message.extra["fields"]["Precision"] == "119.385040"


def test_unknown_message_type_still_parses() -> None:
    message = plain(oa_file("test_parser__test_parse_unknown_message.xml"))
    assert (message.content_type, message.event) == ("event", "unknown:notsure")
    assert message.external_message_id == "1234567890123456"


def test_job_finish_event_is_keyed_by_user_not_by_our_job_msgid() -> None:
    message = plain(oa_file("test_events__test_template_send_job_finish_event.xml"))
    assert message.event == "templatesendjobfinish"
    assert message.external_message_id == "fromuser:1395658920:templatesendjobfinish"
    assert message.extra["fields"]["Status"] == "success"


def test_two_events_in_one_second_get_different_ids() -> None:
    scan = plain(xml_message("event", "<Event>SCAN</Event><EventKey>1</EventKey>"))
    click = plain(xml_message("event", "<Event>CLICK</Event><EventKey>1</EventKey>"))
    assert scan.external_message_id != click.external_message_id


def test_unknown_event_keeps_its_lower_cased_name() -> None:
    message = plain(xml_message("event", "<Event>Brand_New_Thing</Event>"))
    assert (message.content_type, message.event) == ("event", "brand_new_thing")


# --- malformed ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not xml at all", id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param(b"<xml>just text</xml>", id="text-root"),
        pytest.param(b"<other><MsgType>text</MsgType></other>", id="wrong-root"),
        pytest.param(
            xml_message("text").replace("<MsgType><![CDATA[text]]></MsgType>", ""), id="no-msgtype"
        ),
        pytest.param(xml_message("text", sender=""), id="no-sender"),
        pytest.param(xml_message("text").replace("1700000000", "yesterday"), id="bad-createtime"),
        pytest.param(
            xml_message("location", "<Location_X>north</Location_X><Location_Y>1</Location_Y>"),
            id="bad-coordinate",
        ),
        pytest.param(
            b'<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><FromUserName>&a;</FromUserName></xml>',
            id="entity",
        ),
        pytest.param(b"<xml><FromUserName>\xff\xfe</FromUserName></xml>", id="not-utf8"),
    ],
)
def test_malformed_payload(body: bytes | str) -> None:
    with pytest.raises(MalformedPayload):
        receive(make_adapter(), plain_query(TOKEN), body)


def test_encrypted_callback_without_a_key_is_malformed_not_a_crash() -> None:
    query, body = encrypt_inbound(xml_message("text"), TOKEN, AES_KEY, APP_ID)
    with pytest.raises(MalformedPayload, match="encoding_aes_key"):
        receive(make_adapter(), query, body)  # no key: falls back to the plain signature


# --- handshake and signatures ---------------------------------------------------------------
@pytest.mark.parametrize("config", [{}, {"encoding_aes_key": AES_KEY}], ids=["plain", "safe"])
def test_handshake_echoes(config: dict) -> None:
    query = {**plain_query(TOKEN), "echostr": "5927782489442352469"}
    response = make_adapter(**config).handshake(webhook_request(query, method="GET"))
    assert (response.status, response.body) == (200, "5927782489442352469")
    assert response.content_type == "text/plain"


def test_handshake_forged_is_403() -> None:
    query = {**plain_query("not-our-token"), "echostr": "1"}
    with pytest.raises(WebhookAuthError) as caught:
        make_adapter().handshake(webhook_request(query, method="GET"))
    assert caught.value.status == 403


@pytest.mark.parametrize("drop", ["signature", "timestamp", "nonce", "echostr"])
def test_handshake_missing_param_is_401(drop: str) -> None:
    query = {**plain_query(TOKEN), "echostr": "1"}
    del query[drop]
    with pytest.raises(WebhookAuthError) as caught:
        make_adapter().handshake(webhook_request(query, method="GET"))
    assert caught.value.status == 401


def test_plaintext_signature_checked() -> None:
    body = xml_message("text", "<Content>hi</Content><MsgId>1</MsgId>")
    with pytest.raises(WebhookAuthError) as forged:
        make_adapter().verify(webhook_request(plain_query("other"), body))
    assert forged.value.status == 403
    with pytest.raises(WebhookAuthError) as unsigned:
        make_adapter().verify(webhook_request({}, body))
    assert unsigned.value.status == 401


def test_safe_mode_round_trip() -> None:
    xml = xml_message("text", "<Content><![CDATA[你好 safe]]></Content><MsgId>42</MsgId>")
    query, body = encrypt_inbound(xml, TOKEN, AES_KEY, APP_ID)
    assert b"safe" not in body
    (message,) = receive(make_adapter(encoding_aes_key=AES_KEY), query, body).messages
    assert (message.text, message.external_message_id) == ("你好 safe", "42")


def test_safe_mode_envelope_without_encrypt_type_is_opened() -> None:
    # msg_signature + Encrypt without encrypt_type=aes: still a signed envelope, not a downgrade.
    xml = xml_message("text", "<Content>no flag</Content><MsgId>43</MsgId>")
    query, body = encrypt_inbound(xml, TOKEN, AES_KEY, APP_ID)
    query = {k: v for k, v in query.items() if k not in ("encrypt_type", "signature")}
    (message,) = receive(make_adapter(encoding_aes_key=AES_KEY), query, body).messages
    assert message.text == "no flag"


def _safe(**changes: str) -> tuple[dict, bytes]:
    query, body = encrypt_inbound(xml_message("text"), TOKEN, AES_KEY, APP_ID)
    query.update(changes)
    return query, body


@pytest.mark.parametrize(
    ("request_parts", "status"),
    [
        pytest.param(lambda: _safe(msg_signature="0" * 40), 403, id="forged-msg-signature"),
        pytest.param(lambda: _safe(nonce="1"), 403, id="tampered-nonce"),
        pytest.param(
            lambda: encrypt_inbound(xml_message("text"), TOKEN, AES_KEY, "wxOTHER"),
            403,
            id="other-appid",
        ),
        pytest.param(
            lambda: encrypt_inbound(xml_message("text"), TOKEN, "B" * 43, APP_ID),
            403,
            id="other-key",
        ),
        pytest.param(
            lambda: ({k: v for k, v in _safe()[0].items() if k != "msg_signature"}, _safe()[1]),
            401,
            id="no-msg-signature",
        ),
        pytest.param(
            lambda: (_safe()[0], b"<xml><ToUserName>gh</ToUserName></xml>"), 401, id="no-encrypt"
        ),
        pytest.param(lambda: (_safe()[0], b"garbage"), 401, id="garbage-body"),
        pytest.param(
            lambda: (plain_query(TOKEN), xml_message("text").encode()),
            403,
            id="plaintext-downgrade",
        ),
        # A request with no credentials at all is unsigned (401), safe mode or not.
        pytest.param(lambda: ({}, xml_message("text").encode()), 401, id="unsigned"),
        pytest.param(lambda: (plain_query("other"), b"<xml/>"), 403, id="forged-plain-signature"),
    ],
)
def test_safe_mode_rejects(request_parts, status: int) -> None:
    query, body = request_parts()
    with pytest.raises(WebhookAuthError) as caught:
        make_adapter(encoding_aes_key=AES_KEY).verify(webhook_request(query, body))
    assert caught.value.status == status


def test_compatibility_mode_without_a_key_uses_the_plain_signature() -> None:
    # Compatibility mode sends encrypt_type=aes but also the fields in clear.
    xml = xml_message("text", "<Content>clear</Content><MsgId>5</MsgId>")
    query = {**plain_query(TOKEN), "encrypt_type": "aes", "msg_signature": "x"}
    body = xml.replace("</xml>", f"<Encrypt>{seal(xml, AES_KEY, APP_ID)}</Encrypt></xml>")
    assert receive(make_adapter(), query, body).messages[0].text == "clear"


# --- crypto vectors --------------------------------------------------------------------------
@pytest.mark.parametrize("vector", vectors("wechat_official_account"))
def test_crypto_vector(vector: dict) -> None:
    key, app_id = vector["encoding_aes_key"], vector["appid"]
    assert "expected_encrypt" in vector, f"unhandled vector kind: {vector['kind']}"
    # Encrypts exactly as the official sample with its fixed random prefix...
    encrypt = seal(vector["plaintext"], key, app_id, random16=vector["random16"])
    assert encrypt == vector["expected_encrypt"]
    # ...and the adapter accepts that envelope and opens it to the same plaintext.
    ts, nonce = vector["timestamp"], vector["nonce"]
    query = {"encrypt_type": "aes", "timestamp": ts, "nonce": nonce}
    query["msg_signature"] = sign(vector["token"], ts, nonce, encrypt)
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    adapter = make_adapter(token=vector["token"], encoding_aes_key=key, app_id=app_id)
    adapter.verify(webhook_request(query, body))
    crypto = WeChatCrypto(vector["token"], key, app_id)
    plaintext = crypto.decrypt_message(body, query["msg_signature"], ts, nonce)
    assert plaintext == vector["plaintext"]
    with pytest.raises(WebhookAuthError):
        adapter.verify(webhook_request({**query, "timestamp": str(int(ts) + 1)}, body))


# --- config, registry, lifecycle ------------------------------------------------------------
@pytest.mark.parametrize(
    "config",
    [
        {"encoding_aes_key": "too-short"},
        {"encoding_aes_key": "!" * 43},
        {"app_secret": ""},
        {"unexpected": "key"},
    ],
)
def test_bad_config(config: dict) -> None:
    with pytest.raises(ChannelConfigError):
        make_adapter(**config)


def test_secrets_stay_out_of_repr() -> None:
    text = repr(make_adapter(encoding_aes_key=AES_KEY).config)
    assert SECRET not in text and AES_KEY not in text


def test_registered_with_capabilities() -> None:
    assert CHANNELS["wechat"] is WeChatAdapter
    caps = WeChatAdapter.capabilities
    assert (caps.buttons, caps.service_window_hours) == (False, 48)
    assert caps.max_text_length * 4 <= 2048


async def test_register_webhook_hint() -> None:
    adapter = make_adapter(ChannelEnvironment(public_url="https://shop.example"))
    hint = await adapter.register_webhook()
    assert f"https://shop.example/webhooks/wechat/{adapter.ref.id}" in hint
    assert TOKEN in hint


# --- sending --------------------------------------------------------------------------------
@pytest.fixture
async def fake():
    async with FakeWeChatAPI(APP_ID, SECRET) as api:
        yield api


def env_for(fake: FakeWeChatAPI, **kwargs: object) -> ChannelEnvironment:
    return ChannelEnvironment(api_bases={"wechat": fake.base_url}, http_timeout=2.0, **kwargs)


@pytest.fixture
async def online(fake):
    adapter = make_adapter(env_for(fake))
    try:
        yield adapter
    finally:
        await adapter.aclose()


async def test_send_text_wire_format(fake, online) -> None:
    receipt = await online.send(OutboundMessage(recipient_id="oUser", text="您好 👋"))
    assert receipt.status == "sent" and receipt.raw["errcode"] == 0
    (call,) = fake.calls_to("custom/send")
    assert call.json == {"touser": "oUser", "msgtype": "text", "text": {"content": "您好 👋"}}
    assert "您好".encode() in call.body  # real UTF-8, not \\u escapes
    assert call.query["access_token"] in fake.valid_tokens


async def test_token_fetched_once_and_shared(fake) -> None:
    env = env_for(fake)
    first, second = make_adapter(env), make_adapter(env)
    try:
        for _ in range(3):
            await first.send(OutboundMessage(recipient_id="o1", text="hi"))
        await asyncio.gather(*(second.send(OutboundMessage("o2", text="hi")) for _ in range(5)))
    finally:
        await first.aclose()
        await second.aclose()
    assert fake.token_fetches == 1
    assert len(fake.sent) == 8


async def test_token_cached_with_margin(fake) -> None:
    class Recording(MemoryTokenCache):
        ttls: list[int] = []

        async def set(self, key: str, value: str, ttl_seconds: int) -> None:
            self.ttls.append(ttl_seconds)
            await super().set(key, value, ttl_seconds)

    cache = Recording()
    adapter = make_adapter(env_for(fake, token_cache=cache))
    try:
        await adapter.send(OutboundMessage(recipient_id="o", text="hi"))
    finally:
        await adapter.aclose()
    assert cache.ttls == [7200 - 300]
    assert await cache.get(f"wechat:access_token:{APP_ID}") in fake.valid_tokens


async def test_expired_token_is_refreshed_and_retried_once(fake, online) -> None:
    await online.send(OutboundMessage(recipient_id="o", text="one"))
    fake.expire_tokens()
    await online.send(OutboundMessage(recipient_id="o", text="two"))
    assert fake.token_fetches == 2
    assert len(fake.calls_to("custom/send")) == 3
    assert [body["text"]["content"] for body in fake.sent] == ["one", "two"]


async def test_token_rejected_after_refresh_is_auth_error(fake, online) -> None:
    fake.fail_next(200, OA_EXPIRED, times=2, path_contains="custom/send")
    with pytest.raises(ChannelAuthError):
        await online.send(OutboundMessage(recipient_id="o", text="hi"))
    assert fake.token_fetches == 2


@pytest.mark.parametrize(
    ("reply", "error", "code"),
    [
        ({"errcode": 45009, "errmsg": "reach max api daily quota limit"}, RateLimited, "45009"),
        ({"errcode": 45011, "errmsg": "api minute-quota reach limit"}, RateLimited, "45011"),
        ({"errcode": 45015, "errmsg": "response out of time limit"}, WindowClosed, "45015"),
        ({"errcode": 45047, "errmsg": "out of response count limit"}, WindowClosed, "45047"),
        ({"errcode": -1, "errmsg": "system error"}, TransientError, "-1"),
        ({"errcode": 43004, "errmsg": "require subscribe"}, PermanentError, "43004"),
        ({"errcode": 40003, "errmsg": "invalid openid"}, PermanentError, "40003"),
        ({"errcode": 48001, "errmsg": "api unauthorized"}, ChannelAuthError, "48001"),
    ],
)
async def test_send_errcode_mapping(fake, online, reply, error, code) -> None:
    fake.fail_next(200, reply, path_contains="custom/send")
    with pytest.raises(error) as caught:
        await online.send(OutboundMessage(recipient_id="o", text="hi"))
    assert type(caught.value) is error and caught.value.code == code


async def test_rate_limit_waits(fake, online) -> None:
    fake.fail_next(200, {"errcode": 45011, "errmsg": "minute quota"}, path_contains="send")
    with pytest.raises(RateLimited) as minute:
        await online.send(OutboundMessage(recipient_id="o", text="hi"))
    assert minute.value.retry_after == 60
    fake.fail_next(200, {"errcode": 45009, "errmsg": "daily quota"}, path_contains="send")
    with pytest.raises(RateLimited) as daily:
        await online.send(OutboundMessage(recipient_id="o", text="hi"))
    assert 1 <= daily.value.retry_after <= 24 * 3600  # until midnight, Beijing time


async def test_http_500_is_transient(fake, online) -> None:
    fake.fail_next(500, "upstream error", path_contains="custom/send")
    with pytest.raises(TransientError) as caught:
        await online.send(OutboundMessage(recipient_id="o", text="hi"))
    assert caught.value.code == "http_500"
    assert caught.value.retryable


async def test_timeout_is_transient(fake) -> None:
    fake.delay = 1.0
    adapter = make_adapter(
        ChannelEnvironment(api_bases={"wechat": fake.base_url}, http_timeout=0.2)
    )
    try:
        await adapter.api.token()  # the token endpoint answers at once
        with pytest.raises(TransientError):
            await adapter.send(OutboundMessage(recipient_id="o", text="hi"))
    finally:
        await adapter.aclose()


async def test_unreachable_api_is_transient() -> None:
    async with FakeWeChatAPI() as gone:
        base = gone.base_url
    adapter = make_adapter(ChannelEnvironment(api_bases={"wechat": base}, http_timeout=2.0))
    try:
        with pytest.raises(TransientError):
            await adapter.send(OutboundMessage(recipient_id="o", text="hi"))
    finally:
        await adapter.aclose()


@pytest.mark.parametrize("config", [{"app_secret": "wrong"}, {"app_id": "wxwrong"}])
async def test_bad_credentials_are_auth_errors(fake, config) -> None:
    adapter = make_adapter(env_for(fake), **config)
    try:
        with pytest.raises(ChannelAuthError) as caught:
            await adapter.send(OutboundMessage(recipient_id="o", text="hi"))
    finally:
        await adapter.aclose()
    assert caught.value.code in {"40001", "40013"}
    assert config.get("app_secret", SECRET) not in caught.value.reason
    assert fake.calls_to("custom/send") == []


async def test_token_endpoint_busy_is_transient(fake, online) -> None:
    fake.fail_next(200, {"errcode": -1, "errmsg": "system error"}, path_contains="token")
    with pytest.raises(TransientError):
        await online.send(OutboundMessage(recipient_id="o", text="hi"))


async def test_media(fake, online) -> None:
    await online.send(OutboundMessage("o", media=(Media(kind="image", platform_media_id="MID"),)))
    await online.send(
        OutboundMessage("o", text="see", media=(Media(kind="image", url="https://x/p.jpg"),))
    )
    assert fake.sent == [
        {"touser": "o", "msgtype": "image", "image": {"media_id": "MID"}},
        {"touser": "o", "msgtype": "text", "text": {"content": "see\nhttps://x/p.jpg"}},
    ]


async def test_buttons_degrade_to_numbered_text(fake, online) -> None:
    buttons = (Button("Yes", "y"), Button("No", "n"))
    await online.send(OutboundMessage("o", text="Confirm?", buttons=buttons))
    assert fake.sent[0]["text"]["content"] == "Confirm?\n1. Yes\n2. No"


async def test_nothing_to_send_is_permanent(online) -> None:
    with pytest.raises(PermanentError):
        await online.send(OutboundMessage(recipient_id="o"))


async def test_aclose_is_idempotent(fake) -> None:
    adapter = make_adapter(env_for(fake))
    await adapter.send(OutboundMessage(recipient_id="o", text="hi"))
    await adapter.aclose()
    await adapter.aclose()
    assert adapter.api._session is None


@pytest.mark.parametrize(
    ("errcode", "errmsg", "explained"),
    [
        (45015, "response out of time limit", "48 hours"),
        (45047, "out of response count limit", "limit on customer-service messages"),
    ],
)
async def test_wechat_reply_time_and_count_limits_are_permanent_and_explained(
    fake, online, redis, keys, errcode, errmsg, explained
) -> None:
    """45015 (48 h since the user's last interaction) and 45047 (customer-service message
    count used up): deliver() gives up after one call — waiting can't help until the user
    writes again — and the reason says so in words staff understand."""
    fake.fail_next(200, {"errcode": errcode, "errmsg": errmsg}, path_contains="custom/send")
    with pytest.raises(WindowClosed) as caught:
        await deliver(
            online,
            OutboundMessage(recipient_id="o", text="hi"),
            pacer=Pacer(redis, keys, {}),
            policy=RetryPolicy(max_attempts=4, base_delay=0),
            org_id=online.ref.org_id,
            channel_id=online.ref.id,
        )
    assert len(fake.calls_to("custom/send")) == 1 and fake.sent == []
    assert not caught.value.retryable and caught.value.code == str(errcode)
    assert explained in caught.value.reason and "write again" in caught.value.reason
    assert f"errcode {errcode}" in caught.value.reason  # the platform's own words are kept
