"""Reply drafts waiting for (or past) a person's decision."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ..db import Connection
from ..errors import NotFound
from ..models import Row


class Suggestion(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    kind: str
    message_id: uuid.UUID | None
    conversation_id: uuid.UUID
    draft: str
    language: str | None
    sources: list[Any]
    confidence: float | None
    engine: str | None
    status: str
    action: str | None
    reason: str | None
    metadata: dict[str, Any]
    reviewer_id: uuid.UUID | None = None
    edited_text: str | None = None
    decided_at: datetime | None = None
    sent_message_id: uuid.UUID | None = None
    created_at: datetime


async def create_reply(
    conn: Connection,
    *,
    org_id: uuid.UUID,
    message_id: uuid.UUID,
    conversation_id: uuid.UUID,
    draft: str,
    language: str | None,
    sources: list[dict[str, Any]],
    confidence: float | None,
    engine: str,
    action: str,
    reason: str,
    status: str = "pending",
    metadata: dict[str, Any] | None = None,
) -> tuple[Suggestion, bool]:
    """The draft for an inbound message; a second call for the same message returns the
    first draft (``created`` False), so re-processing never makes two cards."""
    record = await conn.fetchrow(
        """
        INSERT INTO reply_suggestions (org_id, kind, message_id, conversation_id, draft,
                                       language, sources, confidence, engine, action, reason,
                                       status, metadata)
        VALUES ($1, 'reply', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (message_id) DO NOTHING
        RETURNING *
        """,
        org_id,
        message_id,
        conversation_id,
        draft,
        language,
        sources,
        confidence,
        engine,
        action,
        reason,
        status,
        metadata or {},
    )
    if record is not None:
        return Suggestion.from_record(record), True
    return await for_message(conn, org_id, message_id), False


async def for_message(conn: Connection, org_id: uuid.UUID, message_id: uuid.UUID) -> Suggestion:
    record = await conn.fetchrow(
        "SELECT * FROM reply_suggestions WHERE org_id = $1 AND message_id = $2", org_id, message_id
    )
    if record is None:
        raise NotFound("reply suggestion for message", message_id)
    return Suggestion.from_record(record)


async def pending(conn: Connection, org_id: uuid.UUID, *, limit: int = 20) -> list[Suggestion]:
    records = await conn.fetch(
        """
        SELECT * FROM reply_suggestions WHERE org_id = $1 AND status = 'pending'
        ORDER BY created_at LIMIT $2
        """,
        org_id,
        limit,
    )
    return [Suggestion.from_record(r) for r in records]
