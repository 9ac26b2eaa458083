"""Fixtures for the LLM gateway: committed orgs, the fake OpenAI server, gateway builders.

The gateway takes its own connections from the pool, so the org it writes usage for must be
committed (the ``conn`` fixture's rolled-back transaction would hide it); ``org_id`` creates
one per test and deletes it afterwards, which cascades to its usage rows.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis

from agents.llm import LLMConfig, LLMGateway, ModelPrice
from storage.redis_client import Keys
from storage.repositories import organizations, usage
from tests.fakes.openai_api import DEFAULT_API_KEY, FakeOpenAI

MAIN_PRICE = ModelPrice(Decimal("0.5"), Decimal("1.5"))
CHEAP_PRICE = ModelPrice(Decimal("0.05"), Decimal("0.1"))


async def create_org(pool: asyncpg.Pool, **quota: Any) -> uuid.UUID:
    async with pool.acquire() as conn:
        org = await organizations.create(conn, f"LLM Shop {uuid.uuid4().hex[:6]}")
        if quota:
            await conn.execute("UPDATE organizations SET quota = $2 WHERE id = $1", org.id, quota)
        return org.id


async def usage_rows(pool: asyncpg.Pool, org_id: uuid.UUID) -> list[usage.UsageEntry]:
    """The org's usage rows, oldest first."""
    async with pool.acquire() as conn:
        return list(reversed(await usage.for_org(conn, org_id)))


@pytest.fixture
async def org_id(pool: asyncpg.Pool) -> AsyncIterator[uuid.UUID]:
    created = await create_org(pool)
    try:
        yield created
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", created)


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


def openai_config(fake: FakeOpenAI, **overrides: Any) -> LLMConfig:
    """A config pointing the real langchain-openai client at the fake server."""
    values: dict[str, Any] = {
        "provider": "openai",
        "model": "qwen-plus",
        "base_url": fake.v1_url,
        "api_key": DEFAULT_API_KEY,
        "timeout_seconds": 5.0,
        "temperature": 0.2,
        "max_tokens": 400,
        "prices": {"qwen-plus": MAIN_PRICE, "qwen-turbo": CHEAP_PRICE},
        "cache_ttl_seconds": 300,
    }
    values.update(overrides)
    return LLMConfig(**values)


@pytest.fixture
def make_gateway(
    pool: asyncpg.Pool, redis: aioredis.Redis, keys: Keys
) -> Callable[..., LLMGateway]:
    def build(config: LLMConfig, **kwargs: Any) -> LLMGateway:
        return LLMGateway(config, pool, redis, keys, **kwargs)

    return build
