"""The Outbox the agent pipeline and the approval loop hand replies to.

A reply becomes an outbound ``messages`` row (status ``queued``) in the same transaction that
marks its suggestion sent, then an entry on the outbound stream; the worker's sender does the
rest (pacing, retries, the 24-hour rule). If the stream entry is lost, the reconciler finds
the queued row.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from storage.db import Connection, transaction
from storage.queue import WorkQueue
from storage.repositories import conversations, messages


class ChannelOutbox:
    def __init__(self, pool: asyncpg.Pool, queue: WorkQueue) -> None:
        self.pool = pool
        self.queue = queue

    async def send_suggestion(
        self,
        org_id: uuid.UUID,
        suggestion_id: uuid.UUID,
        conversation_id: uuid.UUID,
        text: str,
        *,
        status: str = "auto_sent",
        reviewer_id: uuid.UUID | None = None,
    ) -> uuid.UUID | None:
        """Queue ``text`` as the reply for a suggestion, once: a suggestion already sent (or
        decided) returns None and queues nothing."""
        async with transaction(self.pool) as conn:
            claimed = await conn.fetchval(
                """
                UPDATE reply_suggestions SET status = $3, decided_at = now(), reviewer_id = $4
                WHERE org_id = $1 AND id = $2 AND status IN ('pending', 'escalated')
                RETURNING id
                """,
                org_id,
                suggestion_id,
                status,
                reviewer_id,
            )
            if claimed is None:
                return None
            outbound_id = await queue_reply(
                conn, org_id, suggestion_id, conversation_id, text, reviewer_id=reviewer_id
            )
        await self.publish(org_id, outbound_id)
        return outbound_id

    async def publish(self, org_id: uuid.UUID, message_id: uuid.UUID) -> None:
        await self.queue.publish([(org_id, message_id)])


async def queue_reply(
    conn: Connection,
    org_id: uuid.UUID,
    suggestion_id: uuid.UUID,
    conversation_id: uuid.UUID,
    text: str | None,
    *,
    reviewer_id: uuid.UUID | None = None,
    content_type: str = "text",
    media: list[Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> uuid.UUID:
    """Insert the queued outbound row for a suggestion inside the caller's transaction.
    Call :meth:`publish` after the commit (never before: the worker would not find it)."""
    conversation = await conversations.get(conn, org_id, conversation_id)
    outbound = await messages.insert_outbound(
        conn,
        org_id=org_id,
        conversation_id=conversation.id,
        channel_id=conversation.channel_id,
        customer_id=conversation.customer_id,
        content=text,
        sender_type="ai" if reviewer_id is None else "agent",
        sender_user_id=reviewer_id,
        content_type=content_type,
        media=media,
        ai_generated=True,
        metadata={"suggestion_id": str(suggestion_id), **(metadata or {})},
    )
    await conn.execute(
        "UPDATE reply_suggestions SET sent_message_id = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        suggestion_id,
        outbound.id,
    )
    return outbound.id
