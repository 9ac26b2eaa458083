"""Metered usage (LLM tokens and their cost) and the per-org daily LLM budget read from it.

``usage_logs`` is the one source of truth for spend: every process writes its rows there, so
the daily budget — a SUM over today's ``llm`` rows, indexed by (org_id, kind, created_at) — is
the same for every worker without a separate counter to keep in step. "Today" is the
organization's own calendar day (``organizations.timezone``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from ..db import Connection
from ..errors import NotFound
from ..models import Row

UsageKind = Literal["llm", "embedding", "translation", "transcription", "message", "other"]

# The key of organizations.quota that overrides the configured daily LLM budget.
DAILY_LLM_BUDGET_KEY = "daily_llm_budget_usd"


class UsageEntry(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    kind: UsageKind
    feature: str | None
    provider: str | None
    model: str | None
    prompt_tokens: int
    completion_tokens: int
    chars: int
    cost: Decimal
    currency: str
    cached: bool
    latency_ms: int | None
    entity_type: str | None
    entity_id: uuid.UUID | None
    metadata: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class DailyLLMSpend:
    """Today's LLM spend of one org and the budget its quota sets (None = not set there)."""

    spent_usd: Decimal
    quota_budget_usd: Decimal | None
    day_start: datetime
    # The quota holds a budget that is not a number >= 0 (ignored; the caller should warn).
    quota_budget_invalid: bool = False


async def record(
    conn: Connection,
    org_id: uuid.UUID,
    *,
    kind: UsageKind,
    feature: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    chars: int = 0,
    cost: Decimal = Decimal(0),
    cached: bool = False,
    latency_ms: int | None = None,
    entity_type: str | None = None,
    entity_id: uuid.UUID | None = None,
    metadata: dict[str, Any] | None = None,
) -> uuid.UUID:
    """Insert one usage row (cost in USD); return its id."""
    return await conn.fetchval(
        """
        INSERT INTO usage_logs
            (org_id, kind, feature, provider, model, prompt_tokens, completion_tokens, chars,
             cost, cached, latency_ms, entity_type, entity_id, metadata)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        RETURNING id
        """,
        org_id,
        kind,
        feature,
        provider,
        model,
        prompt_tokens,
        completion_tokens,
        chars,
        cost,
        cached,
        latency_ms,
        entity_type,
        entity_id,
        metadata or {},
    )


async def daily_llm_spend(conn: Connection, org_id: uuid.UUID) -> DailyLLMSpend:
    """Today's (org-local) LLM cost in USD and the org's own budget from its quota."""
    record = await conn.fetchrow(
        """
        WITH day AS (
            SELECT o.id, o.quota,
                   date_trunc('day', now() AT TIME ZONE o.timezone) AT TIME ZONE o.timezone
                       AS day_start
            FROM organizations o
            WHERE o.id = $1
        )
        SELECT day.day_start,
               day.quota ->> $2 AS quota_budget,
               (SELECT COALESCE(sum(u.cost), 0)
                FROM usage_logs u
                WHERE u.org_id = day.id AND u.kind = 'llm' AND u.currency = 'USD'
                  AND u.created_at >= day.day_start) AS spent
        FROM day
        """,
        org_id,
        DAILY_LLM_BUDGET_KEY,
    )
    if record is None:
        raise NotFound("organization", org_id)
    budget = _budget(record["quota_budget"])
    return DailyLLMSpend(
        spent_usd=record["spent"],
        quota_budget_usd=budget,
        day_start=record["day_start"],
        quota_budget_invalid=record["quota_budget"] is not None and budget is None,
    )


async def for_org(
    conn: Connection, org_id: uuid.UUID, *, kind: UsageKind | None = None, limit: int = 100
) -> list[UsageEntry]:
    """The org's most recent usage rows, newest first."""
    records = await conn.fetch(
        """
        SELECT * FROM usage_logs
        WHERE org_id = $1 AND ($2::text IS NULL OR kind = $2)
        ORDER BY created_at DESC, id
        LIMIT $3
        """,
        org_id,
        kind,
        limit,
    )
    return [UsageEntry.from_record(r) for r in records]


def _budget(value: str | None) -> Decimal | None:
    # A malformed quota value counts as "not set" (flagged, for the caller to warn about)
    # rather than failing every LLM call of the org.
    if value is None:
        return None
    try:
        budget = Decimal(value)
    except InvalidOperation:
        return None
    return budget if budget.is_finite() and budget >= 0 else None
