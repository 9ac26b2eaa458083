"""Local stand-ins for the WeChat Official Account and WeCom APIs, plus signed callbacks.

The fakes speak the real wire format: token endpoints check the credentials and answer
``{"access_token", "expires_in"}`` or an ``errcode``; send endpoints check the token and
answer ``{"errcode": 0, "errmsg": "ok"}``. Program failures the WeChat way, as HTTP 200 with
an errcode: ``fake.fail_next(200, {"errcode": 45009, "errmsg": "..."}, path_contains="send")``.

The helpers build inbound requests the way WeChat and WeCom sign and encrypt them, with
wechatpy's crypto, for tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from aiohttp import web
from wechatpy.crypto import PrpCrypto
from wechatpy.utils import WeChatSigner

from channels.models import WebhookRequest

from .base import FakeAPI

OA_EXPIRED = {
    "errcode": 40001,
    "errmsg": "invalid credential, access_token is invalid or not latest",
}
WECOM_EXPIRED = {"errcode": 42001, "errmsg": "access_token expired"}


class _TokenIssuingAPI(FakeAPI):
    """Issues numbered tokens, remembers which are valid, records accepted sends."""

    expired_reply: dict[str, Any] = OA_EXPIRED

    def __init__(self) -> None:
        self.valid_tokens: set[str] = set()
        self.sent: list[dict[str, Any]] = []  # JSON bodies of accepted sends
        self.uploads: list[dict[str, Any]] = []  # media uploads: type, media_id, filename, ...
        self.files: dict[str, bytes] = {}  # served at /files/{name}
        self.delay = 0.0  # seconds to stall each send (timeout tests)
        self._serial = itertools.count(1)
        super().__init__()

    def expire_tokens(self) -> None:
        """Invalidate every issued token, as WeChat does when another token is fetched."""
        self.valid_tokens.clear()

    @property
    def token_fetches(self) -> int:
        return len(self.calls_to("token"))

    def _issue(self) -> web.Response:
        token = f"TOKEN-{next(self._serial)}-{secrets.token_hex(4)}"
        self.valid_tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    def add_media_routes(self, app: web.Application) -> None:
        """``/cgi-bin/media/upload`` (same path on both APIs) and ``/files/{name}``, where a
        test can host a file (``self.files``) for an adapter to fetch by URL."""
        app.router.add_post("/cgi-bin/media/upload", self._upload)
        app.router.add_get("/files/{name}", self._file)

    async def _upload(self, request: web.Request) -> web.Response:
        if request.query.get("access_token") not in self.valid_tokens:
            return web.json_response(self.expired_reply)
        media_type = request.query.get("type")
        if media_type not in {"image", "voice", "video", "file", "thumb"}:
            return web.json_response({"errcode": 40004, "errmsg": "invalid media type"})
        # The recorder has read the body already: parse the multipart from those bytes.
        head = f"Content-Type: {request.headers.get('Content-Type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + await request.read())
        parts = [
            p
            for p in (message.iter_parts() if message.is_multipart() else [])
            if p.get_param("name", header="content-disposition") == "media" and p.get_filename()
        ]
        if not parts:
            return web.json_response({"errcode": 41005, "errmsg": "media data missing"})
        media_id = f"MEDIA{next(self._serial)}{secrets.token_hex(6)}"
        self.uploads.append(
            {"type": media_type, "media_id": media_id, "filename": parts[0].get_filename(),
             "content": parts[0].get_payload(decode=True),
             "content_type": parts[0].get_content_type()}
        )  # fmt: skip
        return web.json_response(
            {"type": media_type, "media_id": media_id, "created_at": int(time.time())}
        )

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[name], content_type="application/pdf")

    async def _accept_send(self, request: web.Request, **extra: Any) -> web.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.query.get("access_token") not in self.valid_tokens:
            return web.json_response(self.expired_reply)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        if not body.get("touser") or body.get("msgtype") not in body:
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok", **extra})


class FakeWeChatAPI(_TokenIssuingAPI):
    """``/cgi-bin/token`` and ``/cgi-bin/message/custom/send`` of api.weixin.qq.com."""

    def __init__(self, app_id: str = "wx0123456789abcdef", app_secret: str = "oa-secret") -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        super().__init__()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._accept_send)
        self.add_media_routes(app)

    async def _token(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
        if q.get("appid") != self.app_id:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if q.get("secret") != self.app_secret:  # what the docs list for a wrong AppSecret
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        return self._issue()


class FakeWeComAPI(_TokenIssuingAPI):
    """``/cgi-bin/gettoken`` and ``/cgi-bin/message/send`` of qyapi.weixin.qq.com."""

    expired_reply = WECOM_EXPIRED

    def __init__(
        self,
        corp_id: str = "ww0123456789abcdef",
        secret: str = "app-secret",
        agent_id: int = 1000002,
    ) -> None:
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id
        super().__init__()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/cgi-bin/gettoken", self._token)
        app.router.add_post("/cgi-bin/message/send", self._send)
        self.add_media_routes(app)

    async def _token(self, request: web.Request) -> web.Response:
        if request.query.get("corpid") != self.corp_id:
            return web.json_response({"errcode": 40013, "errmsg": "invalid corpid"})
        if request.query.get("corpsecret") != self.secret:
            return web.json_response({"errcode": 40001, "errmsg": "invalid secret"})
        return self._issue()

    async def _send(self, request: web.Request) -> web.Response:
        try:
            agent = (await request.json()).get("agentid")
        except ValueError:
            agent = None
        token_ok = request.query.get("access_token") in self.valid_tokens
        if token_ok and agent != self.agent_id:
            return web.json_response({"errcode": 40056, "errmsg": "invalid agentid"})
        msgid = f"msg{next(self._serial)}"
        return await self._accept_send(request, invaliduser="", msgid=msgid)


# --- inbound requests ------------------------------------------------------------------------
def webhook_request(
    query: dict[str, str], body: bytes | str = b"", *, method: str = "POST"
) -> WebhookRequest:
    """A :class:`WebhookRequest` as the route handler would build it."""
    from urllib.parse import urlencode

    raw = body.encode() if isinstance(body, str) else body
    return WebhookRequest(
        method=method,
        url=f"https://example.test/webhooks/wechat/x?{urlencode(query)}",
        headers={"content-type": "text/xml"},
        query=dict(query),
        body=raw,
    )


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 over the sorted, concatenated parts."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def plain_query(token: str, *, timestamp: str | None = None, nonce: str | None = None) -> dict:
    """The query of a plaintext-mode callback (or, plus ``echostr``, of the URL check)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**9))
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def seal(xml: str, aes_key: str, app_id: str, *, random16: str | None = None) -> str:
    """AES-encrypt ``xml`` for ``app_id`` as WeChat does (``Encrypt``); ``random16`` fixes
    the random prefix for deterministic vectors."""
    crypto = PrpCrypto(base64.b64decode(aes_key + "="))
    if random16 is not None:
        crypto.get_random_string = lambda: random16  # type: ignore[method-assign]
    return crypto.encrypt(xml, app_id).decode()


def encrypt_inbound(
    xml: str,
    token: str,
    aes_key: str,
    app_id: str,
    *,
    timestamp: str | None = None,
    nonce: str | None = None,
    to_user: str = "gh_0123456789ab",
) -> tuple[dict[str, str], bytes]:
    """An Official Account safe-mode callback: ``(query, body)``."""
    encrypt = seal(xml, aes_key, app_id)
    query = plain_query(token, timestamp=timestamp, nonce=nonce)
    query.update(
        encrypt_type="aes",
        msg_signature=sign(token, query["timestamp"], query["nonce"], encrypt),
        openid="o-sender",
    )
    body = (
        f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    )
    return query, body.encode()


def encrypt_wecom_inbound(
    xml: str,
    token: str,
    aes_key: str,
    corp_id: str,
    *,
    agent_id: int | str = 1,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> tuple[dict[str, str], bytes]:
    """A WeCom callback: ``(query, body)``."""
    encrypt = seal(xml, aes_key, corp_id)
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**9))
    query = {
        "msg_signature": sign(token, timestamp, nonce, encrypt),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    body = (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{agent_id}]]></AgentID></xml>"
    )
    return query, body.encode()


def wecom_url_check(token: str, aes_key: str, corp_id: str, echo: str) -> dict[str, str]:
    """The query of WeCom's URL check (GET) whose decrypted ``echostr`` is ``echo``."""
    echostr = seal(echo, aes_key, corp_id)
    timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
    return {
        "msg_signature": sign(token, timestamp, nonce, echostr),
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": echostr,
    }
