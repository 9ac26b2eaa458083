"""Silent customers: a lead/negotiating customer with no inbound message for the org's N days
gets ONE follow-up, planned at the next allowed local hour.

"Once" is the database's: the follow-up's dedupe key is ``silent:<customer>:<last inbound>``,
inserted with ON CONFLICT DO NOTHING, so every scheduler instance may find the same customer
and only one row results. A customer who writes again starts a new silence (a new key). The
draft itself is made when the follow-up falls due (:mod:`agents.followups.due`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from storage.db import Connection
from storage.repositories import followups

from .config import FollowupConfig, SweepResult
from .quiet_hours import country_zone, next_allowed, zone

REASON = "silent_customer"
# customers.status values that are chased (see migrations/0003_crm.sql).
CHASED_STATUSES = ("lead", "negotiating")

# dedupe_key() in SQL for customer c: Python's isoformat() writes microseconds only when
# there are some, and the UTC offset as +00:00.
KEY_SQL = """'silent:' || c.id || ':'
    || to_char(c.last_inbound_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN extract(microseconds FROM c.last_inbound_at)::bigint % 1000000 = 0 THEN ''
            ELSE '.' || to_char(c.last_inbound_at AT TIME ZONE 'UTC', 'US') END
    || '+00:00'"""

_CANDIDATES = """
SELECT c.id, c.org_id, c.timezone, c.country, c.last_inbound_at, o.timezone AS org_timezone,
       o.settings AS org_settings, conv.id AS conversation_id
FROM customers c
JOIN organizations o ON o.id = c.org_id
JOIN LATERAL (
    SELECT v.id FROM conversations v
    WHERE v.org_id = c.org_id AND v.customer_id = c.id AND NOT v.is_test
    ORDER BY v.status <> 'closed' DESC, v.last_message_at DESC NULLS LAST
    LIMIT 1
) conv ON true
WHERE c.status = ANY($2::text[]) AND NOT c.is_test AND c.merged_into_id IS NULL
  AND c.last_inbound_at IS NOT NULL
  AND c.last_inbound_at <= $1::timestamptz - make_interval(
        days => COALESCE(CASE WHEN o.settings ->> 'followup_days' ~ '^[0-9]+$'
                              THEN (o.settings ->> 'followup_days')::int END, $3))
  AND NOT EXISTS (SELECT 1 FROM opt_outs x WHERE x.org_id = c.org_id AND x.customer_id = c.id)
  AND NOT EXISTS (SELECT 1 FROM followups f
                  WHERE f.org_id = c.org_id AND f.customer_id = c.id
                    AND f.status = 'scheduled')
  -- This silence already had its follow-up (drafted, sent, cancelled...): without this the
  -- oldest handled customers came back every run and, once there were batch_size of them,
  -- filled every batch, so no newly silent customer was ever reached.
  AND NOT EXISTS (SELECT 1 FROM followups f
                  WHERE f.org_id = c.org_id AND f.dedupe_key = __KEY__)
  AND ($4::uuid IS NULL OR c.org_id = $4)
ORDER BY c.last_inbound_at
LIMIT $5
""".replace("__KEY__", KEY_SQL)


def dedupe_key(customer_id: uuid.UUID, last_inbound_at: datetime) -> str:
    """``silent:<customer>:<last inbound, ISO 8601 in UTC>``; ``KEY_SQL`` builds the same
    text in SQL (both are tested equal)."""
    return f"silent:{customer_id}:{last_inbound_at.astimezone(UTC).isoformat()}"


async def sweep(
    conn: Connection,
    now: datetime,
    config: FollowupConfig,
    *,
    org_id: uuid.UUID | None = None,
) -> SweepResult:
    """Plan a follow-up for every customer silent long enough; returns counts."""
    result = SweepResult()
    candidates = await conn.fetch(
        _CANDIDATES, now, list(CHASED_STATUSES), config.silent_days, org_id, config.batch_size
    )
    for row in candidates:
        start, end = config.quiet_hours_for(row["org_settings"])
        tz = zone(row["timezone"], country_zone(row["country"]), row["org_timezone"])
        due_at = next_allowed(now, tz, start, end)
        created = await followups.schedule(
            conn,
            org_id=row["org_id"],
            customer_id=row["id"],
            conversation_id=row["conversation_id"],
            due_at=due_at,
            reason=REASON,
            dedupe_key=dedupe_key(row["id"], row["last_inbound_at"]),
        )
        result.add("scheduled" if created else "exists")
        if created and due_at > now:
            result.add("deferred")
    return result
