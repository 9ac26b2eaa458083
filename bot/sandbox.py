"""Sandbox platform APIs for ``trademate demo``: what we send is recorded, never delivered.

One aiohttp server on loopback answers the calls our channel adapters make — Telegram's Bot
API, Twilio's Messages API, WeChat's token and customer-service endpoints — in their wire
format, so the demo runs the real SDK clients with no account anywhere. Each call is kept in
``sent`` and reported to ``on_send`` (the demo narrates it).
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

# Placeholder credentials of the demo's channels; only this sandbox accepts them.
TELEGRAM_TOKEN = "7000000001:DEMOdemoDEMOdemoDEMOdemoDEMOdemo123"
TWILIO_ACCOUNT_SID = "AC" + "de30" * 8  # Twilio SIDs are AC + 32 hex digits
TWILIO_AUTH_TOKEN = "demo-auth-token-not-a-secret"
TWILIO_FROM = "whatsapp:+14155238886"
WECHAT_APP_ID = "wxd3m0d3m0d3m0d3m0"
WECHAT_APP_SECRET = "demo-app-secret"
WECHAT_TOKEN = "demotoken"


@dataclass(frozen=True)
class SentMessage:
    platform: str
    recipient: str
    text: str
    kind: str = "text"  # text / document / edit / buttons


class SandboxAPIs:
    """``async with SandboxAPIs() as sandbox:`` then ``sandbox.base_url`` for every platform."""

    def __init__(self, on_send: Callable[[SentMessage], None] | None = None) -> None:
        self.sent: list[SentMessage] = []
        self.on_send = on_send
        self._ids = itertools.count(5001)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> SandboxAPIs:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._telegram)
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._twilio)
        app.router.add_get("/cgi-bin/token", self._wechat_token)
        app.router.add_post("/cgi-bin/message/custom/send", self._wechat_send)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _record(self, message: SentMessage) -> None:
        self.sent.append(message)
        if self.on_send is not None:
            self.on_send(message)

    # --- Telegram Bot API ----------------------------------------------------------------
    async def _telegram(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TELEGRAM_TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"].lower()
        params = await _params(request)
        if method == "getme":
            return _ok({"id": 7000000001, "is_bot": True, "first_name": "Demo Shop",
                        "username": "demo_shop_bot"})  # fmt: skip
        if method.startswith("send"):
            text = str(params.get("text") or params.get("caption") or f"[{method[4:]}]")
            kind = "document" if method == "senddocument" else "text"
            if params.get("reply_markup"):
                kind = "buttons"
            self._record(SentMessage("telegram", str(params.get("chat_id")), text, kind))
            return _ok(self._telegram_message(params, text))
        if method.startswith("editmessage"):
            text = str(params.get("text") or "")
            self._record(SentMessage("telegram", str(params.get("chat_id")), text, "edit"))
            message = self._telegram_message(params, text)
            message["message_id"] = int(params.get("message_id") or 0)
            return _ok(message)
        return _ok(True)  # setWebhook, answerCallbackQuery, sendChatAction, ...

    def _telegram_message(self, params: dict[str, Any], text: str) -> dict[str, Any]:
        chat_id = int(params.get("chat_id") or 0)
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Customer"},
            "text": text,
        }

    # --- Twilio Messages API -------------------------------------------------------------
    async def _twilio(self, request: web.Request) -> web.Response:
        form = dict(parse_qsl((await request.read()).decode(), keep_blank_values=True))
        sid = "SM" + secrets.token_hex(16)
        body = form.get("Body", "")
        self._record(SentMessage("whatsapp", form.get("To", ""), body or "[media]"))
        return web.json_response(
            {
                "sid": sid,
                "account_sid": request.match_info["sid"],
                "status": "queued",
                "to": form.get("To"),
                "from": form.get("From"),
                "body": body,
                "num_media": "1" if form.get("MediaUrl") else "0",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{request.match_info['sid']}/Messages/{sid}.json",
            },
            status=201,
        )

    # --- WeChat Official Account ---------------------------------------------------------
    async def _wechat_token(self, request: web.Request) -> web.Response:
        return web.json_response({"access_token": secrets.token_hex(16), "expires_in": 7200})

    async def _wechat_send(self, request: web.Request) -> web.Response:
        payload = json.loads(await request.read() or b"{}")
        text = (payload.get("text") or {}).get("content") or f"[{payload.get('msgtype')}]"
        self._record(SentMessage("wechat", str(payload.get("touser")), text))
        return web.json_response({"errcode": 0, "errmsg": "ok"})


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        params = dict(await request.json())
    else:
        params = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    if isinstance(params.get("reply_markup"), str):
        params["reply_markup"] = json.loads(params["reply_markup"])
    return params


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})
