"""Fixtures for the content studio: a committed org with a small catalog, and the studio.

The studio takes its own connections from the pool, so the org and its products are
committed; the org is deleted afterwards (cascading to everything the test made).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import asyncpg
import pytest

from agents.content.config import ContentConfig
from agents.content.studio import Studio
from agents.quotes.pricing import Rates
from storage.repositories import organizations, products

RATES = Rates(
    "USD",
    {
        "USD": Decimal("1"),
        "EUR": Decimal("0.92"),
        "BRL": Decimal("5.40"),
        "CNY": Decimal("7.10"),
        "MXN": Decimal("17.0"),
    },
)


@pytest.fixture
async def org_id(pool: asyncpg.Pool) -> AsyncIterator[uuid.UUID]:
    async with pool.acquire() as conn:
        org = await organizations.create(conn, f"Content Shop {uuid.uuid4().hex[:6]}")
        await products.upsert(
            conn,
            org.id,
            sku="BTL-500",
            name="AquaFlask 500",
            price=Decimal("12.50"),
            moq=100,
            specs={"capacity": "500 ml", "material": "304 stainless steel"},
            keywords=["water bottle", "insulated"],
            selling_points=["Keeps drinks cold for 24 hours", "Leak-proof lid"],
        )
        await conn.execute(
            "UPDATE products SET category = 'water bottle' WHERE org_id = $1", org.id
        )
        # A product with no price published.
        await products.upsert(
            conn,
            org.id,
            sku="MUG-1",
            name="Terra Mug",
            price=None,
            specs={"volume": "350 ml"},
            selling_points=["Hand-glazed stoneware"],
            keywords=["mug"],
        )
    try:
        yield org.id
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)


def config(**overrides) -> ContentConfig:
    values = {"rates": RATES, "markets": ("US", "DE", "BR", "CN")} | overrides
    return ContentConfig(**values)


@pytest.fixture
def studio(pool: asyncpg.Pool) -> Studio:
    return Studio(pool, config())
