"""The suppression list: customers who asked for no more messages (STOP, 退订, BAJA, ...)."""

from __future__ import annotations

import uuid
from typing import Any

from ..db import Connection


async def record(
    conn: Connection,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    *,
    keyword: str | None,
    source: str = "keyword",
    channel_id: uuid.UUID | None = None,
    reason: str | None = None,
    created_by: uuid.UUID | None = None,
) -> bool:
    """Opt the customer out; True when newly recorded (a repeat STOP changes nothing)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO opt_outs (org_id, customer_id, channel_id, keyword, source, reason,
                              created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (org_id, customer_id) DO NOTHING
        RETURNING id
        """,
        org_id,
        customer_id,
        channel_id,
        keyword,
        source,
        reason,
        created_by,
    )
    return inserted is not None


async def is_opted_out(conn: Connection, org_id: uuid.UUID, customer_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM opt_outs WHERE org_id = $1 AND customer_id = $2)",
            org_id,
            customer_id,
        )
    )


# Opt-outs the customer made themselves (a keyword, or the platform relaying their STOP): their
# own START lifts these; one set by staff, an import or the API stays until a person lifts it.
CUSTOMER_SOURCES = ("keyword", "platform")


async def lift(
    conn: Connection,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    *,
    sources: tuple[str, ...] = CUSTOMER_SOURCES,
) -> dict[str, Any] | None:
    """Remove the customer's opt-out when one of ``sources`` set it; the removed row (for the
    audit trail), or None when there was none to lift."""
    row = await conn.fetchrow(
        """
        DELETE FROM opt_outs
        WHERE org_id = $1 AND customer_id = $2 AND source = ANY($3::text[])
        RETURNING id, keyword, source, channel_id, reason, created_at
        """,
        org_id,
        customer_id,
        list(sources),
    )
    return None if row is None else dict(row)


async def source_of(conn: Connection, org_id: uuid.UUID, customer_id: uuid.UUID) -> str | None:
    """How the customer's opt-out was set ('keyword', 'staff', ...), or None when not opted out."""
    return await conn.fetchval(
        "SELECT source FROM opt_outs WHERE org_id = $1 AND customer_id = $2",
        org_id,
        customer_id,
    )
