"""WeCom adapter: recorded callbacks (encrypted here), URL check, crypto vectors, sending."""

from __future__ import annotations

import base64
import json
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

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
from channels.models import ChannelRef, Media, OutboundMessage
from channels.pacer import Pacer
from channels.registry import CHANNELS
from channels.retry import RetryPolicy, deliver
from channels.wecom import WeComAdapter
from tests.fakes.wechat_api import (
    WECOM_EXPIRED,
    FakeWeComAPI,
    encrypt_wecom_inbound,
    seal,
    sign,
    webhook_request,
    wecom_url_check,
)

WEBHOOKS = Path(__file__).resolve().parents[3] / "shared" / "data" / "webhooks"
WECOM_DIR = WEBHOOKS / "wechat" / "wecom_xml"
VECTORS = WEBHOOKS / "wechat" / "crypto_vectors.json"
NO_DATA = f"shared webhook data not found at {WEBHOOKS}"

CORP_ID = "ww0123456789abcdef"
SECRET = "wecom-app-secret-0123"
AGENT_ID = 1000002
TOKEN = "trademateWeCom"
AES_KEY = base64.b64encode(bytes(range(100, 132))).decode().rstrip("=")


def wecom_files() -> list:
    if not WECOM_DIR.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_DATA))]
    return [pytest.param(path, id=path.stem) for path in sorted(WECOM_DIR.glob("*.xml"))]


def all_vectors() -> list[dict]:
    return json.loads(VECTORS.read_text()) if VECTORS.is_file() else []


def wecom_vectors() -> list:
    if not VECTORS.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_DATA))]
    return [pytest.param(v, id=v["id"]) for v in all_vectors() if v["platform"] == "wecom"]


def make_adapter(env: ChannelEnvironment | None = None, **config: object) -> WeComAdapter:
    settings = {
        "corp_id": CORP_ID,
        "secret": SECRET,
        "agent_id": AGENT_ID,
        "token": TOKEN,
        "encoding_aes_key": AES_KEY,
        **config,
    }
    ref = ChannelRef(uuid.uuid4(), uuid.uuid4(), "wecom", settings, webhook_secret="unused")
    return WeComAdapter(ref, env or ChannelEnvironment())


def receive(xml: str | bytes, adapter: WeComAdapter | None = None):
    adapter = adapter or make_adapter()
    text = xml.decode() if isinstance(xml, bytes) else xml
    request = webhook_request(*encrypt_wecom_inbound(text, TOKEN, AES_KEY, CORP_ID))
    adapter.verify(request)
    return adapter.parse(request)


def one(xml: str | bytes):
    (message,) = receive(xml).messages
    return message


def wecom_file(name: str) -> bytes:
    path = WECOM_DIR / name
    if not path.is_file():
        pytest.skip(NO_DATA)
    return path.read_bytes()


def xml_message(msg_type: str, fields: str = "", sender: str = "zhangsan") -> str:
    return (
        f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>{sender}</FromUserName>"
        f"<CreateTime>1700000000</CreateTime><MsgType>{msg_type}</MsgType>{fields}"
        f"<AgentID>{AGENT_ID}</AgentID></xml>"
    )


# --- every recorded callback, encrypted as WeCom would ------------------------------------
def test_index_lists_every_file() -> None:
    if not WECOM_DIR.is_dir():
        pytest.skip(NO_DATA)
    listed = {entry["file"] for entry in json.loads((WECOM_DIR / "index.json").read_text())}
    assert listed == {path.name for path in WECOM_DIR.glob("*.xml")}


@pytest.mark.parametrize("path", wecom_files())
def test_recorded_callback_parses(path: Path) -> None:
    xml = path.read_bytes()
    root = ET.fromstring(xml)
    msg_type = root.findtext("MsgType").lower()
    result = receive(xml)
    assert result.response.body == ""  # WeCom: an empty 200 means "received, no reply"
    (message,) = result.messages
    assert message.sender_id == message.chat_id == root.findtext("FromUserName")
    assert message.sent_at.timestamp() == int(root.findtext("CreateTime"))
    agent = root.findtext("AgentID")
    assert message.extra["agent_id"] == (int(agent) if agent else None)
    if msg_type == "event":
        assert message.content_type == "event"
        sender, created = root.findtext("FromUserName"), root.findtext("CreateTime")
        assert message.external_message_id == f"{sender}:{created}:{message.event}"
    else:
        assert message.external_message_id == root.findtext("MsgId")


def test_text() -> None:
    message = one(wecom_file("test_work_parser__test_parse_text_message.xml"))
    assert (message.content_type, message.text) == ("text", "this is a test")
    assert message.external_message_id == "1234567890123456"
    assert message.extra["agent_id"] == 1


def test_image() -> None:
    message = one(wecom_file("test_work_parser__test_parse_image_message.xml"))
    assert message.media == (
        Media(kind="image", url="this is a url", platform_media_id="media_id"),
    )


def test_voice() -> None:
    message = one(wecom_file("test_work_parser__test_parse_voice_message.xml"))
    assert message.content_type == "audio" and message.media[0].platform_media_id == "media_id"


def test_location() -> None:
    message = one(wecom_file("test_work_parser__test_parse_location_message.xml"))
    assert (message.location.latitude, message.location.longitude) == (23.134521, 113.358803)
    assert message.location.label == "位置信息"


def test_link_keeps_preview_picture() -> None:
    message = one(wecom_file("test_work_parser__test_parse_link_message.xml"))
    assert message.content_type == "link"
    assert (message.extra["url"], message.extra["pic_url"]) == ("url", "picurl")


def test_subscribe() -> None:
    message = one(wecom_file("test_work_parser__test_subscribe_event.xml"))
    assert (message.event, message.sender_id) == ("subscribe", "UserID")
    assert message.external_message_id == "UserID:1348831860:subscribe"


def test_click_event_key() -> None:
    message = one(wecom_file("test_work_parser__test_parse_click_event.xml"))
    assert (message.event, message.event_key) == ("click", "EVENTKEY")


def test_location_event() -> None:
    message = one(wecom_file("test_work_parser__test_parse_location_event.xml"))
    assert message.event == "location" and message.location.latitude == 23.137466


def test_enter_agent_and_unknown_event() -> None:
    enter = one(xml_message("event", "<Event>enter_agent</Event><EventKey></EventKey>"))
    assert (enter.event, enter.event_key) == ("enter_agent", None)
    job = one(wecom_file("test_work_parser__test_export.xml"))
    assert job.event == "batch_job_result"  # nested BatchJob stays out of extra["fields"]


def test_unknown_message_type() -> None:
    message = one(wecom_file("test_work_parser__test_parse_unknown_message.xml"))
    assert (message.content_type, message.event) == ("event", "unknown:notsure")


@pytest.mark.parametrize("plaintext", ["not xml", "<xml><MsgType>text</MsgType></xml>"])
def test_readable_envelope_with_bad_content_is_malformed(plaintext: str) -> None:
    with pytest.raises(MalformedPayload):
        receive(plaintext)


# --- URL check and signatures ---------------------------------------------------------------
def test_url_check_echoes_plaintext() -> None:
    query = wecom_url_check(TOKEN, AES_KEY, CORP_ID, "8848123")
    response = make_adapter().handshake(webhook_request(query, method="GET"))
    assert (response.status, response.body, response.content_type) == (200, "8848123", "text/plain")


def test_url_check_survives_unescaped_plus() -> None:
    for attempt in range(20):  # find an echostr that has a "+" in it
        query = wecom_url_check(TOKEN, AES_KEY, CORP_ID, f"echo{attempt}")
        if "+" in query["echostr"]:
            break
    else:
        pytest.skip("no '+' in 20 random echostrs")
    query["echostr"] = query["echostr"].replace("+", " ")
    assert make_adapter().handshake(webhook_request(query, method="GET")).body == f"echo{attempt}"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"msg_signature": "0" * 40}, 403),
        ({"timestamp": "1"}, 403),
        ({"msg_signature": ""}, 401),
        ({"echostr": ""}, 401),
    ],
)
def test_url_check_rejects(change: dict, status: int) -> None:
    query = {**wecom_url_check(TOKEN, AES_KEY, CORP_ID, "1"), **change}
    with pytest.raises(WebhookAuthError) as caught:
        make_adapter().handshake(webhook_request(query, method="GET"))
    assert caught.value.status == status


def test_url_check_for_another_corp_is_403() -> None:
    query = wecom_url_check(TOKEN, AES_KEY, "wwOTHER", "1")
    with pytest.raises(WebhookAuthError) as caught:
        make_adapter().handshake(webhook_request(query, method="GET"))
    assert caught.value.status == 403


@pytest.mark.parametrize(
    ("build", "status"),
    [
        pytest.param(lambda q, b: ({**q, "msg_signature": "f" * 40}, b), 403, id="forged"),
        pytest.param(lambda q, b: ({**q, "nonce": "0"}, b), 403, id="tampered-nonce"),
        pytest.param(
            lambda q, b: ({k: v for k, v in q.items() if k != "msg_signature"}, b),
            401,
            id="unsigned",
        ),
        pytest.param(lambda q, b: (q, b"<xml><AgentID>1</AgentID></xml>"), 401, id="no-encrypt"),
        pytest.param(lambda q, b: (q, b"\x00garbage"), 401, id="garbage"),
    ],
)
def test_verify_rejects(build, status: int) -> None:
    query, body = build(*encrypt_wecom_inbound(xml_message("text"), TOKEN, AES_KEY, CORP_ID))
    with pytest.raises(WebhookAuthError) as caught:
        make_adapter().verify(webhook_request(query, body))
    assert caught.value.status == status


@pytest.mark.parametrize(
    ("corp_id", "aes_key"), [("wwOTHER", AES_KEY), (CORP_ID, "C" * 43)], ids=["corp", "key"]
)
def test_verify_rejects_envelopes_for_someone_else(corp_id: str, aes_key: str) -> None:
    query, body = encrypt_wecom_inbound(xml_message("text"), TOKEN, aes_key, corp_id)
    with pytest.raises(WebhookAuthError) as caught:
        make_adapter().verify(webhook_request(query, body))
    assert caught.value.status == 403


# --- crypto vectors --------------------------------------------------------------------------
def test_every_vector_belongs_to_a_suite() -> None:
    assert {v["platform"] for v in all_vectors()} <= {"wecom", "wechat_official_account"}


@pytest.mark.parametrize("vector", wecom_vectors())
def test_crypto_vector(vector: dict) -> None:
    adapter = make_adapter(
        token=vector["token"],
        encoding_aes_key=vector["encoding_aes_key"],
        corp_id=vector["receive_id"],
    )
    if vector.get("expected") == "invalid_signature":
        request = webhook_request(vector["query"], method="GET")
        with pytest.raises(WebhookAuthError) as caught:
            adapter.handshake(request)
        assert caught.value.status == 403
    elif "expected_echo_plaintext" in vector:
        response = adapter.handshake(webhook_request(vector["query"], method="GET"))
        assert response.body == vector["expected_echo_plaintext"]
    elif "body" in vector:
        request = webhook_request(vector["query"], vector["body"])
        adapter.verify(request)
        (message,) = adapter.parse(request).messages
        assert message.text == vector["expected_fields"]["Content"]
        assert message.sender_id == vector["expected_fields"]["FromUserName"]
        assert message.external_message_id == "4363689963896700987"
        crypto = WeChatCrypto(vector["token"], vector["encoding_aes_key"], vector["receive_id"])
        q = vector["query"]
        plaintext = crypto.decrypt_message(
            vector["body"], q["msg_signature"], q["timestamp"], q["nonce"]
        )
        assert plaintext == vector["expected_plaintext"]
    elif "expected_output" in vector:
        expected = ET.fromstring(vector["expected_output"])
        encrypt = seal(
            vector["plaintext"],
            vector["encoding_aes_key"],
            vector["receive_id"],
            random16=vector["random16"],
        )
        assert encrypt == expected.findtext("Encrypt")
        signature = sign(vector["token"], vector["timestamp"], vector["nonce"], encrypt)
        assert signature == expected.findtext("MsgSignature")
        # That envelope, posted to us, opens to the plaintext message.
        query = {
            "msg_signature": signature,
            "timestamp": vector["timestamp"],
            "nonce": vector["nonce"],
        }
        request = webhook_request(query, vector["expected_output"])
        adapter.verify(request)
        (message,) = adapter.parse(request).messages
        assert (message.text, message.sender_id) == ("test", "wx49f0ab532d5d035a")
    else:
        pytest.fail(f"unhandled vector kind: {vector['kind']}")


# --- config, registry ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "config",
    [
        {"encoding_aes_key": None},
        {"encoding_aes_key": "x" * 42},
        {"agent_id": "abc"},
        {"secret": ""},
    ],
)
def test_bad_config(config: dict) -> None:
    with pytest.raises(ChannelConfigError):
        make_adapter(**config)


def test_registered_with_capabilities() -> None:
    assert CHANNELS["wecom"] is WeComAdapter
    caps = WeComAdapter.capabilities
    assert (caps.buttons, caps.service_window_hours) == (False, None)
    assert caps.max_text_length * 4 <= 2048


async def test_register_webhook_hint() -> None:
    adapter = make_adapter(ChannelEnvironment(public_url="https://shop.example/"))
    hint = await adapter.register_webhook()
    assert f"https://shop.example/webhooks/wecom/{adapter.ref.id}" in hint and TOKEN in hint


# --- sending --------------------------------------------------------------------------------
@pytest.fixture
async def fake():
    async with FakeWeComAPI(CORP_ID, SECRET, AGENT_ID) as api:
        yield api


def online_adapter(fake: FakeWeComAPI, **config: object) -> WeComAdapter:
    env = ChannelEnvironment(api_bases={"wecom": fake.base_url}, http_timeout=2.0)
    return make_adapter(env, **config)


@pytest.fixture
async def online(fake):
    adapter = online_adapter(fake)
    try:
        yield adapter
    finally:
        await adapter.aclose()


async def test_send_text_wire_format(fake, online) -> None:
    receipt = await online.send(OutboundMessage(recipient_id="zhangsan", text="报价已发送"))
    (call,) = fake.calls_to("message/send")
    assert call.json == {
        "touser": "zhangsan",
        "agentid": AGENT_ID,
        "msgtype": "text",
        "text": {"content": "报价已发送"},
    }
    assert receipt.external_message_id == receipt.raw["msgid"]
    assert "报价".encode() in call.body


async def test_token_fetched_once(fake, online) -> None:
    for _ in range(3):
        await online.send(OutboundMessage(recipient_id="u", text="hi"))
    assert fake.token_fetches == 1
    (fetch,) = fake.calls_to("gettoken")
    assert fetch.query == {"corpid": CORP_ID, "corpsecret": SECRET}


async def test_expired_token_is_refreshed_and_retried_once(fake, online) -> None:
    await online.send(OutboundMessage(recipient_id="u", text="one"))
    fake.expire_tokens()
    await online.send(OutboundMessage(recipient_id="u", text="two"))
    assert fake.token_fetches == 2
    assert [body["text"]["content"] for body in fake.sent] == ["one", "two"]


async def test_token_rejected_after_refresh_is_auth_error(fake, online) -> None:
    fake.fail_next(200, WECOM_EXPIRED, times=2, path_contains="message/send")
    with pytest.raises(ChannelAuthError):
        await online.send(OutboundMessage(recipient_id="u", text="hi"))


@pytest.mark.parametrize(
    ("reply", "error", "retry_after"),
    [
        ({"errcode": 45009, "errmsg": "api freq out of limit"}, RateLimited, 60),
        ({"errcode": 45033, "errmsg": "api concurrent out of limit"}, RateLimited, 1),
        ({"errcode": 81013, "errmsg": "user & party & tag all invalid"}, PermanentError, None),
        ({"errcode": 60111, "errmsg": "userid not found"}, PermanentError, None),
        ({"errcode": -1, "errmsg": "system busy"}, TransientError, None),
        ({"errcode": 60020, "errmsg": "not allow to access from your ip"}, ChannelAuthError, None),
    ],
)
async def test_send_errcode_mapping(fake, online, reply, error, retry_after) -> None:
    fake.fail_next(200, reply, path_contains="message/send")
    with pytest.raises(error) as caught:
        await online.send(OutboundMessage(recipient_id="u", text="hi"))
    assert type(caught.value) is error and caught.value.code == str(reply["errcode"])
    if retry_after is not None:
        assert caught.value.retry_after == retry_after


async def test_http_500_is_transient(fake, online) -> None:
    fake.fail_next(502, "<html>bad gateway</html>", path_contains="message/send")
    with pytest.raises(TransientError):
        await online.send(OutboundMessage(recipient_id="u", text="hi"))


@pytest.mark.parametrize(
    "config", [{"secret": "wrong-secret"}, {"corp_id": "wwWRONG"}, {"agent_id": 7}]
)
async def test_bad_credentials_are_auth_errors(fake, config) -> None:
    adapter = online_adapter(fake, **config)
    try:
        with pytest.raises(ChannelAuthError) as caught:
            await adapter.send(OutboundMessage(recipient_id="u", text="hi"))
    finally:
        await adapter.aclose()
    assert caught.value.code in {"40001", "40013", "40056"}
    assert fake.sent == []


async def test_invalid_user_reported_with_errcode_zero_is_permanent(fake, online) -> None:
    fake.fail_next(
        200, {"errcode": 0, "errmsg": "ok", "invaliduser": "ghost"}, path_contains="send"
    )
    with pytest.raises(PermanentError, match="ghost"):
        await online.send(OutboundMessage(recipient_id="ghost", text="hi"))


async def test_text_over_2048_bytes_is_refused_before_calling(fake, online) -> None:
    with pytest.raises(PermanentError) as caught:
        await online.send(OutboundMessage(recipient_id="u", text="字" * 700))  # 2100 bytes
    assert caught.value.code == "text_too_long"
    assert fake.calls == []


async def test_media_by_id(fake, online) -> None:
    media = (
        Media(kind="document", platform_media_id="F1"),
        Media(kind="audio", platform_media_id="V1"),
    )
    await online.send(OutboundMessage(recipient_id="u", media=media))
    assert [(b["msgtype"], b[b["msgtype"]]) for b in fake.sent] == [
        ("file", {"media_id": "F1"}),
        ("voice", {"media_id": "V1"}),
    ]


async def test_a_document_by_link_is_uploaded_and_sent_as_a_file(fake, online) -> None:
    """A quote's PDF arrives as a WeCom file, not a link: fetched, uploaded, then sent."""
    fake.files["Q-2026-0001.pdf"] = b"%PDF-1.4 quote"
    pdf = Media(
        kind="document",
        url=f"{fake.base_url}/files/Q-2026-0001.pdf",
        mime_type="application/pdf",
        file_name="Q-2026-0001.pdf",
    )
    await online.send(OutboundMessage("zhangsan", text="您的报价单", media=(pdf,)))
    (upload,) = fake.uploads
    assert upload["type"] == "file" and upload["filename"] == "Q-2026-0001.pdf"
    assert upload["content"] == b"%PDF-1.4 quote"
    assert [(b["msgtype"], b.get("file")) for b in fake.sent] == [
        ("text", None),
        ("file", {"media_id": upload["media_id"]}),
    ]
    assert fake.sent[0]["text"]["content"] == "您的报价单"  # no link: the file itself went


async def test_a_missing_linked_file_is_a_permanent_error(fake, online) -> None:
    missing = Media(kind="document", url=f"{fake.base_url}/files/gone.pdf")
    with pytest.raises(PermanentError):
        await online.send(OutboundMessage("zhangsan", media=(missing,)))
    assert fake.uploads == [] and fake.sent == []


async def test_wecom_retry_does_not_reupload_the_pdf(fake, online, redis, keys) -> None:
    """Regression: the upload happened inside send(), so every retry of a quote downloaded and
    uploaded the PDF again. deliver() prepares once; the retry sends the same media_id."""
    fake.files["Q-2026-0002.pdf"] = b"%PDF-1.4 quote"
    pdf = Media(kind="document", url=f"{fake.base_url}/files/Q-2026-0002.pdf")
    fake.fail_next(200, {"errcode": -1, "errmsg": "system busy"}, path_contains="message/send")

    async def no_sleep(seconds: float) -> None:
        return None

    await deliver(
        online,
        OutboundMessage("zhangsan", media=(pdf,)),
        pacer=Pacer(redis, keys, {}),
        policy=RetryPolicy(max_attempts=3),
        org_id=online.ref.org_id,
        channel_id=online.ref.id,
        sleep=no_sleep,
    )
    assert len(fake.calls_to("/files/")) == 1 and len(fake.uploads) == 1
    assert len(fake.calls_to("message/send")) == 2  # the busy answer, then the retry
    assert fake.sent == [{"touser": "zhangsan", "agentid": AGENT_ID, "msgtype": "file",
                          "file": {"media_id": fake.uploads[0]["media_id"]}}]  # fmt: skip


async def test_prepare_uploads_once_and_is_idempotent(fake, online) -> None:
    fake.files["a.pdf"] = b"%PDF"
    message = OutboundMessage(
        "u", media=(Media(kind="document", url=f"{fake.base_url}/files/a.pdf"),)
    )
    prepared = await online.prepare(message)
    assert prepared.media[0].platform_media_id == fake.uploads[0]["media_id"]
    assert await online.prepare(prepared) == prepared
    await online.send(prepared)
    assert len(fake.uploads) == 1
