"""Memory decay: old memories lose importance; expired ones are deleted.

- A memory not updated or recalled for at least a day loses ``decay_rate`` importance per day
  since then (never below ``FLOOR``, the same floor recall uses). The UPDATE moves its
  ``updated_at`` to now, so the next run (or recall's own on-the-fly decay) counts from here:
  nothing is subtracted twice. Memories staff wrote (``source = 'staff'``) do not decay.
- A memory past ``expires_at`` is deleted, and its Qdrant point too when this process has
  the vector store open; a point left behind is harmless (recall only ranks memories that
  still exist in SQL) and is replaced if the id ever comes back.

Rows are claimed with FOR UPDATE SKIP LOCKED, so two instances never decay one row twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from storage.db import Connection
from storage.vectors import CollectionKind, VectorStore

from .config import FollowupConfig, SweepResult

FLOOR = 0.05

_DECAY = """
WITH due AS (
    SELECT id, GREATEST(updated_at, COALESCE(last_accessed_at, updated_at)) AS since
    FROM memories
    WHERE decay_rate > 0 AND importance > $2 AND source <> 'staff'
      AND GREATEST(updated_at, COALESCE(last_accessed_at, updated_at))
          <= $1::timestamptz - interval '1 day'
      AND (expires_at IS NULL OR expires_at > $1)
      AND ($4::uuid IS NULL OR org_id = $4)
    ORDER BY id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE memories m
SET importance = GREATEST($2, m.importance
                              - m.decay_rate * extract(epoch FROM ($1 - due.since)) / 86400)
FROM due
WHERE m.id = due.id
RETURNING m.id
"""

_EXPIRED = """
WITH due AS (
    SELECT id FROM memories
    WHERE expires_at IS NOT NULL AND expires_at <= $1 AND ($3::uuid IS NULL OR org_id = $3)
    ORDER BY expires_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
DELETE FROM memories m USING due WHERE m.id = due.id
RETURNING m.id, m.org_id, m.vector_id
"""


async def sweep(
    conn: Connection,
    now: datetime,
    config: FollowupConfig,
    *,
    vectors: VectorStore | None = None,
    org_id: uuid.UUID | None = None,
) -> SweepResult:
    result = SweepResult()
    async with conn.transaction():
        decayed = await conn.fetch(_DECAY, now, FLOOR, config.batch_size * 10, org_id)
        deleted = await conn.fetch(_EXPIRED, now, config.batch_size * 10, org_id)
    result.add("decayed", len(decayed))
    result.add("deleted", len(deleted))
    if vectors is not None:
        points: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for row in deleted:
            if row["vector_id"] is not None:
                points[row["org_id"]].append(row["vector_id"])
        for owner, ids in points.items():
            await vectors.delete(owner, CollectionKind.MEMORIES, ids)
            result.add("points_deleted", len(ids))
    return result
