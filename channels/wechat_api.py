"""The JSON API client the WeChat Official Account and WeCom adapters share.

Both APIs want an ``access_token`` in the query string, fetched from a token endpoint with the
app's credentials and valid for ``expires_in`` (7200 s). Fetching a new one invalidates the
old one (after a short grace period) and is itself quota-limited (2000 a day for an Official
Account), so the token lives in the deployment-wide :class:`TokenCache`, not per process.

Both answer HTTP 200 with ``{"errcode": N, "errmsg": ...}``; :meth:`WeChatAPI.error` is the
one place where those codes become our :mod:`channels.errors` classes. wechatpy's own clients
are synchronous (requests), so this is plain aiohttp.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp

from .base import ChannelEnvironment
from .errors import (
    ChannelAuthError,
    PermanentError,
    RateLimited,
    SendError,
    TransientError,
    WindowClosed,
)
from .models import OutboundMessage

log = logging.getLogger(__name__)

# Refresh this long before the platform's expiry, so a token is never used in its last minutes.
TOKEN_MARGIN_SECONDS = 300
_UNREADABLE_ERRCODE = -999999


@dataclass(frozen=True)
class ErrorCodes:
    """How one platform's ``errcode`` values map onto our error classes."""

    token_invalid: frozenset[int]  # drop the token, fetch another, retry once
    auth: frozenset[int]  # our credentials or setup are wrong: fix the config
    # code → seconds to wait (a callable when the answer depends on the clock)
    rate_limited: Mapping[int, float | Callable[[], float]]
    window_closed: frozenset[int] = frozenset()
    busy: frozenset[int] = frozenset({-1})  # "system busy, retry later"
    # code → what it means for the merchant, put before the platform's terse errmsg (the
    # reason ends up on the failed message, where staff read it)
    explain: Mapping[int, str] = field(default_factory=dict)


class WeChatAPI:
    """An access-token-authenticated JSON client for one app (one channel)."""

    def __init__(
        self,
        *,
        env: ChannelEnvironment,
        base: str,
        token_path: str,
        token_params: Mapping[str, str],
        cache_key: str,
        codes: ErrorCodes,
        secrets: tuple[str, ...] = (),
        context: str = "",
    ) -> None:
        self.env = env
        self.base = base.rstrip("/")
        self.token_path = token_path
        self.token_params = dict(token_params)
        self.cache_key = cache_key
        self.codes = codes
        self._secrets = tuple(s for s in secrets if s)
        self.context = context  # "channel=... org=..." for log lines
        self._session: aiohttp.ClientSession | None = None
        self._refresh = asyncio.Lock()  # one token fetch at a time in this process

    async def post(self, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """POST ``payload`` with the current access token; returns the errcode-0 reply."""
        return await self._with_token(path, {}, payload=payload)

    async def upload_media(
        self, media_type: str, file_name: str, content: bytes, mime_type: str | None = None
    ) -> str:
        """Upload a temporary media file (``/cgi-bin/media/upload``, same path on both APIs;
        kept 3 days by the platform) and return its ``media_id``."""
        reply = await self._with_token(
            "/cgi-bin/media/upload",
            {"type": media_type},
            upload=(file_name, content, mime_type or "application/octet-stream"),
        )
        media_id = reply.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise PermanentError("/cgi-bin/media/upload answered without a media_id")
        return media_id

    async def download(self, url: str, *, max_bytes: int = 20 * 1024 * 1024) -> bytes:
        """The bytes behind a media URL (our own signed link, usually) for re-upload."""
        try:
            async with self._http().get(url) as resp:
                if resp.status >= 400:
                    error = TransientError if resp.status >= 500 else PermanentError
                    raise error(f"media download: HTTP {resp.status}", code="media_download")
                content = await resp.content.read(max_bytes + 1)
        except (TimeoutError, aiohttp.ClientError) as err:
            raise TransientError(f"media download: {err!r}", code="media_download") from err
        if len(content) > max_bytes:
            raise PermanentError(f"media larger than {max_bytes} bytes", code="media_too_large")
        return content

    async def _with_token(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        payload: Mapping[str, Any] | None = None,
        upload: tuple[str, bytes, str] | None = None,
    ) -> dict[str, Any]:
        token = await self.token()
        reply = await self._call("POST", path, {**params, "access_token": token}, payload, upload)
        if _errcode(reply) in self.codes.token_invalid:
            # Expired early, or another process fetched a newer one: refresh and retry once.
            log.info(
                "access token rejected (errcode %s), refreshing %s", _errcode(reply), self.context
            )
            token = await self.token(stale=token)
            reply = await self._call(
                "POST", path, {**params, "access_token": token}, payload, upload
            )
            if _errcode(reply) in self.codes.token_invalid:
                raise self.error(reply, during=path, token_refreshed=True)
        if _errcode(reply) != 0:
            raise self.error(reply, during=path)
        return reply

    async def token(self, *, stale: str | None = None) -> str:
        """The cached access token, fetching one if there is none (or only ``stale``)."""
        cached = await self.env.token_cache.get(self.cache_key)
        if cached and cached != stale:
            return cached
        async with self._refresh:
            # Another task may have refreshed it while we waited for the lock.
            cached = await self.env.token_cache.get(self.cache_key)
            if cached and cached != stale:
                return cached
            reply = await self._call("GET", self.token_path, self.token_params, None)
            code = _errcode(reply)
            if code in self.codes.token_invalid or code in self.codes.auth:
                # At the token endpoint every credential error is ours (OA answers a wrong
                # secret with 40001, the same code as an expired token elsewhere).
                raise self.error(reply, during=self.token_path, token_refreshed=True)
            if code != 0:
                raise self.error(reply, during=self.token_path)
            token = reply.get("access_token")
            if not isinstance(token, str) or not token:
                raise TransientError(f"{self.token_path} answered without an access_token")
            expires_in = _int(reply.get("expires_in")) or 7200
            ttl = (
                expires_in - TOKEN_MARGIN_SECONDS
                if expires_in > 2 * TOKEN_MARGIN_SECONDS
                else max(expires_in // 2, 1)
            )
            await self.env.token_cache.set(self.cache_key, token, ttl)
            log.info("fetched a new access token (valid %ss) %s", expires_in, self.context)
            return token

    def error(
        self, reply: Mapping[str, Any], *, during: str, token_refreshed: bool = False
    ) -> SendError:
        """The one translation of a non-zero ``errcode`` into our error classes."""
        code = _errcode(reply)
        message = str(reply.get("errmsg") or "no errmsg")
        reason = f"{during}: errcode {code}: {self._scrub(message)}"
        codes = self.codes
        if code in codes.explain:
            reason = f"{codes.explain[code]} ({reason})"
        if code in codes.auth or (token_refreshed and code in codes.token_invalid):
            return ChannelAuthError(reason, code=str(code))
        if code in codes.rate_limited:
            wait = codes.rate_limited[code]
            return RateLimited(
                reason, retry_after=wait() if callable(wait) else wait, code=str(code)
            )
        if code in codes.window_closed:
            return WindowClosed(reason, code=str(code))
        if code in codes.busy:
            return TransientError(reason, code=str(code))
        return PermanentError(reason, code=str(code))

    async def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        payload: Mapping[str, Any] | None,
        upload: tuple[str, bytes, str] | None = None,
    ) -> dict[str, Any]:
        """One HTTP exchange; transport failures and non-JSON answers are classified here."""
        # Some WeChat clients show \uXXXX escapes literally: send real UTF-8 (wechatpy does too).
        data: Any = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"} if data else None
        if upload is not None:  # multipart, the file in the field WeChat names "media"
            file_name, content, mime_type = upload
            data = aiohttp.FormData()
            data.add_field("media", content, filename=file_name, content_type=mime_type)
        try:
            async with self._http().request(
                method, self.base + path, params=params, data=data, headers=headers
            ) as resp:
                status, body = resp.status, await resp.read()
                retry_after = resp.headers.get("Retry-After")
        except (TimeoutError, aiohttp.ClientError) as err:
            reason = self._scrub(repr(err), *params.values())
            raise TransientError(f"{method} {path}: {reason}") from err
        if status == 429:  # WeChat itself uses errcodes, but proxies in front of it may not
            raise RateLimited(
                f"{path}: HTTP 429", retry_after=_seconds(retry_after), code="http_429"
            )
        if status >= 500:
            raise TransientError(f"{path}: HTTP {status}", code=f"http_{status}")
        try:
            reply = json.loads(body)
        except ValueError as err:
            error = PermanentError if status >= 400 else TransientError
            raise error(f"{path}: HTTP {status}, not JSON", code=f"http_{status}") from err
        if not isinstance(reply, dict) or (status >= 400 and _errcode(reply) == 0):
            raise PermanentError(f"{path}: HTTP {status}", code=f"http_{status}")
        return reply

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self.env.http_timeout)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    def _scrub(self, text: str, *also: str) -> str:
        """Keep secrets and tokens (they travel in query strings) out of errors and logs."""
        for secret in (*self._secrets, *also):
            if len(secret) >= 8:
                text = text.replace(secret, "***")
        return text

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _errcode(reply: Mapping[str, Any]) -> int:
    value = reply.get("errcode", 0)
    code = _int(value)
    if code is None:  # an errcode we can't read is not a success
        return 0 if not value else _UNREADABLE_ERRCODE
    return code


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _seconds(header: str | None) -> float:
    try:
        return max(float(header or 1), 0.0)
    except ValueError:
        return 1.0


async def upload_linked_media(
    api: WeChatAPI, message: OutboundMessage, uploadable: Mapping[str, str]
) -> OutboundMessage:
    """Upload media that only has a URL (``uploadable``: our kind → the platform's upload
    type) so it arrives as a file, not a link. Other kinds stay links in the text."""
    items = []
    for item in message.media:
        media_type = uploadable.get(item.kind)
        if media_type and item.url and not item.platform_media_id:
            content = await api.download(item.url)
            name = item.file_name or item.url.rsplit("/", 1)[-1].split("?", 1)[0] or "file"
            media_id = await api.upload_media(media_type, name, content, item.mime_type)
            item = replace(item, platform_media_id=media_id)
        items.append(item)
    return replace(message, media=tuple(items))


def outbound_bodies(
    message: OutboundMessage,
    media_types: Mapping[str, str],
    *,
    max_text_bytes: int | None = None,
) -> list[dict[str, Any]]:
    """The JSON bodies (recipient not included) that deliver ``message``.

    Text goes first, with links to media that has no uploaded ``platform_media_id`` (WeChat
    can't send a picture by URL); then one message per uploaded media item. A message with
    both is two API calls: if the second fails, the pacer's retry resends the first.
    """
    if message.template is not None:
        raise PermanentError("WeChat template messages are not supported", code="template")
    lines = [message.text] if message.text else []
    media_bodies: list[dict[str, Any]] = []
    for item in message.media:
        msgtype = media_types.get(item.kind)
        if item.platform_media_id and msgtype:
            media_bodies.append({"msgtype": msgtype, msgtype: {"media_id": item.platform_media_id}})
            lines.extend([item.caption] if item.caption else [])
        elif item.url:
            lines.append(f"{item.caption}: {item.url}" if item.caption else item.url)
        else:
            raise PermanentError(f"{item.kind} needs a URL or an uploaded media id", code="media")
    text = "\n".join(lines)
    if max_text_bytes is not None and len(text.encode()) > max_text_bytes:
        # Better refused loudly than cut off silently (WeCom truncates past its limit).
        raise PermanentError(f"text exceeds {max_text_bytes} UTF-8 bytes", code="text_too_long")
    bodies = [{"msgtype": "text", "text": {"content": text}}] if text else []
    if not bodies and not media_bodies:
        raise PermanentError("nothing to send", code="empty")
    return bodies + media_bodies
