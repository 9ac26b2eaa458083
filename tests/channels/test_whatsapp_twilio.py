"""WhatsApp through Twilio: the contract, the config, and webhook signatures.

Signature vectors are the recorded ones in ``../shared/data/webhooks/twilio`` (skipped with a
reason when that checkout is absent). Parsing: ``test_whatsapp_twilio_parse.py``; sending
through the SDK: ``test_whatsapp_twilio_send.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from channels.errors import ChannelConfigError, WebhookAuthError
from channels.models import WebhookRequest
from channels.registry import CHANNELS
from channels.whatsapp_twilio import WhatsAppTwilioAdapter

from ..fakes.twilio_api import (
    AUTH_TOKEN,
    SANDBOX_FROM,
    sign_twilio_request,
    signed_json_webhook,
    signed_webhook,
)
from .twilio_cases import (
    CUSTOMER,
    FORM,
    NOW,
    cases,
    hook_url,
    load_vector,
    make_adapter,
)


# --- contract and config -------------------------------------------------------------------
def test_registered_with_whatsapp_capabilities() -> None:
    assert CHANNELS["whatsapp"] is WhatsAppTwilioAdapter
    caps = WhatsAppTwilioAdapter.capabilities
    assert (caps.buttons, caps.templates, caps.max_text_length) == (False, True, 1600)
    assert caps.service_window_hours == 24


def test_bare_number_is_normalized_to_the_whatsapp_form() -> None:
    assert make_adapter(from_number="+14155238886").config.from_number == "whatsapp:+14155238886"
    assert "auth_token" not in repr(make_adapter().config)


@pytest.mark.parametrize(
    "config",
    [
        {"from_number": None},  # neither a sender number nor a messaging service
        {"account_sid": "SK" + "0" * 32},
        {"from_number": "14155238886"},
        {"from_number": None, "messaging_service_sid": "MG123"},
        {"auth_token": ""},
        {"surprise": "x"},
    ],
)
def test_bad_config_is_refused_with_the_key_named(config: dict[str, Any]) -> None:
    with pytest.raises(ChannelConfigError, match="whatsapp channel config"):
        make_adapter(**config)


# --- signatures: the shared vectors --------------------------------------------------------
def _vector_request(vector: dict[str, Any]) -> WebhookRequest:
    signature = vector.get("expected_signature") or vector["presented_signature"]
    if "body" in vector:
        body, content_type = vector["body"].encode(), "application/json"
    elif "params_multi" in vector:
        body, content_type = vector["raw_query_form"].encode(), FORM
    else:
        body, content_type = urlencode(vector["params"]).encode(), FORM
    headers = {"content-type": content_type, "x-twilio-signature": signature}
    return WebhookRequest("POST", vector["url"], headers, {}, body)


@pytest.mark.parametrize("vector", cases("signature_vectors.json", "vectors"))
def test_signature_vector_accepts_or_rejects_as_its_source_says(vector: dict[str, Any]) -> None:
    adapter = make_adapter(auth_token=vector["auth_token"])
    request = _vector_request(vector)
    if vector["valid"]:
        adapter.verify(request)
    else:
        with pytest.raises(WebhookAuthError) as caught:
            adapter.verify(request)
        assert caught.value.status == 403


@pytest.mark.parametrize(
    "vector", cases("signature_vectors.json", "vectors", lambda v: "expected_signature" in v)
)
def test_our_signer_reproduces_the_expected_signatures(vector: dict[str, Any]) -> None:
    if "body" in vector:
        digest = vector["expected_body_sha256"]
        assert vector["url"].endswith(f"bodySHA256={digest}")
        request = signed_json_webhook(
            vector["url"].split("&bodySHA256=")[0], vector["body"], "12345"
        )
        assert request.headers["x-twilio-signature"] == vector["expected_signature"]
        return
    params = vector.get("params_multi") or vector["params"]
    pairs = [tuple(p) for p in params] if isinstance(params, list) else params
    assert (
        sign_twilio_request(vector["url"], pairs, vector["auth_token"])
        == vector["expected_signature"]
    )


@pytest.mark.parametrize(
    "vector_id",
    [
        "json_body_empty_object",
        "https_signature_computed_with_443",
        "http_signature_computed_with_80",
    ],
)
def test_default_port_vectors_match_only_with_the_port_added(vector_id: str) -> None:
    """The Node vector (and two python ones) were signed over ``host:443``/``host:80``: a
    validator that only tried the URL as given would reject genuine Twilio requests."""
    vector = load_vector(vector_id)
    url, signature = vector["url"], vector["presented_signature"]
    port = ":443" if url.startswith("https") else ":80"
    with_port = url.replace(".com/", f".com{port}/", 1)
    params = vector.get("params", {})
    assert sign_twilio_request(url, params, "12345") != signature
    assert sign_twilio_request(with_port, params, "12345") == signature
    make_adapter(auth_token="12345").verify(_vector_request(vector))


# --- signatures: our own edge cases --------------------------------------------------------
PARAMS = {"MessageSid": "SM" + "a" * 32, "From": CUSTOMER, "Body": "Hi", "NumMedia": "0"}


def test_missing_or_empty_signature_is_401() -> None:
    adapter = make_adapter()
    request = signed_webhook(hook_url(adapter), PARAMS, AUTH_TOKEN)
    for headers in ({"content-type": FORM}, {"content-type": FORM, "x-twilio-signature": ""}):
        with pytest.raises(WebhookAuthError) as caught:
            adapter.verify(WebhookRequest("POST", request.url, headers, {}, request.body))
        assert caught.value.status == 401


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda r: {**r.headers, "x-twilio-signature": "Zm9yZ2Vk"}, id="forged"),
        pytest.param(lambda r: r.body.replace(b"Hi", b"Yo"), id="tampered-body"),
        pytest.param(lambda r: r.url.replace("https://", "http://"), id="other-url"),
        pytest.param(lambda r: r.body + b"&Extra=1", id="added-param"),
        pytest.param(lambda r: r.body.replace(b"&Body=Hi", b""), id="dropped-param"),
    ],
)
def test_forged_or_altered_requests_are_403(forge: Callable[[WebhookRequest], Any]) -> None:
    adapter = make_adapter()
    request = signed_webhook(hook_url(adapter), PARAMS, AUTH_TOKEN)
    changed = forge(request)
    field = {bytes: "body", str: "url", dict: "headers"}[type(changed)]
    altered = replace(request, **{field: changed})
    with pytest.raises(WebhookAuthError) as caught:
        adapter.verify(altered)
    assert caught.value.status == 403


def test_wrong_auth_token_is_403() -> None:
    adapter = make_adapter()
    with pytest.raises(WebhookAuthError):
        adapter.verify(signed_webhook(hook_url(adapter), PARAMS, "another-token"))


def test_blank_values_and_duplicate_keys_are_signed_too() -> None:
    adapter = make_adapter()
    pairs = [*PARAMS.items(), ("Body", ""), ("MediaUrl0", ""), ("Tag", "b"), ("Tag", "a")]
    request = signed_webhook(hook_url(adapter), pairs, AUTH_TOKEN)
    adapter.verify(request)
    dropped = pairs[:-1]  # losing one duplicate breaks the signature
    with pytest.raises(WebhookAuthError):
        adapter.verify(replace(request, body=urlencode(dropped).encode()))
    (message,) = adapter.parse(request).messages  # the first value wins
    assert (message.text, message.extra["Tag"], message.media) == ("Hi", "b", ())


def test_json_body_with_wrong_hash_is_403() -> None:
    adapter = make_adapter()
    request = signed_json_webhook(hook_url(adapter), '{"a": 1}', AUTH_TOKEN)
    adapter.verify(request)
    with pytest.raises(WebhookAuthError):
        adapter.verify(replace(request, body=b'{"a": 2}'))


def test_shared_key_signature_needs_the_configured_secret() -> None:
    """A Twilio Webhook Rule may sign with a SharedKey (here HMAC-SHA256), not the auth token."""
    secret = "shared-key-secret"
    keyed, bare = make_adapter(webhook_signing_secret=secret), make_adapter()
    url = hook_url(keyed)
    signature = RequestValidator(secret).compute_signature(url, PARAMS, "HMAC_SHA256")
    headers = {
        "content-type": FORM,
        "x-twilio-signature": signature,
        "x-twilio-webhooks-signature-settings": "key=KS123,algorithm=HMAC_SHA256",
    }
    request = WebhookRequest("POST", url, headers, {}, urlencode(PARAMS).encode())
    keyed.verify(request)
    with pytest.raises(WebhookAuthError, match="webhook_signing_secret"):
        bare.verify(replace(request, url=hook_url(bare)))
    unsigned_settings = {k: v for k, v in headers.items() if "settings" not in k}
    with pytest.raises(WebhookAuthError):  # same signature read as auth-token HMAC-SHA1
        keyed.verify(replace(request, headers=unsigned_settings))


def test_status_callback_url_we_pass_is_the_url_verify_checks() -> None:
    adapter = make_adapter()
    status = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "read", "From": SANDBOX_FROM}
    request = signed_webhook(adapter.env.webhook_url(adapter.ref), status, AUTH_TOKEN)
    adapter.verify(request)
    (report,) = adapter.parse(request).statuses
    assert (report.status, report.at) == ("read", NOW)
