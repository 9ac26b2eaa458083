"""Webhook deliveries we refused as malformed, kept for inspection (body and headers)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from ..db import Connection

# Headers that authenticate a request are not worth keeping and may be replayable.
_DROPPED_HEADERS = {"authorization", "cookie", "x-telegram-bot-api-secret-token"}
_MAX_BODY = 256 * 1024


async def record(
    conn: Connection,
    *,
    status_code: int,
    reason: str,
    headers: Mapping[str, str],
    body: bytes,
    platform: str | None = None,
    org_id: uuid.UUID | None = None,
    channel_id: uuid.UUID | None = None,
    remote_addr: str | None = None,
) -> int:
    kept = {k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}
    return await conn.fetchval(
        """
        INSERT INTO webhook_rejects
            (org_id, channel_id, platform, status_code, reason, headers, body, remote_addr)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        RETURNING id
        """,
        org_id,
        channel_id,
        platform,
        status_code,
        reason[:2000],
        kept,
        body[:_MAX_BODY],
        remote_addr,
    )


async def recent(conn: Connection, *, channel_id: uuid.UUID, limit: int = 20) -> list[dict]:
    records = await conn.fetch(
        "SELECT * FROM webhook_rejects WHERE channel_id = $1 ORDER BY id DESC LIMIT $2",
        channel_id,
        limit,
    )
    return [dict(r) for r in records]
