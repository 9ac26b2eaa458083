"""Prompt versions: which text each named prompt had, so a draft can say what made it.

Rows with ``org_id`` NULL are the templates shipped in ``prompts/``; an org's override of a
prompt would carry its ``org_id``. (name, version) is unique per org (NULLs not distinct).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ..db import Connection
from ..errors import NotFound
from ..models import Row


class PromptVersion(Row):
    id: uuid.UUID
    org_id: uuid.UUID | None
    name: str
    version: str
    template: str
    content_hash: str
    model: str | None
    params: dict[str, Any]
    description: str | None
    is_active: bool
    created_at: datetime


async def ensure(
    conn: Connection,
    *,
    name: str,
    version: str,
    template: str,
    content_hash: str,
    description: str | None = None,
    params: dict[str, Any] | None = None,
    org_id: uuid.UUID | None = None,
) -> PromptVersion:
    """Insert this version unless (org, name, version) exists; return the stored row.

    The stored row wins: compare its ``content_hash`` to see whether the text changed.
    """
    record = await conn.fetchrow(
        """
        INSERT INTO llm_prompt_versions
            (org_id, name, version, template, content_hash, description, params)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT ON CONSTRAINT llm_prompt_versions_org_name_version_key DO NOTHING
        RETURNING *
        """,
        org_id,
        name,
        version,
        template,
        content_hash,
        description,
        params or {},
    )
    if record is None:
        return await get(conn, name, version, org_id=org_id)
    return PromptVersion.from_record(record)


async def get(
    conn: Connection, name: str, version: str, *, org_id: uuid.UUID | None = None
) -> PromptVersion:
    """One version of a prompt (the shipped one when ``org_id`` is None)."""
    record = await conn.fetchrow(
        """
        SELECT * FROM llm_prompt_versions
        WHERE org_id IS NOT DISTINCT FROM $1 AND name = $2 AND version = $3
        """,
        org_id,
        name,
        version,
    )
    if record is None:
        raise NotFound("prompt version", f"{name} v{version}")
    return PromptVersion.from_record(record)


async def list_for(
    conn: Connection, name: str, *, org_id: uuid.UUID | None = None
) -> list[PromptVersion]:
    """Every registered version of one prompt, oldest first."""
    records = await conn.fetch(
        """
        SELECT * FROM llm_prompt_versions
        WHERE org_id IS NOT DISTINCT FROM $1 AND name = $2
        ORDER BY created_at, version
        """,
        org_id,
        name,
    )
    return [PromptVersion.from_record(r) for r in records]
