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


# --- processing state of inbound messages ------------------------------------------------
# pending ──claim──▶ processing ──finish──▶ processed | skipped
#    ▲                  │ (lease expires: the worker died)      └─ fail (attempts used up) ─▶ failed
#    └──── release ─────┘


async def claim_for_processing(
    conn: Connection, org_id: uuid.UUID, message_id: uuid.UUID, *, lease_seconds: float
) -> Message | None:
    """Take the processing lease, or None when another worker holds a live lease or the
    message is done. This conditional UPDATE is what makes processing once-only."""
    record = await conn.fetchrow(
        """
        UPDATE messages
        SET processing_status = 'processing',
            processing_attempts = processing_attempts + 1,
            processing_started_at = clock_timestamp()
        WHERE org_id = $1 AND id = $2 AND direction = 'inbound'
          AND (processing_status = 'pending'
               OR (processing_status = 'processing'
                   AND processing_started_at < clock_timestamp() - make_interval(secs => $3)))
        RETURNING *
        """,
        org_id,
        message_id,
        lease_seconds,
    )
    return None if record is None else Message.from_record(record)


async def finish_processing(
    conn: Connection, org_id: uuid.UUID, message_id: uuid.UUID, *, status: str = "processed"
) -> None:
    await conn.execute(
        """
        UPDATE messages SET processing_status = $3, processed_at = clock_timestamp(), error = NULL
        WHERE org_id = $1 AND id = $2 AND processing_status = 'processing'
        """,
        org_id,
        message_id,
        status,
    )


async def release_after_error(
    conn: Connection,
    org_id: uuid.UUID,
    message_id: uuid.UUID,
    error: str,
    *,
    max_attempts: int,
) -> str:
    """Give the message back for a retry, or mark it failed once attempts are used up."""
    return await conn.fetchval(
        """
        UPDATE messages
        SET processing_status = CASE WHEN processing_attempts >= $4 THEN 'failed' ELSE 'pending'
                                END,
            processing_started_at = NULL,
            error = $3
        WHERE org_id = $1 AND id = $2
        RETURNING processing_status
        """,
        org_id,
        message_id,
        error[:2000],
        max_attempts,
    )


async def find_stranded(
    conn: Connection, *, pending_for_seconds: float, lease_seconds: float, limit: int = 500
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(org_id, id) of inbound messages the queue seems to have lost: pending for too long,
    or held by a worker whose lease expired. Deployment-wide: the reconciler serves all orgs."""
    records = await conn.fetch(
        """
        SELECT org_id, id FROM messages
        WHERE processing_status IN ('pending', 'processing') AND direction = 'inbound'
          AND ((processing_status = 'pending'
                AND created_at < clock_timestamp() - make_interval(secs => $1))
            OR (processing_status = 'processing'
                AND processing_started_at < clock_timestamp() - make_interval(secs => $2)))
        ORDER BY created_at
        LIMIT $3
        """,
        pending_for_seconds,
        lease_seconds,
        limit,
    )
    return [(r["org_id"], r["id"]) for r in records]


# --- delivery status of outbound messages ------------------------------------------------
_STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}


async def apply_delivery_status(
    conn: Connection,
    channel_id: uuid.UUID,
    external_message_id: str,
    status: str,
    *,
    at: datetime,
    error: str | None = None,
) -> bool:
    """Record a platform's status report. Statuses only move forward (callbacks arrive out of
    order: a late "sent" must not overwrite "delivered"); failures always apply."""
    rank = _STATUS_RANK.get(status)
    result = await conn.execute(
        """
        UPDATE messages SET
            status = $3,
            sent_at = CASE WHEN $3 = 'sent' THEN COALESCE(sent_at, $4) ELSE sent_at END,
            delivered_at = CASE WHEN $3 IN ('delivered', 'read') THEN COALESCE(delivered_at, $4)
                           ELSE delivered_at END,
            read_at = CASE WHEN $3 = 'read' THEN COALESCE(read_at, $4) ELSE read_at END,
            error = COALESCE($5, error)
        WHERE channel_id = $1 AND external_message_id = $2 AND direction = 'outbound'
          AND ($6::int IS NULL OR $6 > CASE status WHEN 'queued' THEN 0 WHEN 'sending' THEN 1
                 WHEN 'sent' THEN 2 WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 ELSE 99 END)
        """,
        channel_id,
        external_message_id,
        status,
        at,
        error,
        rank,
    )
    return not result.endswith(" 0")


async def insert_outbound(
    conn: Connection,
    *,
    org_id: uuid.UUID,
    conversation_id: uuid.UUID,
    channel_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    content: str | None,
    sender_type: str = "agent",
    sender_user_id: uuid.UUID | None = None,
    content_type: str = "text",
    media: list[Any] | None = None,
    metadata: dict[str, Any] | None = None,
    ai_generated: bool = False,
    ai_sources: list[Any] | None = None,
) -> Message:
    """A message to send, status ``queued``; the sender fills in the platform's id."""
    record = await conn.fetchrow(
        """
        INSERT INTO messages (org_id, conversation_id, channel_id, customer_id, direction,
                              sender_type, sender_user_id, content, content_type, media,
                              metadata, ai_generated, ai_sources, status, processing_status)
        VALUES ($1, $2, $3, $4, 'outbound', $5, $6, $7, $8, $9, $10, $11, $12, 'queued',
                'skipped')
        RETURNING *
        """,
        org_id,
        conversation_id,
        channel_id,
        customer_id,
        sender_type,
        sender_user_id,
        content,
        content_type,
        media or [],
        metadata or {},
        ai_generated,
        ai_sources or [],
    )
    return Message.from_record(record)


async def claim_for_sending(
    conn: Connection, org_id: uuid.UUID, message_id: uuid.UUID
) -> Message | None:
    """Move a queued outbound message to ``sending``; None when another sender took it or it
    was sent already. Makes sending at-most-once: a crash mid-send leaves ``sending``, which
    the reconciler turns into ``failed`` for a person to check, rather than risk a double."""
    record = await conn.fetchrow(
        """
        UPDATE messages SET status = 'sending', processing_started_at = clock_timestamp(),
                            processing_attempts = processing_attempts + 1
        WHERE org_id = $1 AND id = $2 AND direction = 'outbound' AND status = 'queued'
        RETURNING *
        """,
        org_id,
        message_id,
    )
    return None if record is None else Message.from_record(record)


async def mark_sent(
    conn: Connection,
    org_id: uuid.UUID,
    message_id: uuid.UUID,
    *,
    external_message_id: str | None,
    status: str = "sent",
) -> None:
    await conn.execute(
        """
        UPDATE messages SET status = $3, external_message_id = $4,
                            sent_at = clock_timestamp(), error = NULL
        WHERE org_id = $1 AND id = $2
        """,
        org_id,
        message_id,
        status,
        external_message_id,
    )
    await conn.execute(
        """
        UPDATE conversations SET last_outbound_at = clock_timestamp(),
                                 last_message_at = clock_timestamp()
        WHERE id = (SELECT conversation_id FROM messages WHERE id = $1)
        """,
        message_id,
    )


async def mark_send_failed(
    conn: Connection, org_id: uuid.UUID, message_id: uuid.UUID, error: str
) -> None:
    await conn.execute(
        "UPDATE messages SET status = 'failed', error = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        message_id,
        error[:2000],
    )


async def find_unsent(
    conn: Connection, *, queued_for_seconds: float, limit: int = 500
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(org_id, id) of outbound messages queued for longer than expected (lost enqueue)."""
    records = await conn.fetch(
        """
        SELECT org_id, id FROM messages
        WHERE direction = 'outbound' AND status = 'queued'
          AND created_at < clock_timestamp() - make_interval(secs => $1)
        ORDER BY created_at LIMIT $2
        """,
        queued_for_seconds,
        limit,
    )
    return [(r["org_id"], r["id"]) for r in records]


async def fail_interrupted_sends(conn: Connection, *, lease_seconds: float) -> int:
    """Sends that started but never finished (the sender died): mark them failed, since
    the platform may or may not have delivered them and a resend could double them."""
    result = await conn.execute(
        """
        UPDATE messages SET status = 'failed',
               error = 'interrupted while sending: check the conversation before resending'
        WHERE direction = 'outbound' AND status = 'sending'
          AND processing_started_at < clock_timestamp() - make_interval(secs => $1)
        """,
        lease_seconds,
    )
    return int(result.split()[-1])
