"""The embedded servers a fresh machine runs on: start, use, reuse, stop.

These run even when CI points the rest of the suite at the machine's servers, so the
zero-configuration path is always exercised.
"""

from __future__ import annotations

import asyncpg
import pytest
import redis.asyncio as aioredis

from bot.services import MIGRATIONS_DIR
from storage.embedded import EmbeddedPostgres, EmbeddedRedis
from storage.migrations import migrate

pytestmark = pytest.mark.slow


async def test_embedded_postgres_runs_the_schema_and_keeps_data(tmp_path):
    server = EmbeddedPostgres(tmp_path / "postgres")
    url = await server.start()
    try:
        conn = await asyncpg.connect(url)
        try:
            report = await migrate(conn, MIGRATIONS_DIR)
            assert report.applied
            await conn.execute("INSERT INTO organizations (name, slug) VALUES ('Kept', 'kept')")
        finally:
            await conn.close()
    finally:
        await server.aclose()

    restarted = EmbeddedPostgres(tmp_path / "postgres")
    url = await restarted.start()
    try:
        conn = await asyncpg.connect(url)
        try:
            assert (
                await conn.fetchval("SELECT name FROM organizations WHERE slug = 'kept'") == "Kept"
            )
            assert (await migrate(conn, MIGRATIONS_DIR)).applied == []
        finally:
            await conn.close()
    finally:
        await restarted.aclose()


async def test_embedded_redis_starts_is_reused_and_persists(tmp_path):
    first = EmbeddedRedis(tmp_path / "redis")
    url = await first.start()
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        await client.set("k", "v")
        second = EmbeddedRedis(tmp_path / "redis")
        assert await second.start() == url  # a second process reuses the running server
        await second.aclose()  # ...and closing it leaves the owner's server running
        assert await client.get("k") == "v"
    finally:
        await client.aclose()
        await first.aclose()

    restarted = EmbeddedRedis(tmp_path / "redis")
    url = await restarted.start()
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        assert await client.get("k") == "v"  # append-only file kept it
    finally:
        await client.aclose()
        await restarted.aclose()
