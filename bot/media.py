"""Documents we send, served by signed, expiring URLs; and the sender for approved quotes.

WhatsApp (Twilio) fetches media from a public URL, Telegram accepts a PDF by URL, and WeChat
customers get a link: all of them get ``GET /media/{token}/{file name}`` on our server. The
token is ``<org id>.<file id>.<expiry>.<signature>``, the signature an HMAC-SHA256 over the
rest with a key derived from the app's encryption key, so any web process can check it and no
table of links is needed. Forged or expired tokens get 403; the bytes come from the database
(``media_files``), so every web process can serve every file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
import uuid
from urllib.parse import quote as url_quote

from aiohttp import web

from storage.db import Connection
from storage.errors import NotFound
from storage.models import User
from storage.repositories import conversations, quotations
from storage.repositories.suggestions import Suggestion

from .approvals import register_sender
from .outbox import queue_reply
from .services import Services, resolve_encryption_key
from .settings import Settings

log = logging.getLogger(__name__)

_KEY_CONTEXT = b"trademate media links v1"


class MediaTokenError(Exception):
    """A media token that is malformed, forged or expired (the route answers 403)."""


def signing_key(settings: Settings) -> bytes:
    """A key for media links only, derived from the app's encryption key(s) (the first one)."""
    secret = resolve_encryption_key(settings).split(",")[0].strip().encode("utf-8")
    return hmac.new(secret, _KEY_CONTEXT, hashlib.sha256).digest()


def sign(key: bytes, org_id: uuid.UUID, file_id: uuid.UUID, expires_at: int) -> str:
    payload = f"{org_id.hex}.{file_id.hex}.{expires_at}"
    return f"{payload}.{_signature(key, payload)}"


def verify(key: bytes, token: str, *, now: float | None = None) -> tuple[uuid.UUID, uuid.UUID]:
    """(org id, file id) of a valid token; raises :class:`MediaTokenError` otherwise."""
    try:
        org_hex, file_hex, expiry, signature = token.split(".")
        expires_at = int(expiry)
        org_id, file_id = uuid.UUID(hex=org_hex), uuid.UUID(hex=file_hex)
    except ValueError as err:
        raise MediaTokenError("malformed media token") from err
    expected = _signature(key, f"{org_hex}.{file_hex}.{expiry}")
    if not hmac.compare_digest(expected, signature):
        raise MediaTokenError("bad media token signature")
    if expires_at < (time.time() if now is None else now):
        raise MediaTokenError("media link expired")
    return org_id, file_id


def _signature(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def media_url(
    settings: Settings, org_id: uuid.UUID, file_id: uuid.UUID, file_name: str, *, ttl_hours: int
) -> str:
    expires_at = int(time.time()) + ttl_hours * 3600
    token = sign(signing_key(settings), org_id, file_id, expires_at)
    base = settings.app.public_url.rstrip("/")
    return f"{base}/media/{token}/{url_quote(file_name)}"


# ---------------------------------------------------------------- the route
SIGNING_KEY = web.AppKey("media_signing_key", bytes)
MEDIA_SERVICES = web.AppKey("media_services", Services)


def add_media_routes(app: web.Application, services: Services) -> None:
    app[SIGNING_KEY] = signing_key(services.settings)
    app[MEDIA_SERVICES] = services
    app.router.add_get("/media/{token}", serve_media)
    app.router.add_get("/media/{token}/{name}", serve_media)


async def serve_media(request: web.Request) -> web.Response:
    try:
        org_id, file_id = verify(request.app[SIGNING_KEY], request.match_info["token"])
    except MediaTokenError as err:
        log.warning("media link refused from %s: %s", request.remote, err)
        raise web.HTTPForbidden(text=str(err)) from err
    services = request.app[MEDIA_SERVICES]
    try:
        async with services.pool.acquire() as conn:
            stored = await quotations.get_file(conn, org_id, file_id)
    except NotFound as err:
        raise web.HTTPNotFound(text="no such file") from err
    return web.Response(
        body=stored.content,
        content_type=stored.mime_type,
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{url_quote(stored.file_name)}",
            "ETag": f'"{stored.sha256}"',
            "Cache-Control": "private, max-age=3600",
        },
    )


# ---------------------------------------------------------------- the quote sender
async def send_quote(
    conn: Connection, services: Services, suggestion: Suggestion, user: User, text: str
) -> uuid.UUID:
    """Approved quote → one outbound message: the (possibly edited) text plus the PDF as a
    document by signed URL (Telegram sendDocument, WhatsApp MediaUrl, WeChat: a link).

    The quote is marked sent with the approver; delivery itself shows on the message row.
    """
    quote = await quotations.for_suggestion(conn, suggestion.org_id, suggestion.id, lock=True)
    if quote.pdf_file_id is None:
        raise NotFound("PDF of quotation", quote.number)
    # A closed customer-service window is refused by Approvals for every kind of draft, on
    # the message queued here (approvals.refuse_closed_window).
    conversation = await conversations.get(conn, suggestion.org_id, suggestion.conversation_id)
    file_name = f"{quote.number}.pdf"
    url = media_url(
        services.settings,
        quote.org_id,
        quote.pdf_file_id,
        file_name,
        ttl_hours=services.settings.quotes.link_ttl_hours,
    )
    outbound_id = await queue_reply(
        conn,
        suggestion.org_id,
        suggestion.id,
        conversation.id,
        text,
        reviewer_id=user.id,
        content_type="document",
        media=[
            {
                "kind": "document",
                "url": url,
                "mime_type": "application/pdf",
                "file_name": file_name,
            }
        ],
        metadata={"quotation_id": str(quote.id)},
    )
    await quotations.mark_sent(conn, quote.org_id, quote.id, user.id)
    return outbound_id


async def quote_card_rejected(conn: Connection, suggestion: Suggestion) -> None:
    """Staff rejected the quote's card: it was never sent, so it goes back to draft."""
    await conn.execute(
        """
        UPDATE quotations SET status = 'draft'
        WHERE org_id = $1 AND suggestion_id = $2 AND status = 'pending_approval'
        """,
        suggestion.org_id,
        suggestion.id,
    )


register_sender("quote", send_quote, on_reject=quote_card_rejected)
