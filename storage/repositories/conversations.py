"""Conversations: the thread between one customer and the merchant on one channel."""

from __future__ import annotations

import uuid
from datetime import datetime

from ..db import Connection
from ..errors import NotFound
from ..models import Conversation


async def upsert_active(
    conn: Connection,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    channel_id: uuid.UUID,
    *,
    inbound_at: datetime,
    is_test: bool = False,
) -> Conversation:
    """The customer's open conversation on this channel, created if none is open.

    ``last_inbound_at`` only moves forward (webhooks can arrive out of order); it is what
    the WhatsApp 24-hour customer-service window is measured from.
    """
    record = await conn.fetchrow(
        """
        INSERT INTO conversations
            (org_id, customer_id, channel_id, last_inbound_at, last_message_at, is_test)
        VALUES ($1, $2, $3, $4, $4, $5)
        ON CONFLICT (channel_id, customer_id) WHERE status <> 'closed' DO UPDATE SET
            last_inbound_at = GREATEST(conversations.last_inbound_at, EXCLUDED.last_inbound_at),
            last_message_at = GREATEST(conversations.last_message_at, EXCLUDED.last_message_at)
        RETURNING *
        """,
        org_id,
        customer_id,
        channel_id,
        inbound_at,
        is_test,
    )
    return Conversation.from_record(record)


async def get(conn: Connection, org_id: uuid.UUID, conversation_id: uuid.UUID) -> Conversation:
    record = await conn.fetchrow(
        "SELECT * FROM conversations WHERE org_id = $1 AND id = $2", org_id, conversation_id
    )
    if record is None:
        raise NotFound("conversation", conversation_id)
    return Conversation.from_record(record)


async def list_for_customer(
    conn: Connection, org_id: uuid.UUID, customer_id: uuid.UUID
) -> list[Conversation]:
    records = await conn.fetch(
        "SELECT * FROM conversations WHERE org_id = $1 AND customer_id = $2"
        " ORDER BY last_message_at DESC NULLS LAST",
        org_id,
        customer_id,
    )
    return [Conversation.from_record(r) for r in records]


async def set_status(
    conn: Connection, org_id: uuid.UUID, conversation_id: uuid.UUID, status: str
) -> Conversation:
    record = await conn.fetchrow(
        """
        UPDATE conversations
        SET status = $3, resolved_at = CASE WHEN $3 = 'closed' THEN now() ELSE resolved_at END
        WHERE org_id = $1 AND id = $2
        RETURNING *
        """,
        org_id,
        conversation_id,
        status,
    )
    if record is None:
        raise NotFound("conversation", conversation_id)
    return Conversation.from_record(record)
