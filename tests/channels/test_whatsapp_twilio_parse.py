"""WhatsApp through Twilio: recorded and documented webhook payloads → normalized models.

Uses ``../shared/data/webhooks/twilio`` (skipped with a reason when that checkout is absent).
Twilio's recorded payloads carry no usable signature, so each is signed here and goes
through ``verify`` and ``parse`` exactly as the webhook route runs them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from channels.errors import MalformedPayload
from channels.models import InboundMessage, WebhookRequest
from channels.whatsapp_twilio import EMPTY_TWIML

from ..fakes.twilio_api import AUTH_TOKEN, signed_json_webhook, signed_webhook
from .twilio_cases import (
    CUSTOMER,
    DATA,
    FORM,
    NOW,
    cases,
    hook_url,
    inbound,
    make_adapter,
)

# --- parsing: recorded payloads ------------------------------------------------------------
PAYLOAD_EXPECTATIONS: dict[str, dict[str, Any]] = {
    "botbuilder_inbound_text": {"content_type": "text", "text": "test"},
    "botbuilder_inbound_image": {
        "content_type": "image",
        "text": None,
        "media.0.kind": "image",
        "media.0.mime_type": "image/jpeg",
        "media.0.url": "https://api.twilio.com/2010-04-01/Accounts/AC1a03647d811fab342c0ad608e382fab2"
        "/Messages/MM21151abfaadc1fb79b782f8460862a52/Media/ME5f0afa2336bd0f73ca553fb5a2e3150bc",
    },
    "botbuilder_inbound_location": {
        "content_type": "location",
        "location.latitude": 52.303897857666016,
        "location.longitude": 4.750025749206543,
        "location.label": "Microsoft",
        "extra.Address": "Evert van de Beekstraat 354, Schiphol, North Holland 1118 CZ",
    },
    "botbuilder_status_delivered": {"status": "delivered", "error_code": None},
    "botbuilder_status_sent": {"status": "sent"},
    "twilio_cli_whatsapp_template": {
        "content_type": "text",
        "text": "Test whatsapp msg",
        "sender_name": "PNaaaaa",
        "profile.wa_id": "15017122661",
        "extra.ReferralNumMedia": "0",
    },
    "twilio_cli_sms_template": {"text": "Ahoy", "extra.FromCity": "SAN FRANCISCO"},
    "twilio_cli_mms_template": {
        "content_type": "image",
        "text": "This is MMS type sample",
        "extra.MessagingServiceSid": "MG" + "a" * 32,
    },
}


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(obj, tuple):
            obj = obj[int(part)]
        elif isinstance(obj, dict) or hasattr(obj, "keys"):
            obj = obj[part]
        else:
            obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("case", cases("inbound_and_status_payloads.json"))
def test_recorded_payload_parses_to_its_kind(case: dict[str, Any]) -> None:
    adapter = make_adapter()
    raw = case.get("raw_body")
    pairs = parse_qsl(raw, keep_blank_values=True) if raw else list(case["params"].items())
    assert dict(pairs) == case["params"]
    url = hook_url(adapter)
    request = signed_webhook(url, pairs, AUTH_TOKEN)
    if raw:  # deliver the recorded bytes exactly
        request = replace(request, body=raw.encode())
    adapter.verify(request)
    result = adapter.parse(request)
    assert (result.response.body, result.response.content_type) == (EMPTY_TWIML, "text/xml")
    params = case["params"]
    if case["kind"] == "status_callback":
        assert result.messages == ()
        (item,) = result.statuses
        assert (item.external_message_id, item.at) == (params["MessageSid"], NOW)
    else:
        assert result.statuses == ()
        (item,) = result.messages
        assert (item.external_message_id, item.sender_id) == (params["MessageSid"], params["From"])
        assert item.sent_at == NOW
        assert "MessageSid" not in item.extra and item.extra["To"] == params["To"]
    for path, expected in PAYLOAD_EXPECTATIONS[case["id"]].items():
        assert _get(item, path) == expected, path


# --- parsing: every documented parameter lands somewhere -----------------------------------
def _doc_value(param: dict[str, Any]) -> str:
    return param["doc_example"] if param["doc_example"] is not None else "REPLY"


NORMALIZED: dict[str, Callable[[InboundMessage], Any]] = {
    "MessageSid": lambda m: m.external_message_id,
    "SmsSid": lambda m: m.external_message_id,
    "SmsMessageSid": lambda m: m.external_message_id,
    "From": lambda m: m.sender_id,
    "Body": lambda m: m.text,
    "MediaUrl{N}": lambda m: m.media[0].url,
    "MediaContentType{N}": lambda m: m.media[0].mime_type,
    "ButtonPayload": lambda m: m.button_payload,
    "Latitude": lambda m: str(m.location.latitude),
    "Longitude": lambda m: str(m.location.longitude),
    "ProfileName": lambda m: m.sender_name,
    "OriginalRepliedMessageSid": lambda m: m.reply_to_external_id,
}


def _doc_message() -> tuple[InboundMessage, dict[str, str]]:
    doc = json.loads((DATA / "docs_webhook_request_parameters.json").read_text())
    params = {p["name"].replace("{N}", "0"): _doc_value(p) for p in doc["params"]}
    return inbound(make_adapter(), params), params


@pytest.mark.parametrize("param", cases("docs_webhook_request_parameters.json", "params"))
def test_documented_parameter_is_normalized_or_kept(param: dict[str, Any]) -> None:
    message, _ = _doc_message()
    name, value = param["name"], _doc_value(param)
    if name in NORMALIZED:
        assert NORMALIZED[name](message) == value
    else:
        assert message.extra[name.replace("{N}", "0")] == value


def test_documented_payload_as_a_whole() -> None:
    if not DATA.exists():
        pytest.skip(f"shared Twilio data not found at {DATA}")
    message, params = _doc_message()
    assert message.content_type == "button"  # a button reply outranks the rest
    assert message.location is not None and message.location.label == params["Label"]
    assert message.profile == {"profile_name": params["ProfileName"], "wa_id": params["WaId"]}
    assert message.media[0].kind == "image"
    kept = set(params) - {name.replace("{N}", "0") for name in NORMALIZED}
    assert set(message.extra) == kept


# --- parsing: content kinds and refusals ---------------------------------------------------
BASE = {"MessageSid": "SM" + "c" * 32, "From": CUSTOMER, "NumMedia": "0", "SmsStatus": "received"}


@pytest.mark.parametrize(
    ("extra", "content_type", "check"),
    [
        ({"Body": "hello"}, "text", lambda m: m.text == "hello"),
        (
            {"ButtonText": "Yes", "ButtonPayload": "yes-1"},
            "button",
            lambda m: (m.text, m.button_payload) == ("Yes", "yes-1"),
        ),
        (
            {"ListId": "item-2", "ListTitle": "Blue"},
            "button",
            lambda m: (m.text, m.button_payload) == ("Blue", "item-2"),
        ),
        (
            {
                "MediaUrl0": "https://x/a",
                "MediaContentType0": "audio/ogg",
                "MediaUrl1": "https://x/b",
                "MediaContentType1": "application/pdf",
                "NumMedia": "2",
            },
            "audio",
            lambda m: [x.kind for x in m.media] == ["audio", "document"],
        ),
        (
            {"MediaUrl0": "https://x/v", "MediaContentType0": "video/mp4"},
            "video",
            lambda m: m.media[0].mime_type == "video/mp4",
        ),
        (
            {"Latitude": "1.5", "Longitude": "-2.25", "Address": "Main St"},
            "location",
            lambda m: m.location.label == "Main St",
        ),
        (
            {"InteractiveData": '{"flowResponse": {}}', "Body": "Sent"},
            "event",
            lambda m: m.event == "flow_response" and "InteractiveData" in m.extra,
        ),
        (
            {"Body": "re", "OriginalRepliedMessageSid": "SM" + "d" * 32},
            "text",
            lambda m: m.reply_to_external_id == "SM" + "d" * 32,
        ),
    ],
)
def test_content_kinds(extra: dict[str, str], content_type: str, check: Callable) -> None:
    message = inbound(make_adapter(), {**BASE, **extra})
    assert message.content_type == content_type
    assert check(message)


def test_failed_status_carries_the_error() -> None:
    adapter = make_adapter()
    params = {
        "MessageSid": "SM" + "e" * 32,
        "MessageStatus": "undelivered",
        "ErrorCode": "63016",
        "ErrorMessage": "outside window",
        "To": CUSTOMER,
    }
    request = signed_webhook(hook_url(adapter), params, AUTH_TOKEN)
    (status,) = adapter.parse(request).statuses
    assert (status.status, status.error_code, status.error_message) == (
        "undelivered",
        "63016",
        "outside window",
    )


def test_unknown_status_is_acknowledged_and_skipped() -> None:
    adapter = make_adapter()
    params = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "teleported"}
    result = adapter.parse(signed_webhook(hook_url(adapter), params, AUTH_TOKEN))
    assert (result.messages, result.statuses, result.response.body) == ((), (), EMPTY_TWIML)


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00garbage",
        b"hello world",
        urlencode({"From": CUSTOMER, "Body": "no sid"}).encode(),
        urlencode({"MessageSid": "SM1", "Body": "no from"}).encode(),
        urlencode({**BASE, "Latitude": "north", "Longitude": "1"}).encode(),
        urlencode({**BASE, "Latitude": "91", "Longitude": "1"}).encode(),
        b"&".join([b"k%d=v" % i for i in range(2000)]),
    ],
)
def test_malformed_bodies_are_refused(body: bytes) -> None:
    request = WebhookRequest("POST", "https://h/x", {"content-type": FORM}, {}, body)
    with pytest.raises(MalformedPayload):
        make_adapter().parse(request)


def test_json_body_is_malformed_for_messaging() -> None:
    request = signed_json_webhook("https://h/x", "{}", AUTH_TOKEN)
    with pytest.raises(MalformedPayload):
        make_adapter().parse(request)
