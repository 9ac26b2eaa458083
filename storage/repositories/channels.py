"""Channel rows: one connected account on one platform (a bot, a number, an official account)."""

from __future__ import annotations

import uuid

from ..db import Connection, conflict_as
from ..errors import NotFound
from ..models import Channel, Platform


async def create(
    conn: Connection,
    org_id: uuid.UUID,
    platform: Platform,
    name: str,
    *,
    config_encrypted: bytes,
    webhook_secret: str,
) -> Channel:
    async with conflict_as(conn, f"a channel named {name!r} already exists in this organization"):
        record = await conn.fetchrow(
            """
            INSERT INTO channels (org_id, platform, name, config_encrypted, webhook_secret)
            VALUES ($1, $2, $3, $4, $5)
            RETURNING *
            """,
            org_id,
            platform,
            name,
            config_encrypted,
            webhook_secret,
        )
    return Channel.from_record(record)


async def get(conn: Connection, org_id: uuid.UUID, channel_id: uuid.UUID) -> Channel:
    record = await conn.fetchrow(
        "SELECT * FROM channels WHERE org_id = $1 AND id = $2", org_id, channel_id
    )
    if record is None:
        raise NotFound("channel", channel_id)
    return Channel.from_record(record)


async def get_for_webhook(conn: Connection, channel_id: uuid.UUID) -> Channel:
    """The one read without an org: a webhook URL names only the channel, which names its org.

    The caller must verify the request's signature with this channel's secret before
    trusting anything else in it.
    """
    record = await conn.fetchrow("SELECT * FROM channels WHERE id = $1", channel_id)
    if record is None:
        raise NotFound("channel", channel_id)
    return Channel.from_record(record)


async def list_for_org(conn: Connection, org_id: uuid.UUID) -> list[Channel]:
    records = await conn.fetch(
        "SELECT * FROM channels WHERE org_id = $1 ORDER BY created_at, name", org_id
    )
    return [Channel.from_record(r) for r in records]


async def set_status(
    conn: Connection,
    org_id: uuid.UUID,
    channel_id: uuid.UUID,
    status: str,
    *,
    last_error: str | None = None,
) -> None:
    result = await conn.execute(
        "UPDATE channels SET status = $3, last_error = $4 WHERE org_id = $1 AND id = $2",
        org_id,
        channel_id,
        status,
        last_error,
    )
    if result.endswith(" 0"):
        raise NotFound("channel", channel_id)
