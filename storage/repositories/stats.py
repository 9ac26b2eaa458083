"""The day's figures of one org: the one definition ``/stats`` and the daily-stats sweep share.

:func:`figures` counts over a time window ``[start, end)``: both the sweep and ``/stats`` pass
a whole local calendar day (``/stats``: today's, of which only the part until now has
happened yet). Sandbox traffic (``trademate try``: a test customer or
a test conversation) never counts. The figures:

- ``inbound``: messages customers sent in the window (platform events such as a follow or a
  menu tap are not messages).
- ``drafted``: drafts of every kind (reply, quote, follow-up) made in the window, except
  ``hidden`` ones (spam gets no draft to look at).
- ``approved`` / ``edited`` / ``rejected``: drafts a person decided in the window —
  approved as written, approved after changing the text, turned down. A draft's status is
  the decision; whether the message then reached the customer is on the message row.
- ``auto_sent``: drafts that went out by themselves (autopilot) in the window.
- ``median_response_seconds``: over the customer turns that began in the window (a turn
  begins with the first customer message after our last reply), the median time until our
  next reply by a person or the AI that did not fail to send (its ``created_at``: when we
  answered, by approval or auto-send). Turns still unanswered are left out. None when there
  is no answered turn.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ..db import Connection

_FIGURES = """
WITH real_conversations AS (
    SELECT v.id FROM conversations v JOIN customers c ON c.id = v.customer_id
    WHERE v.org_id = $1 AND NOT v.is_test AND NOT c.is_test
),
inbound AS (
    SELECT m.id, m.conversation_id, m.created_at FROM messages m
    WHERE m.org_id = $1 AND m.direction = 'inbound' AND m.content_type <> 'event'
      AND m.created_at >= $2 AND m.created_at < $3
      AND m.conversation_id IN (SELECT id FROM real_conversations)
),
suggestions AS (
    SELECT s.status, s.created_at, s.decided_at FROM reply_suggestions s
    WHERE s.org_id = $1 AND s.conversation_id IN (SELECT id FROM real_conversations)
      AND ((s.created_at >= $2 AND s.created_at < $3)
           OR (s.decided_at >= $2 AND s.decided_at < $3))
),
decided AS (
    SELECT status FROM suggestions WHERE decided_at >= $2 AND decided_at < $3
),
answered_turns AS (
    SELECT extract(epoch FROM reply.at - m.created_at) AS seconds
    FROM inbound m
    CROSS JOIN LATERAL (
        SELECT min(o.created_at) AS at FROM messages o
        WHERE o.conversation_id = m.conversation_id AND o.direction = 'outbound'
          AND o.sender_type IN ('agent', 'ai') AND o.status <> 'failed'
          AND o.created_at > m.created_at
    ) reply
    WHERE reply.at IS NOT NULL
      -- the first message of a customer turn: no customer message since our last reply
      AND NOT EXISTS (
          SELECT 1 FROM messages p
          WHERE p.conversation_id = m.conversation_id AND p.direction = 'inbound'
            AND p.content_type <> 'event' AND p.created_at < m.created_at
            AND p.created_at > COALESCE(
                (SELECT max(q.created_at) FROM messages q
                 WHERE q.conversation_id = m.conversation_id AND q.direction = 'outbound'
                   AND q.sender_type IN ('agent', 'ai') AND q.status <> 'failed'
                   AND q.created_at < m.created_at), '-infinity'))
)
SELECT
    (SELECT count(*) FROM inbound) AS inbound,
    (SELECT count(*) FROM suggestions
     WHERE created_at >= $2 AND created_at < $3 AND status <> 'hidden') AS drafted,
    (SELECT count(*) FROM decided WHERE status = 'approved') AS approved,
    (SELECT count(*) FROM decided WHERE status = 'edited') AS edited,
    (SELECT count(*) FROM decided WHERE status = 'rejected') AS rejected,
    (SELECT count(*) FROM decided WHERE status = 'auto_sent') AS auto_sent,
    (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM answered_turns)
        AS median_response_seconds
"""


@dataclass(frozen=True)
class Figures:
    """One window's figures; see the module docstring for what each one counts."""

    inbound: int
    drafted: int
    approved: int
    edited: int
    rejected: int
    auto_sent: int
    median_response_seconds: float | None

    def as_metrics(self) -> dict[str, Any]:
        """The JSON object stored in ``daily_stats.metrics``."""
        return asdict(self)


async def figures(conn: Connection, org_id: uuid.UUID, start: datetime, end: datetime) -> Figures:
    """The org's figures for ``[start, end)`` (timezone-aware bounds), sandbox left out."""
    row = await conn.fetchrow(_FIGURES, org_id, start, end)
    median = row["median_response_seconds"]
    return Figures(
        inbound=row["inbound"],
        drafted=row["drafted"],
        approved=row["approved"],
        edited=row["edited"],
        rejected=row["rejected"],
        auto_sent=row["auto_sent"],
        median_response_seconds=round(float(median), 1) if median is not None else None,
    )
