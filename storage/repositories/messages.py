"""Messages, inbound and outbound. ``(channel_id, external_message_id)`` is unique: the
database, not a cache, is what guarantees a platform retry never stores a message twice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..db import Connection
from ..errors import NotFound
from ..models import Message


@dataclass(frozen=True)
class StoredMessage:
    message: Message
    created: bool  # False: the platform re-delivered a message we already have


async def insert_inbound(
    conn: Connection,
    *,
    org_id: uuid.UUID,
    conversation_id: uuid.UUID,
    channel_id: uuid.UUID,
    customer_id: uuid.UUID,
    external_message_id: str,
    content: str | None,
    content_type: str = "text",
    media: list[Any] | None = None,
    metadata: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> StoredMessage:
    record = await conn.fetchrow(
        """
        INSERT INTO messages (org_id, conversation_id, channel_id, customer_id, direction,
                              sender_type, content, content_type, media, metadata,
                              external_message_id, status, created_at)
        VALUES ($1, $2, $3, $4, 'inbound', 'customer', $5, $6, $7, $8, $9, 'received',
                COALESCE($10, clock_timestamp()))
        ON CONFLICT (channel_id, external_message_id) DO NOTHING
        RETURNING *
        """,
        org_id,
        conversation_id,
        channel_id,
        customer_id,
        content,
        content_type,
        media or [],
        metadata or {},
        external_message_id,
        created_at,
    )
    if record is not None:
        return StoredMessage(Message.from_record(record), created=True)
    existing = await conn.fetchrow(
        "SELECT * FROM messages WHERE channel_id = $1 AND external_message_id = $2",
        channel_id,
        external_message_id,
    )
    return StoredMessage(Message.from_record(existing), created=False)


async def get(conn: Connection, org_id: uuid.UUID, message_id: uuid.UUID) -> Message:
    record = await conn.fetchrow(
        "SELECT * FROM messages WHERE org_id = $1 AND id = $2", org_id, message_id
    )
    if record is None:
        raise NotFound("message", message_id)
    return Message.from_record(record)


async def recent_in_conversation(
    conn: Connection, org_id: uuid.UUID, conversation_id: uuid.UUID, *, limit: int = 20
) -> list[Message]:
    """The last ``limit`` messages, oldest first (the order a prompt or a screen wants)."""
    records = await conn.fetch(
        """
        SELECT * FROM (
            SELECT * FROM messages WHERE org_id = $1 AND conversation_id = $2
            ORDER BY created_at DESC, id DESC LIMIT $3
        ) AS latest ORDER BY created_at, id
        """,
        org_id,
        conversation_id,
        limit,
    )
    return [Message.from_record(r) for r in records]
