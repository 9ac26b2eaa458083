"""The suppression list: customers who asked for no more messages (STOP, 退订, BAJA, ...)."""

from __future__ import annotations

import uuid

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
