"""Daily stats: one ``daily_stats`` row per org per local day.

The figures are :func:`storage.repositories.stats.figures` over the org's calendar day — the
same definitions ``/stats`` shows for today (its docstring says what each one counts; sandbox
traffic never counts).

The sweep recomputes today and yesterday (the org's calendar) and upserts, so running it
often, late or from several instances at once gives the same rows.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from storage.db import Connection
from storage.repositories import stats

from .config import FollowupConfig, SweepResult
from .quiet_hours import zone

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
    """The figures of one org's local day, as stored in ``daily_stats.metrics``."""
    start, end = day_bounds(day, tz_name)
    return (await stats.figures(conn, org_id, start, end)).as_metrics()


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
