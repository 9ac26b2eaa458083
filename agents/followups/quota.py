"""Monthly quota reset: open each org's new period in ``org_quota_usage``.

Usage is counted per period (``period_start`` = first day of the org's local month), so the
reset is a new set of rows at zero — the old month stays as history. The sweep inserts the
current month's rows for every monthly metric the org's quota names (``monthly_*`` keys) or
that it counted before, with ON CONFLICT DO NOTHING: running it hourly, late, or from several
instances opens each period once and never zeroes a month already being counted.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from storage.db import Connection

from .config import FollowupConfig, SweepResult

_OPEN_PERIOD = r"""
WITH periods AS (
    SELECT o.id AS org_id, o.quota,
           date_trunc('month', $1::timestamptz AT TIME ZONE o.timezone)::date AS period_start
    FROM organizations o
    WHERE $2::uuid IS NULL OR o.id = $2
)
INSERT INTO org_quota_usage (org_id, period_start, metric, used)
SELECT p.org_id, p.period_start, k.metric, 0
FROM periods p
CROSS JOIN LATERAL (
    SELECT key AS metric FROM jsonb_object_keys(p.quota) AS key WHERE key LIKE 'monthly\_%'
    UNION
    SELECT u.metric FROM org_quota_usage u
    WHERE u.org_id = p.org_id AND u.period_start < p.period_start
) k
ON CONFLICT (org_id, period_start, metric) DO NOTHING
RETURNING org_id
"""


async def sweep(
    conn: Connection,
    now: datetime,
    config: FollowupConfig,
    *,
    org_id: uuid.UUID | None = None,
) -> SweepResult:
    result = SweepResult()
    opened = await conn.fetch(_OPEN_PERIOD, now, org_id)
    result.add("opened", len(opened))
    result.add("orgs", len({r["org_id"] for r in opened}))
    return result
