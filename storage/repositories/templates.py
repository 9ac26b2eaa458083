"""The merchant's own reply templates, which override the built-in ones by name."""

from __future__ import annotations

import uuid

from ..db import Connection


async def overrides(conn: Connection, org_id: uuid.UUID) -> dict[tuple[str, str], str]:
    """{(name, language): body} of the org's active reply templates (highest priority wins)."""
    records = await conn.fetch(
        """
        SELECT DISTINCT ON (name, language) name, language, body
        FROM response_templates
        WHERE org_id = $1 AND is_active
        ORDER BY name, language, priority DESC
        """,
        org_id,
    )
    return {(r["name"], r["language"]): r["body"] for r in records}
