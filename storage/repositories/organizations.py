"""Organizations: one merchant each, the root of every tenant row."""

from __future__ import annotations

import re
import unicodedata
import uuid

from ..db import Connection
from ..errors import NotFound
from ..models import Organization, Plan

_MAX_SLUG_TRIES = 50


def slugify(name: str) -> str:
    """A URL-safe slug; names with no Latin letters (e.g. Chinese) get ``org-<hex>``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:48]
    return slug or f"org-{uuid.uuid4().hex[:8]}"


async def create(
    conn: Connection,
    name: str,
    *,
    plan: Plan = "free",
    timezone: str = "UTC",
    default_language: str = "en",
    settings: dict | None = None,
) -> Organization:
    """Create an organization; the slug is derived from the name and made unique."""
    base = slugify(name)
    for attempt in range(_MAX_SLUG_TRIES):
        slug = base if attempt == 0 else f"{base}-{attempt + 1}"
        record = await conn.fetchrow(
            """
            INSERT INTO organizations (name, slug, plan, timezone, default_language, settings)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (slug) DO NOTHING
            RETURNING *
            """,
            name,
            slug,
            plan,
            timezone,
            default_language,
            settings or {},
        )
        if record is not None:
            return Organization.from_record(record)
    raise NotFound("free slug", base)  # pragma: no cover - 50 orgs with one name


async def get(conn: Connection, org_id: uuid.UUID) -> Organization:
    record = await conn.fetchrow("SELECT * FROM organizations WHERE id = $1", org_id)
    if record is None:
        raise NotFound("organization", org_id)
    return Organization.from_record(record)


async def resolve(conn: Connection, ref: str) -> Organization:
    """Find an organization by id or by slug (what the CLI's ``--org`` accepts)."""
    try:
        org_id = uuid.UUID(ref)
    except ValueError:
        record = await conn.fetchrow("SELECT * FROM organizations WHERE slug = $1", ref)
        if record is None:
            raise NotFound("organization", ref) from None
        return Organization.from_record(record)
    return await get(conn, org_id)


async def list_all(conn: Connection) -> list[Organization]:
    records = await conn.fetch("SELECT * FROM organizations ORDER BY created_at, name")
    return [Organization.from_record(r) for r in records]


async def update_settings(conn: Connection, org_id: uuid.UUID, changes: dict) -> Organization:
    """Merge ``changes`` into the org's settings (jsonb ``||``), returning the new row."""
    record = await conn.fetchrow(
        "UPDATE organizations SET settings = settings || $2 WHERE id = $1 RETURNING *",
        org_id,
        changes,
    )
    if record is None:
        raise NotFound("organization", org_id)
    return Organization.from_record(record)
