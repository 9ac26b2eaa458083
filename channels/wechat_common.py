"""What the WeChat Official Account and WeCom adapters share.

Both platforms speak the same dialect: SHA-1 signatures over sorted strings, AES-256-CBC
"safe mode" envelopes (wechatpy does the crypto), flat XML callbacks (wechatpy parses them) and
JSON APIs that answer HTTP 200 with an ``errcode`` and need an ``access_token``. This module
holds the inbound half: signature checks, decryption and normalization into
:class:`InboundMessage`. The outbound half (token + errcode mapping) is in ``wechat_api``.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import BaseWeChatCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatException
from wechatpy.messages import BaseMessage
from wechatpy.utils import WeChatSigner, check_signature

from .errors import MalformedPayload, WebhookAuthError
from .models import InboundMessage, Location, Media

# What a corrupt envelope makes wechatpy's decryption raise: bad base64 (binascii.Error), a
# length that isn't a multiple of the AES block (ValueError), garbage padding or length
# prefix (struct.error, IndexError), non-UTF-8 plaintext (UnicodeDecodeError).
_DECRYPT_ERRORS = (ValueError, binascii.Error, struct.error, IndexError, TypeError)
# What wechatpy/xmltodict raise on unreadable XML: syntax (ExpatError); entity declarations,
# which xmltodict refuses so billion-laughs payloads can't expand, and non-UTF-8 bytes
# (ValueError); no <xml> root or no MsgType (KeyError); a root or MsgType holding text where
# elements belong, or the reverse (TypeError, AttributeError).
_XML_ERRORS = (ExpatError, ValueError, KeyError, TypeError, AttributeError)

# Fields every callback carries; the rest of an event's scalar fields go to extra["fields"].
_HEADER = frozenset(
    {"ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Event", "EventKey", "AgentID"}
)
_VOICE_MIME = {"amr": "audio/amr", "speex": "audio/speex", "mp3": "audio/mpeg"}


def validate_aes_key(value: str) -> str:
    """An EncodingAESKey is 43 base64 characters that decode (with one "=") to 32 bytes."""
    try:
        key = base64.b64decode(value + "=", validate=True)
    except (binascii.Error, ValueError) as err:
        raise ValueError("encoding_aes_key must be the 43-character key from the console") from err
    if len(value) != 43 or len(key) != 32:
        raise ValueError("encoding_aes_key must be the 43-character key from the console")
    return value


# --- signatures and envelopes --------------------------------------------------------------
def require(query: Mapping[str, str], *names: str) -> tuple[str, ...]:
    """The named query parameters, or 401: an unsigned request lacks a credential."""
    missing = [name for name in names if not query.get(name)]
    if missing:
        raise WebhookAuthError(f"missing {', '.join(missing)}", status=401)
    return tuple(query[name] for name in names)


def check_plain_signature(token: str, query: Mapping[str, str]) -> None:
    """``signature`` = sha1(sorted [token, timestamp, nonce]): the GET handshake and
    plaintext-mode POSTs. Note it does not cover the body (that is what safe mode adds)."""
    signature, timestamp, nonce = require(query, "signature", "timestamp", "nonce")
    try:
        check_signature(token, signature, timestamp, nonce)
    except InvalidSignatureException as err:
        raise WebhookAuthError("signature does not match the channel token") from err


def msg_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """sha1(sorted [token, timestamp, nonce, Encrypt]): safe mode's signature."""
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, encrypt)
    return signer.signature


@contextmanager
def crypto_errors() -> Iterator[None]:
    """Translate wechatpy's crypto failures into 403s (once the credentials are present,
    anything that stops us reading the envelope means we can't trust it)."""
    try:
        yield
    except InvalidSignatureException as err:
        raise WebhookAuthError("msg_signature does not match the channel token") from err
    except WeChatException as err:  # InvalidAppIdException / InvalidCorpIdException
        raise WebhookAuthError("message was encrypted for another app id") from err
    except _DECRYPT_ERRORS as err:
        raise WebhookAuthError("cannot decrypt: check the channel's encoding_aes_key") from err


def open_envelope(crypto: BaseWeChatCrypto, query: Mapping[str, str], body: bytes) -> str:
    """Check ``msg_signature`` over the body's ``Encrypt`` and decrypt it (AES, app id check).

    Raises only :class:`WebhookAuthError`: 401 when the signature or envelope is missing,
    403 when it is wrong or undecryptable."""
    signature, timestamp, nonce = require(query, "msg_signature", "timestamp", "nonce")
    try:
        envelope = read_xml(body)
    except MalformedPayload:
        envelope = {}
    encrypt = envelope.get("Encrypt")
    if not isinstance(encrypt, str) or not encrypt:
        raise WebhookAuthError("no Encrypt element in the body", status=401)
    with crypto_errors():
        # decrypt_message re-checks msg_signature before decrypting.
        return crypto.decrypt_message({"Encrypt": encrypt}, signature, timestamp, nonce)


def read_xml(body: bytes | str) -> dict[str, Any]:
    """The children of a callback's ``<xml>`` root (xmltodict refuses entity declarations)."""
    try:
        root = xmltodict.parse(body)["xml"]
    except _XML_ERRORS as err:
        raise MalformedPayload(f"unreadable XML: {err}") from err
    if not isinstance(root, dict):
        raise MalformedPayload("the <xml> root holds no fields")
    return root


def as_bytes(xml: str | bytes) -> bytes:
    return xml.encode("utf-8") if isinstance(xml, str) else xml


def parse_with(parser: Any, xml: str | bytes) -> BaseMessage:
    """Run wechatpy's ``parse_message`` (OA or WeCom flavour), mapping its failures."""
    try:
        message = parser(xml)
    except _XML_ERRORS as err:
        raise MalformedPayload(f"unreadable WeChat XML: {type(err).__name__}: {err}") from err
    if message is None:
        raise MalformedPayload("empty body")
    return message


# --- normalization ---------------------------------------------------------------------------
def normalize(message: BaseMessage, *, extra: Mapping[str, Any] | None = None) -> InboundMessage:
    """One wechatpy message or event → one :class:`InboundMessage`.

    ``external_message_id`` is ``MsgId`` for messages. Events carry no MsgId (the MsgID of
    TEMPLATESENDJOBFINISH / MASSSENDJOBFINISH names *our* send job, not this callback), so
    they get ``"{FromUserName}:{CreateTime}:{event}"``: the issue's FromUserName+CreateTime,
    plus the event name so that two different events from one user in the same second (a
    subscribe and the SCAN that caused it, say) aren't collapsed by deduplication.
    """
    # wechatpy has no public accessor for the raw MsgType/Event of kinds it doesn't model,
    # so read its parsed dict; it is the xmltodict output and has been stable since 2014.
    data: dict[str, Any] = message._data
    sender = _text(data.get("FromUserName"))
    if not sender:
        raise MalformedPayload("no FromUserName")
    created = _text(data.get("CreateTime"))
    try:
        sent_at = datetime.fromtimestamp(int(created or ""), tz=UTC)
    except (ValueError, OverflowError, OSError) as err:
        raise MalformedPayload(f"bad CreateTime {created!r}") from err
    msg_type = (_text(data.get("MsgType")) or "").lower()
    extra = {"msg_type": msg_type, "to_user": _text(data.get("ToUserName")), **(extra or {})}
    fields: dict[str, Any] = {}
    try:
        if msg_type == "event":
            fields = _event(message, data, extra)
        else:
            fields = _MESSAGE_KINDS.get(msg_type, _unknown)(message, data, extra)
    except (ValueError, TypeError) as err:  # a coordinate that isn't a number, ...
        raise MalformedPayload(f"bad {msg_type} fields: {err}") from err

    msg_id = _text(data.get("MsgId"))
    if msg_type != "event" and msg_id:
        external_id = msg_id
    else:
        external_id = f"{sender}:{created}:{fields.get('event') or msg_type}"
    return InboundMessage(
        external_message_id=external_id,
        sender_id=sender,
        chat_id=sender,  # WeChat has no group chats for accounts: replies go to the sender
        sent_at=sent_at,
        extra=extra,
        **fields,
    )


def _text(value: Any) -> str | None:
    """A scalar field's text; None for absent, empty or structured (nested/repeated) ones."""
    return value if isinstance(value, str) and value else None


def _location(lat: Any, lon: Any, label: Any = None) -> Location | None:
    if _text(lat) is None or _text(lon) is None:
        return None
    return Location(latitude=float(lat), longitude=float(lon), label=_text(label))


def _text_message(message: Any, data: dict, extra: dict) -> dict[str, Any]:
    return {"content_type": "text", "text": _text(message.content) or ""}


def _image(message: Any, data: dict, extra: dict) -> dict[str, Any]:
    media = Media(kind="image", url=_text(message.image), platform_media_id=_text(message.media_id))
    return {"content_type": "image", "media": (media,)}


def _voice(message: Any, data: dict, extra: dict) -> dict[str, Any]:
    fmt = (_text(message.format) or "").lower()
    extra["format"] = fmt or None
    media = Media(
        kind="audio", platform_media_id=_text(message.media_id), mime_type=_VOICE_MIME.get(fmt)
    )
    # With speech recognition switched on, WeChat sends its transcript as Recognition.
    return {"content_type": "audio", "media": (media,), "text": _text(message.recognition)}


def _video(message: Any, data: dict, extra: dict) -> dict[str, Any]:
    extra["thumb_media_id"] = _text(message.thumb_media_id)
    media = Media(kind="video", platform_media_id=_text(message.media_id))
    return {"content_type": "video", "media": (media,)}


def _location_message(message: Any, data: dict, extra: dict) -> dict[str, Any]:
    extra["scale"] = _text(message.scale)
    location = _location(message.location_x, message.location_y, message.label)
    if location is None:
        raise ValueError("location without Location_X/Location_Y")
    return {"content_type": "location", "location": location}


def _link(message: Any, data: dict, extra: dict) -> dict[str, Any]:
    parts = {"title": message.title, "description": message.description, "url": message.url}
    extra.update({key: _text(value) for key, value in parts.items()})
    if _text(data.get("PicUrl")):  # WeCom adds a preview image
        extra["pic_url"] = data["PicUrl"]
    text = "\n".join(value for value in map(_text, parts.values()) if value)
    return {"content_type": "link", "text": text or None}


def _unknown(message: Any, data: dict, extra: dict) -> dict[str, Any]:
    # A kind we don't model (device_text, miniprogrampage, something new): keep it as an
    # event rather than fail the webhook; WeChat would retry a failure three times.
    extra["fields"] = _scalars(data)
    return {"content_type": "event", "event": f"unknown:{extra['msg_type'] or 'missing'}"}


def _event(message: Any, data: dict, extra: dict) -> dict[str, Any]:
    event = (_text(data.get("Event")) or "unknown").lower()
    if event.startswith("subscribe_scan"):
        # wechatpy renames a subscribe that came from a QR code to subscribe_scan (and strips
        # "qrscene_" from EventKey) or subscribe_scan_product; it is still a new follower.
        extra["subscribe_via"] = event
        event = "subscribe"
    fields: dict[str, Any] = {
        "content_type": "event",
        "event": event,
        "event_key": _text(data.get("EventKey")),
    }
    if event == "location":  # periodic position report
        fields["location"] = _location(data.get("Latitude"), data.get("Longitude"))
    elif event == "location_select" and isinstance(data.get("SendLocationInfo"), dict):
        info = data["SendLocationInfo"]
        fields["location"] = _location(
            info.get("Location_X"), info.get("Location_Y"), info.get("Label")
        )
    extra["fields"] = _scalars(data)
    return fields


def _scalars(data: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k, v in data.items() if k not in _HEADER and isinstance(v, str)}


_MESSAGE_KINDS = {
    "text": _text_message,
    "image": _image,
    "voice": _voice,
    "video": _video,
    "shortvideo": _video,
    "location": _location_message,
    "link": _link,
}
