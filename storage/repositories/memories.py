"""Customer memories: facts worth keeping between conversations, visible to staff.

Their vectors are written off the message path: a new memory, or one whose content changed, has
``vector_id`` NULL until the memory indexer (agents.memory.service) claims it
(:func:`claim_unindexed`) and marks it (:func:`mark_indexed`). A memory that failed to index on
its own is recorded with :func:`record_failures` (``vector_failed_at``, migrations/0020) and the
claims pass it over for their ``retry_after``: they take the oldest first, so without the record
a memory the model chokes on would head every batch. The record is in the row, so every worker
process sees it, and a restart does not start over.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from ..db import Connection
from ..errors import NotFound
from ..models import Row


class Memory(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    customer_id: uuid.UUID
    memory_type: str
    category: str | None
    content: str
    importance: float
    decay_rate: float
    source: str
    access_count: int
    last_accessed_at: datetime | None
    source_message_id: uuid.UUID | None
    vector_id: uuid.UUID | None
    # what the vector was embedded with (migrations/0018; None: indexed before it was recorded)
    vector_space: str | None = None
    # when indexing it last failed on its own (migrations/0020; None: not since it changed)
    vector_failed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


async def for_customer(conn: Connection, org_id: uuid.UUID, customer_id: uuid.UUID) -> list[Memory]:
    records = await conn.fetch(
        """
        SELECT * FROM memories
        WHERE org_id = $1 AND customer_id = $2 AND (expires_at IS NULL OR expires_at > now())
        ORDER BY importance DESC, updated_at DESC
        """,
        org_id,
        customer_id,
    )
    return [Memory.from_record(r) for r in records]


async def add(
    conn: Connection,
    *,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    category: str,
    content: str,
    importance: float,
    source: str = "rules",
    memory_type: str = "long",
    source_message_id: uuid.UUID | None = None,
    created_by: uuid.UUID | None = None,
    vector_id: uuid.UUID | None = None,
) -> Memory:
    record = await conn.fetchrow(
        """
        INSERT INTO memories (org_id, customer_id, memory_type, category, content, importance,
                              source, source_message_id, created_by, vector_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        RETURNING *
        """,
        org_id,
        customer_id,
        memory_type,
        category,
        content,
        importance,
        source,
        source_message_id,
        created_by,
        vector_id,
    )
    return Memory.from_record(record)


async def update(
    conn: Connection,
    org_id: uuid.UUID,
    memory_id: uuid.UUID,
    *,
    content: str,
    importance: float | None = None,
    source: str | None = None,
    source_message_id: uuid.UUID | None = None,
) -> Memory:
    record = await conn.fetchrow(
        """
        UPDATE memories SET content = $3, importance = COALESCE($4, importance),
                            source = COALESCE($5, source),
                            source_message_id = COALESCE($6, source_message_id),
                            -- new content, stale vector: the worker's upkeep re-embeds it,
                            -- and at once (a failure of the old text says nothing of the new)
                            vector_id = CASE WHEN content = $3 THEN vector_id END,
                            vector_failed_at = CASE WHEN content = $3 THEN vector_failed_at END
        WHERE org_id = $1 AND id = $2
        RETURNING *
        """,
        org_id,
        memory_id,
        content,
        importance,
        source,
        source_message_id,
    )
    if record is None:
        raise NotFound("memory", memory_id)
    return Memory.from_record(record)


async def claim_unindexed(
    conn: Connection,
    *,
    limit: int,
    org_id: uuid.UUID | None = None,
    retry_after: timedelta = timedelta(0),
) -> list[Memory]:
    """Lock up to ``limit`` live memories (of one org, or all) without a current vector,
    oldest first, skipping rows another transaction holds and rows that failed within
    ``retry_after`` (call inside a transaction; see ``mark_indexed``)."""
    records = await conn.fetch(
        """
        SELECT * FROM memories
        WHERE vector_id IS NULL AND (expires_at IS NULL OR expires_at > now())
          AND ($2::uuid IS NULL OR org_id = $2)
          AND (vector_failed_at IS NULL OR vector_failed_at <= now() - $3::interval)
        ORDER BY created_at
        LIMIT $1
        FOR UPDATE SKIP LOCKED
        """,
        limit,
        org_id,
        retry_after,
    )
    return [Memory.from_record(r) for r in records]


async def mark_indexed(
    conn: Connection, memory_ids: Sequence[uuid.UUID], vector_space: str | None = None
) -> None:
    """Their vectors are in Qdrant (the point id is the memory id), embedded in
    ``vector_space`` (migrations/0018: a memory in another space is embedded again); a past
    failure is forgotten."""
    await conn.execute(
        "UPDATE memories SET vector_id = id, vector_space = $2, vector_failed_at = NULL"
        " WHERE id = ANY($1::uuid[])",
        list(memory_ids),
        vector_space,
    )


async def record_failures(conn: Connection, memory_ids: Sequence[uuid.UUID]) -> None:
    """Indexing these memories failed on their own (others of their batch indexed): the claims
    pass them over for their ``retry_after``. Not an edit: ``updated_at`` stays (0020)."""
    if memory_ids:
        await conn.execute(
            "UPDATE memories SET vector_failed_at = now() WHERE id = ANY($1::uuid[])",
            list(memory_ids),
        )


async def delete(conn: Connection, org_id: uuid.UUID, memory_id: uuid.UUID) -> Memory:
    record = await conn.fetchrow(
        "DELETE FROM memories WHERE org_id = $1 AND id = $2 RETURNING *", org_id, memory_id
    )
    if record is None:
        raise NotFound("memory", memory_id)
    return Memory.from_record(record)


async def touch(conn: Connection, org_id: uuid.UUID, memory_ids: Sequence[uuid.UUID]) -> None:
    """Count a recall: recently useful memories resist decay."""
    if memory_ids:
        await conn.execute(
            """
            UPDATE memories SET access_count = access_count + 1, last_accessed_at = now()
            WHERE org_id = $1 AND id = ANY($2::uuid[])
            """,
            org_id,
            list(memory_ids),
        )
