"""A small shop with a catalog and a customer who wrote on one channel, committed for real
(quotes are created in their own transactions) and deleted afterwards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from agents.quotes.service import QuoteService
from agents.quotes.terms import QuoteDefaults
from storage.db import transaction
from storage.models import User
from storage.repositories import conversations, customers, products, users
from tests.storage.factories import make_channel, make_org

DEFAULTS = QuoteDefaults(
    currency=None,
    rate_base="USD",
    rates={"USD": Decimal("1"), "CNY": Decimal("7.10"), "EUR": Decimal("0.92")},
    payment_terms="30% deposit, 70% before shipment",
    incoterm="FOB",
    incoterm_place="Ningbo",
    lead_time="25 days after deposit",
    validity_days=30,
)
CATALOG = [
    # sku, name, name_en, price, currency, moq, keywords
    ("SKU-1", "Steel bottle 500 ml", None, "2.10", "USD", 500, ["steel bottle"]),
    ("SKU-2", "Bamboo lid", None, "0.35", "USD", 100, []),
    ("TB-9", "保温杯", "Thermos cup", "15.00", "CNY", 200, ["botella térmica"]),
    ("NP-1", "Sample kit", None, None, "USD", None, []),
]


@dataclass
class Shop:
    org_id: uuid.UUID
    channel_id: uuid.UUID
    customer_id: uuid.UUID
    conversation_id: uuid.UUID
    user: User


async def make_shop(pool, *, platform: str = "telegram", language: str | None = None) -> Shop:
    async with transaction(pool) as conn:
        org = await make_org(conn)
        channel = await make_channel(conn, org, platform)
        match = await customers.upsert_by_identity(
            conn,
            org.id,
            channel.id,
            f"ext-{uuid.uuid4().hex[:8]}",
            display_name="Lucía García",
            language=language,
        )
        conversation = await conversations.upsert_active(
            conn, org.id, match.customer.id, channel.id, inbound_at=datetime.now(UTC)
        )
        user = await users.create(conn, org.id, f"agent{uuid.uuid4().hex[:6]}@shop.test", "agent")
        for sku, name, name_en, price, currency, moq, keywords in CATALOG:
            await products.upsert(
                conn,
                org.id,
                sku=sku,
                name=name,
                name_en=name_en,
                price=Decimal(price) if price else None,
                currency=currency,
                moq=moq,
                keywords=keywords,
            )
    return Shop(org.id, channel.id, match.customer.id, conversation.id, user)


@pytest.fixture
async def shop(pool):
    made = await make_shop(pool)
    yield made
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM organizations WHERE id = $1", made.org_id)


@pytest.fixture
def service(pool) -> QuoteService:
    return QuoteService(pool, DEFAULTS)
