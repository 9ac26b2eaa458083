"""A fake Telegram Bot API: ``POST /bot{token}/{method}`` answering in the real wire format.

aiogram posts ``application/x-www-form-urlencoded`` bodies, or ``multipart/form-data`` when a
file is uploaded; nested values (reply_markup, reply_parameters, media, allowed_updates) are
JSON strings inside the form. Both encodings are decoded into :meth:`FakeTelegramAPI.params`.
Answers are ``{"ok": true, "result": ...}`` with Message objects shaped like Telegram's;
errors are ``{"ok": false, "error_code": ..., "description": ...}``.
"""

from __future__ import annotations

import itertools
import json
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from .base import Call, FakeAPI

DEFAULT_TOKEN = "123456789:AAFakeTokenForTradeMateTests_0123456789"
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "media",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
    }
)
MEDIA_METHODS = {
    "sendphoto": "photo",
    "senddocument": "document",
    "sendaudio": "audio",
    "sendvideo": "video",
    "sendvoice": "voice",
    "sendsticker": "sticker",
}


def error_body(code: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    """The Bot API's error envelope (what ``fail_next`` should answer with)."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


def decode_params(call: Call) -> dict[str, Any]:
    """The parameters of one recorded Bot API call, whatever encoding aiogram chose.

    Uploaded files come back as ``{"filename": ..., "content": bytes}``."""
    return _decode(call.headers.get("content-type", ""), call.body)


def _decode(content_type: str, body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if content_type.startswith("multipart/"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            content = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            params[name] = (
                {"filename": filename, "content": content} if filename else content.decode()
            )
    elif content_type.startswith("application/json"):
        params = dict(json.loads(body or b"{}"))
    else:
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    for key in JSON_FIELDS & params.keys():
        if isinstance(params[key], str):
            params[key] = json.loads(params[key])
    return params


class FakeTelegramAPI(FakeAPI):
    """Bots are known by token (``tokens`` maps token → bot username); any other token gets
    Telegram's 401. ``sent_messages()`` lists what was sent, decoded."""

    def __init__(self, tokens: dict[str, str] | None = None) -> None:
        self.tokens = tokens or {DEFAULT_TOKEN: "trademate_test_bot"}
        self._message_ids = itertools.count(1001)
        self._file_ids = itertools.count(1)
        self.webhooks: dict[str, dict[str, Any]] = {}
        super().__init__()

    @property
    def token(self) -> str:
        return next(iter(self.tokens))

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self._handle)

    # --- what tests read ---------------------------------------------------------------------
    def method_calls(self, method: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """(method, params) for every Bot API call, optionally of one method."""
        out = []
        for call in self.calls:
            name = call.path.rsplit("/", 1)[-1]
            if method is None or name.lower() == method.lower():
                out.append((name, decode_params(call)))
        return out

    def sent_messages(self) -> list[tuple[str, dict[str, Any]]]:
        """(method, params) for every send* call, in order."""
        return [(m, p) for m, p in self.method_calls() if m.lower().startswith("send")]

    def edits(self) -> list[tuple[str, dict[str, Any]]]:
        """(method, params) for every editMessage* call, in order."""
        return [(m, p) for m, p in self.method_calls() if m.lower().startswith("editmessage")]

    def fail_with(
        self, code: int, description: str, *, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls with a Bot API error."""
        self.fail_next(code, error_body(code, description, retry_after), times=times)

    # --- the API ---------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if token not in self.tokens:
            return web.json_response(error_body(401, "Unauthorized"), status=401)
        method = request.match_info["method"].lower()
        params = _decode(request.headers.get("content-type", ""), await request.read())
        if method == "getme":
            return _ok(self._bot_user(token))
        if method in {"setwebhook", "deletewebhook", "answercallbackquery"}:
            if method == "setwebhook":
                self.webhooks[token] = params
            return _ok(True)
        if method in {"editmessagetext", "editmessagereplymarkup"}:
            return self._edit(token, method, params)
        if method.startswith("send") and "chat_id" not in params:
            return _fail(400, "Bad Request: chat_id is empty")
        if method == "sendmessage":
            if not params.get("text"):
                return _fail(400, "Bad Request: message text is empty")
            return _ok(self._message(token, params, text=params["text"]))
        if method in MEDIA_METHODS:
            field = MEDIA_METHODS[method]
            if field not in params:
                return _fail(400, f"Bad Request: there is no {field} in the request")
            return _ok(self._message(token, params, **self._media(field, params)))
        if method == "sendmediagroup":
            group = str(next(self._file_ids) * 7919)
            sent = []
            for item in params.get("media", []):
                field = "photo" if item["type"] == "photo" else item["type"]
                extra = self._media(field, item)
                sent.append(self._message(token, params, media_group_id=group, **extra))
            return _ok(sent)
        return _fail(404, "Not Found")

    def _edit(self, token: str, method: str, params: dict[str, Any]) -> web.Response:
        if params.get("inline_message_id"):
            return _ok(True)  # edits of inline messages answer True, not the Message
        if "chat_id" not in params or "message_id" not in params:
            return _fail(400, "Bad Request: message identifier is not specified")
        if method == "editmessagetext" and not params.get("text"):
            return _fail(400, "Bad Request: message text is empty")
        content = {"text": params["text"]} if "text" in params else {}
        message = self._message(token, params, **content)
        message["message_id"] = int(params["message_id"])
        message["edit_date"] = int(time.time())
        return _ok(message)

    def _bot_user(self, token: str) -> dict[str, Any]:
        return {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "TradeMate Test",
            "username": self.tokens[token],
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _message(self, token: str, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat = _chat(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self._bot_user(token),
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        reply = params.get("reply_parameters")
        if reply and reply.get("message_id"):
            message["reply_to_message"] = {
                "message_id": reply["message_id"],
                "chat": _chat(reply.get("chat_id", params["chat_id"])),
                "date": int(time.time()) - 60,
            }
        return message

    def _media(self, field: str, params: dict[str, Any]) -> dict[str, Any]:
        source = params.get(field) or params.get("media")
        n = next(self._file_ids)
        file = {"file_id": f"FAKE{field.upper()}{n}", "file_unique_id": f"U{n}", "file_size": 1024}
        if isinstance(source, str) and not source.startswith(("http://", "https://", "attach://")):
            file["file_id"] = source  # resending a file_id keeps it
        content: dict[str, Any]
        if field == "photo":
            sizes = [(90, 51), (320, 180), (1280, 720)]
            content = {"photo": [{**file, "width": w, "height": h} for w, h in sizes]}
        elif field == "sticker":
            sticker = {"type": "regular", "width": 512, "height": 512, "is_animated": False}
            content = {"sticker": {**file, **sticker, "is_video": False}}
        elif field == "video":
            content = {"video": {**file, "width": 640, "height": 360, "duration": 5}}
        elif field in {"audio", "voice"}:
            content = {field: {**file, "duration": 5}}
        else:
            content = {"document": {**file, "file_name": "file.bin"}}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return content


def _chat(chat_id: str | int) -> dict[str, Any]:
    text = str(chat_id)
    if text.startswith("@"):
        return {"id": -1001234567890, "type": "channel", "title": text[1:], "username": text[1:]}
    number = int(text)
    if number > 0:
        return {"id": number, "type": "private", "first_name": "Customer"}
    return {"id": number, "type": "supergroup", "title": "Group"}


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _fail(code: int, description: str) -> web.Response:
    return web.json_response(error_body(code, description), status=code)


# --- updates as Telegram would post them to a bot's webhook ------------------------------------
_update_ids = itertools.count(700_000_000)


def _user(user_id: int, first_name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def message_update(user_id: int, text: str, *, first_name: str = "Ana") -> dict[str, Any]:
    """A private-chat text message from ``user_id`` (``/commands`` carry their entity)."""
    message: dict[str, Any] = {
        "message_id": next(_update_ids) % 1_000_000,
        "from": _user(user_id, first_name),
        "chat": {"id": user_id, "type": "private", "first_name": first_name},
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": next(_update_ids), "message": message}


def callback_update(
    user_id: int, data: str, *, message_id: int = 1, text: str = "card", first_name: str = "Ana"
) -> dict[str, Any]:
    """A button press on a message the bot sent to ``user_id``'s private chat."""
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": _user(user_id, first_name),
            "chat_instance": "-1234567890",
            "data": data,
            "message": {
                "message_id": message_id,
                "from": {"id": 123456789, "is_bot": True, "first_name": "TradeMate Test"},
                "chat": {"id": user_id, "type": "private", "first_name": first_name},
                "date": int(time.time()),
                "text": text,
            },
        },
    }
