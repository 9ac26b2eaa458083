"""Daily stats: one ``daily_stats`` row per org per local day.

Figures (sandbox customers and conversations excluded): ``inbound`` customer messages,
``drafted`` suggestions, staff decisions ``approved`` / ``edited`` / ``rejected``,
``auto_sent`` replies, and ``median_response_seconds`` — for each customer turn (the first
inbound message after our last outbound one) the time to our next reply by staff or AI.

The sweep recomputes today and yesterday (the org's calendar) and upserts, so running it
often, late or from several instances at once gives the same rows.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from storage.db import Connection

from .config import FollowupConfig, SweepResult
from .quiet_hours import zone

_SUGGESTIONS = """
SELECT
  count(*) FILTER (WHERE s.created_at >= $2 AND s.created_at < $3) AS drafted,
  count(*) FILTER (WHERE s.decided_at >= $2 AND s.decided_at < $3 AND s.reviewer_id IS NOT NULL
                   AND s.edited_text IS NULL AND s.status IN ('approved', 'sent')) AS approved,
  count(*) FILTER (WHERE s.decided_at >= $2 AND s.decided_at < $3 AND s.reviewer_id IS NOT NULL
                   AND (s.status = 'edited' OR (s.status = 'sent' AND s.edited_text IS NOT NULL)))
      AS edited,
  count(*) FILTER (WHERE s.decided_at >= $2 AND s.decided_at < $3 AND s.status = 'rejected')
      AS rejected,
  count(*) FILTER (WHERE s.decided_at >= $2 AND s.decided_at < $3 AND s.status = 'auto_sent')
      AS auto_sent
FROM reply_suggestions s
JOIN conversations v ON v.id = s.conversation_id
JOIN customers c ON c.id = v.customer_id
WHERE s.org_id = $1 AND NOT v.is_test AND NOT c.is_test
  AND ((s.created_at >= $2 AND s.created_at < $3) OR (s.decided_at >= $2 AND s.decided_at < $3))
"""

_INBOUND = """
SELECT count(*)
FROM messages m
JOIN conversations v ON v.id = m.conversation_id
JOIN customers c ON c.id = v.customer_id
WHERE m.org_id = $1 AND NOT v.is_test AND NOT c.is_test
  AND m.direction = 'inbound' AND m.content_type <> 'event'
  AND m.created_at >= $2 AND m.created_at < $3
"""

_MEDIAN_RESPONSE = """
SELECT percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM reply.at - m.created_at)) AS median
FROM messages m
JOIN conversations v ON v.id = m.conversation_id
JOIN customers c ON c.id = v.customer_id
CROSS JOIN LATERAL (
    SELECT min(o.created_at) AS at FROM messages o
    WHERE o.conversation_id = m.conversation_id AND o.direction = 'outbound'
      AND o.sender_type IN ('agent', 'ai') AND o.created_at > m.created_at
) reply
WHERE m.org_id = $1 AND NOT v.is_test AND NOT c.is_test
  AND m.direction = 'inbound' AND m.content_type <> 'event'
  AND m.created_at >= $2 AND m.created_at < $3
  AND reply.at IS NOT NULL
  -- the first message of a customer turn: no inbound since our last outbound
  AND NOT EXISTS (
      SELECT 1 FROM messages p
      WHERE p.conversation_id = m.conversation_id AND p.direction = 'inbound'
        AND p.created_at < m.created_at
        AND p.created_at > COALESCE(
            (SELECT max(q.created_at) FROM messages q
             WHERE q.conversation_id = m.conversation_id AND q.direction = 'outbound'
               AND q.created_at < m.created_at), '-infinity'))
"""

_UPSERT = """
INSERT INTO daily_stats (org_id, day, metrics) VALUES ($1, $2, $3)
ON CONFLICT (org_id, day) DO UPDATE SET metrics = EXCLUDED.metrics
"""


def day_bounds(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of ``day`` in the time zone, as aware datetimes."""
    tz = zone(tz_name)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


async def compute(conn: Connection, org_id: uuid.UUID, day: date, tz_name: str) -> dict[str, Any]:
    """The figures of one org's local day."""
    start, end = day_bounds(day, tz_name)
    counts = await conn.fetchrow(_SUGGESTIONS, org_id, start, end)
    median = await conn.fetchval(_MEDIAN_RESPONSE, org_id, start, end)
    return {
        "inbound": await conn.fetchval(_INBOUND, org_id, start, end),
        **{key: counts[key] for key in ("drafted", "approved", "edited", "rejected", "auto_sent")},
        "median_response_seconds": round(float(median), 1) if median is not None else None,
    }


async def sweep(
    conn: Connection,
    now: datetime,
    config: FollowupConfig,
    *,
    org_id: uuid.UUID | None = None,
) -> SweepResult:
    result = SweepResult()
    orgs = await conn.fetch(
        "SELECT id, timezone FROM organizations WHERE $1::uuid IS NULL OR id = $1", org_id
    )
    for org in orgs:
        today = now.astimezone(zone(org["timezone"])).date()
        for day in (today - timedelta(days=1), today):
            metrics = await compute(conn, org["id"], day, org["timezone"])
            await conn.execute(_UPSERT, org["id"], day, metrics)
            result.add("days")
    return result
