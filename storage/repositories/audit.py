"""The audit trail: who did what to which row, with before/after snapshots."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from ..db import Connection
from ..models import AuditEntry

ActorKind = Literal["user", "system", "api_key", "scheduler"]


async def record(
    conn: Connection,
    org_id: uuid.UUID,
    action: str,
    *,
    actor_kind: ActorKind,
    actor_user_id: uuid.UUID | None = None,
    entity_type: str | None = None,
    entity_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    row = await conn.fetchrow(
        """
        INSERT INTO audit_logs
            (org_id, actor_kind, actor_user_id, action, entity_type, entity_id, before, after,
             created_at)
        -- clock_timestamp, not now(): several entries in one transaction keep their order.
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, clock_timestamp())
        RETURNING *
        """,
        org_id,
        actor_kind,
        actor_user_id,
        action,
        entity_type,
        entity_id,
        before,
        after,
    )
    return AuditEntry.from_record(row)


async def for_entity(
    conn: Connection, org_id: uuid.UUID, entity_type: str, entity_id: uuid.UUID
) -> list[AuditEntry]:
    rows = await conn.fetch(
        """
        SELECT * FROM audit_logs
        WHERE org_id = $1 AND entity_type = $2 AND entity_id = $3
        ORDER BY created_at, id
        """,
        org_id,
        entity_type,
        entity_id,
    )
    return [AuditEntry.from_record(r) for r in rows]
