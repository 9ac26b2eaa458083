"""Quotations nearing or past their validity.

- A sent quote whose last valid day (``valid_until``, in the merchant's time zone) is at most
  ``quote_reminder_days`` away gets ONE reminder follow-up (dedupe key
  ``quote_expiry:<quote>``), planned outside the customer's quiet hours and drafted by the due
  sweep like any other follow-up.
- An open quote (draft, pending approval, sent) past its last valid day becomes ``expired``
  in one UPDATE, which is safe to run from several instances at once; its waiting reminders
  are cancelled and its undecided approval draft (kind 'quote') expires with it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from storage.db import Connection
from storage.repositories import followups

from .config import FollowupConfig, SweepResult
from .quiet_hours import country_zone, next_allowed, zone

REASON = "quote_expiry"

# "Today" for a quote is the merchant's calendar day: ($1 AT TIME ZONE o.timezone)::date.
_EXPIRE = """
UPDATE quotations q SET status = 'expired', expired_at = $1
FROM organizations o
WHERE o.id = q.org_id AND q.status IN ('draft', 'pending_approval', 'sent')
  AND q.valid_until IS NOT NULL AND q.valid_until < ($1::timestamptz AT TIME ZONE o.timezone)::date
  AND ($2::uuid IS NULL OR q.org_id = $2)
RETURNING q.id
"""

_NEAR_EXPIRY = """
SELECT q.id, q.org_id, q.customer_id, q.conversation_id, c.timezone, c.country,
       o.timezone AS org_timezone,
       o.settings AS org_settings
FROM quotations q
JOIN organizations o ON o.id = q.org_id
JOIN customers c ON c.id = q.customer_id
WHERE q.status = 'sent' AND q.valid_until IS NOT NULL
  AND q.valid_until >= ($1::timestamptz AT TIME ZONE o.timezone)::date
  AND q.valid_until <= ($1::timestamptz AT TIME ZONE o.timezone)::date + $2::int
  AND NOT c.is_test
  AND NOT EXISTS (SELECT 1 FROM opt_outs x WHERE x.org_id = c.org_id AND x.customer_id = c.id)
  AND NOT EXISTS (SELECT 1 FROM followups f
                  WHERE f.org_id = q.org_id AND f.dedupe_key = 'quote_expiry:' || q.id::text)
  AND ($3::uuid IS NULL OR q.org_id = $3)
ORDER BY q.valid_until
LIMIT $4
"""


async def sweep(
    conn: Connection,
    now: datetime,
    config: FollowupConfig,
    *,
    org_id: uuid.UUID | None = None,
) -> SweepResult:
    result = SweepResult()
    async with conn.transaction():
        expired = [r["id"] for r in await conn.fetch(_EXPIRE, now, org_id)]
        result.add("expired", len(expired))
        result.add("reminders_cancelled", await followups.cancel_for_quotations(conn, expired))
        # An expired quote's approval card can no longer send it.
        cards = await conn.execute(
            """
            UPDATE reply_suggestions s SET status = 'expired', reason = 'quotation expired'
            FROM quotations q
            WHERE q.id = ANY($1::uuid[]) AND s.id = q.suggestion_id AND s.org_id = q.org_id
              AND s.status IN ('pending', 'escalated')
            """,
            expired,
        )
        result.add("drafts_expired", int(cards.split()[-1]))
    rows = await conn.fetch(
        _NEAR_EXPIRY, now, config.quote_reminder_days, org_id, config.batch_size
    )
    for row in rows:
        start, end = config.quiet_hours_for(row["org_settings"])
        created = await followups.schedule(
            conn,
            org_id=row["org_id"],
            customer_id=row["customer_id"],
            conversation_id=row["conversation_id"],
            quotation_id=row["id"],
            due_at=next_allowed(
                now,
                zone(row["timezone"], country_zone(row["country"]), row["org_timezone"]),
                start,
                end,
            ),
            reason=REASON,
            dedupe_key=f"quote_expiry:{row['id']}",
        )
        result.add("reminders" if created else "exists")
    return result
