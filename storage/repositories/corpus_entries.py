"""Approved replies (``corpus_entries``) waiting for their first vector.

The approval path inserts a row with ``vector_id`` NULL; the indexer
(:mod:`agents.knowledge.corpus`) claims a few with ``FOR UPDATE SKIP LOCKED`` (call inside a
transaction and mark them in the same one), so two workers never embed the same reply. A row
that failed to index on its own is recorded with
:func:`storage.repositories.vector_spaces.record_failure` (``vector_failed_at``,
migrations/0019) and the claim passes it over for ``retry_after``: the claim takes the oldest
first, so without the record a reply the model chokes on would head every batch forever.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from ..db import Connection


@dataclass(frozen=True)
class UnindexedEntry:
    id: uuid.UUID
    org_id: uuid.UUID
    question: str
    answer: str
    language: str | None


async def claim_unindexed(
    conn: Connection,
    *,
    limit: int,
    org_id: uuid.UUID | None = None,
    retry_after: timedelta = timedelta(0),
    only: uuid.UUID | None = None,
) -> list[UnindexedEntry]:
    """Lock up to ``limit`` active replies (of one org, or all) that have no vector yet,
    oldest first, skipping rows another transaction holds and rows that failed within
    ``retry_after`` (``only``: that one row, if it still qualifies)."""
    records = await conn.fetch(
        """
        SELECT id, org_id, question, answer, language FROM corpus_entries
        WHERE vector_id IS NULL AND is_active
          AND ($1::uuid IS NULL OR org_id = $1)
          AND (vector_failed_at IS NULL OR vector_failed_at <= now() - $3::interval)
          AND ($4::uuid IS NULL OR id = $4)
        ORDER BY created_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED
        """,
        org_id,
        limit,
        retry_after,
        only,
    )
    return [UnindexedEntry(**r) for r in records]


async def mark_indexed(conn: Connection, entry_ids: Sequence[uuid.UUID], space: str) -> None:
    """Their points are in Qdrant (the point id is the row id), embedded in ``space``; a past
    failure is forgotten."""
    await conn.execute(
        "UPDATE corpus_entries SET vector_id = id, vector_space = $2, vector_failed_at = NULL"
        " WHERE id = ANY($1::uuid[])",
        list(entry_ids),
        space,
    )
