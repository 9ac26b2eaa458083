"""Follow-ups: planned proactive touches (silent customers, quote reminders, staff reminders).

Two ways a row is made and worked on, both safe with several scheduler instances:

- **creating** a follow-up that must exist once (one per silence, one per quote) inserts with
  a ``dedupe_key`` and ``ON CONFLICT (org_id, dedupe_key) DO NOTHING``;
- **working** a due follow-up claims it with ``FOR UPDATE SKIP LOCKED`` inside the caller's
  transaction, so a second instance skips the rows the first one holds and, once the first
  commits, no longer sees them as ``scheduled``.

The row lock *is* the claim: the due sweep drafts and records the outcome in the transaction
that claimed the row, and it never sends (the draft goes through approval), so no work
outlives the lock. That is why the status goes straight from ``scheduled`` to ``drafted``
(or ``skipped``, ``failed``, ``cancelled``): the schema also allows ``claimed`` and ``sent``,
but nothing writes them — a persisted claim would only matter for work done outside the
claiming transaction (and would then need a stale-claim recovery), and whether a draft went
out is on its suggestion and message rows. ``claimed_by``/``claimed_at`` record which
instance worked the row, and when.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ..db import Connection
from ..models import Row


class Followup(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    customer_id: uuid.UUID
    conversation_id: uuid.UUID | None
    quotation_id: uuid.UUID | None
    due_at: datetime
    reason: str | None
    note: str | None
    status: str
    dedupe_key: str | None
    suggestion_id: uuid.UUID | None
    created_by: uuid.UUID | None
    claimed_by: str | None
    attempts: int
    error: str | None
    done_at: datetime | None
    created_at: datetime


class FollowupListing(Followup):
    customer_name: str | None = None
    suggestion_status: str | None = None


async def schedule(
    conn: Connection,
    *,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    due_at: datetime,
    reason: str,
    conversation_id: uuid.UUID | None = None,
    quotation_id: uuid.UUID | None = None,
    note: str | None = None,
    dedupe_key: str | None = None,
    created_by: uuid.UUID | None = None,
) -> Followup | None:
    """Insert a scheduled follow-up; None when one with the same ``dedupe_key`` exists."""
    record = await conn.fetchrow(
        """
        INSERT INTO followups (org_id, customer_id, conversation_id, quotation_id, due_at,
                               reason, note, dedupe_key, created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (org_id, dedupe_key) DO NOTHING
        RETURNING *
        """,
        org_id,
        customer_id,
        conversation_id,
        quotation_id,
        due_at,
        reason,
        note,
        dedupe_key,
        created_by,
    )
    return Followup.from_record(record) if record is not None else None


async def claim_due(
    conn: Connection,
    now: datetime,
    *,
    limit: int = 100,
    org_id: uuid.UUID | None = None,
) -> list[Followup]:
    """Lock up to ``limit`` scheduled follow-ups due at ``now`` (call inside a transaction);
    rows another instance holds are skipped, not waited for."""
    records = await conn.fetch(
        """
        SELECT * FROM followups
        WHERE status = 'scheduled' AND due_at <= $1 AND ($3::uuid IS NULL OR org_id = $3)
        ORDER BY due_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED
        """,
        now,
        limit,
        org_id,
    )
    return [Followup.from_record(r) for r in records]


async def finish(
    conn: Connection,
    org_id: uuid.UUID,
    followup_id: uuid.UUID,
    *,
    status: str,
    now: datetime,
    worker: str,
    suggestion_id: uuid.UUID | None = None,
    conversation_id: uuid.UUID | None = None,
    error: str | None = None,
) -> None:
    """Record what became of a claimed follow-up (drafted, skipped, failed)."""
    await conn.execute(
        """
        UPDATE followups
        SET status = $3, suggestion_id = COALESCE($4, suggestion_id),
            conversation_id = COALESCE($5, conversation_id), error = $6,
            claimed_by = $7, claimed_at = $8, done_at = $8, attempts = attempts + 1
        WHERE org_id = $1 AND id = $2
        """,
        org_id,
        followup_id,
        status,
        suggestion_id,
        conversation_id,
        error,
        worker,
        now,
    )


async def cancel_for_quotations(conn: Connection, quotation_ids: list[uuid.UUID]) -> int:
    """Cancel reminders still waiting for quotes that are no longer open."""
    if not quotation_ids:
        return 0
    result = await conn.execute(
        """
        UPDATE followups SET status = 'cancelled', error = 'quotation expired'
        WHERE quotation_id = ANY($1::uuid[]) AND status = 'scheduled'
        """,
        quotation_ids,
    )
    return int(result.split()[-1])


async def list_open(
    conn: Connection, org_id: uuid.UUID, *, limit: int = 20
) -> list[FollowupListing]:
    """An org's follow-ups still to do: scheduled ones (soonest first), then drafts waiting for
    a decision."""
    records = await conn.fetch(
        """
        SELECT f.*, c.display_name AS customer_name, s.status AS suggestion_status
        FROM followups f
        JOIN customers c ON c.id = f.customer_id
        LEFT JOIN reply_suggestions s ON s.id = f.suggestion_id
        WHERE f.org_id = $1
          AND (f.status = 'scheduled'
               OR (f.status = 'drafted' AND s.status IN ('pending', 'escalated')))
        ORDER BY f.status = 'drafted', f.due_at
        LIMIT $2
        """,
        org_id,
        limit,
    )
    return [FollowupListing.from_record(r) for r in records]


async def create_suggestion(
    conn: Connection,
    *,
    org_id: uuid.UUID,
    conversation_id: uuid.UUID,
    draft: str,
    language: str,
    reason: str,
    metadata: dict[str, Any],
    sources: list[dict[str, Any]] | None = None,
) -> uuid.UUID:
    """A pending ``reply_suggestions`` row of kind 'followup': the same approval path as replies."""
    return await conn.fetchval(
        """
        INSERT INTO reply_suggestions (org_id, kind, conversation_id, draft, language, sources,
                                       confidence, engine, status, action, reason, metadata)
        VALUES ($1, 'followup', $2, $3, $4, $5, 1.0, 'offline', 'pending', 'queue', $6, $7)
        RETURNING id
        """,
        org_id,
        conversation_id,
        draft,
        language,
        sources or [],
        reason,
        metadata,
    )
