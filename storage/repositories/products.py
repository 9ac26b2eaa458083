"""The merchant's catalog, as drafting and quoting read it (prices come from here only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..db import Connection
from ..errors import NotFound
from ..models import Row


class Product(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    sku: str
    name: str
    name_en: str | None
    description: str | None
    category: str | None
    price: Decimal | None
    currency: str
    moq: int | None
    unit: str
    lead_time_days: int | None
    specs: dict[str, Any]
    keywords: list[str]
    selling_points: list[str]
    is_active: bool
    created_at: datetime


async def upsert(
    conn: Connection,
    org_id: uuid.UUID,
    *,
    sku: str,
    name: str,
    price: Decimal | None,
    currency: str = "USD",
    name_en: str | None = None,
    description: str | None = None,
    moq: int | None = None,
    unit: str = "pcs",
    specs: dict[str, Any] | None = None,
    keywords: list[str] | None = None,
    selling_points: list[str] | None = None,
) -> Product:
    record = await conn.fetchrow(
        """
        INSERT INTO products (org_id, sku, name, name_en, description, price, currency, moq,
                              unit, specs, keywords, selling_points)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (org_id, sku) DO UPDATE SET
            name = EXCLUDED.name, name_en = EXCLUDED.name_en,
            description = EXCLUDED.description, price = EXCLUDED.price,
            currency = EXCLUDED.currency, moq = EXCLUDED.moq, unit = EXCLUDED.unit,
            specs = EXCLUDED.specs, keywords = EXCLUDED.keywords,
            selling_points = EXCLUDED.selling_points
        RETURNING *
        """,
        org_id,
        sku,
        name,
        name_en,
        description,
        price,
        currency,
        moq,
        unit,
        specs or {},
        keywords or [],
        selling_points or [],
    )
    return Product.from_record(record)


async def get_by_sku(conn: Connection, org_id: uuid.UUID, sku: str) -> Product:
    record = await conn.fetchrow(
        "SELECT * FROM products WHERE org_id = $1 AND lower(sku) = lower($2)", org_id, sku
    )
    if record is None:
        raise NotFound("product", sku)
    return Product.from_record(record)


async def active(conn: Connection, org_id: uuid.UUID, *, limit: int = 2000) -> list[Product]:
    """The org's active catalog (small shops: hundreds of rows; matched in Python)."""
    records = await conn.fetch(
        "SELECT * FROM products WHERE org_id = $1 AND is_active ORDER BY sku LIMIT $2",
        org_id,
        limit,
    )
    return [Product.from_record(r) for r in records]
