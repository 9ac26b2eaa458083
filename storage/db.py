"""The asyncpg connection pool and the transaction helper.

Repositories take a connection (``asyncpg.Connection``) as their first argument and never
open transactions themselves: the service that calls them decides where one begins and ends.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from .errors import Conflict, StorageError

Connection = asyncpg.Connection
Pool = asyncpg.Pool


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns come back as Python objects and take them on the way in.
    for typename in ("jsonb", "json"):
        await conn.set_type_codec(typename, encoder=_dumps, decoder=json.loads, schema="pg_catalog")


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def create_pool(
    url: str, *, min_size: int = 1, max_size: int = 10, command_timeout: float = 30.0
) -> asyncpg.Pool:
    """Open a pool; raise :class:`StorageError` naming the database when it can't connect."""
    try:
        return await asyncpg.create_pool(
            url,
            min_size=min_size,
            max_size=max_size,
            command_timeout=command_timeout,
            init=_init_connection,
        )
    except (OSError, asyncpg.PostgresError) as err:
        raise StorageError(f"cannot connect to PostgreSQL at {redact_url(url)}: {err}") from err


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """Borrow a connection and run the block in one transaction (commit, or roll back on error)."""
    async with pool.acquire() as conn, conn.transaction():
        yield conn


def redact_url(url: str) -> str:
    """The URL with any password replaced, for log lines and error messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


@asynccontextmanager
async def conflict_as(conn: asyncpg.Connection, message: str) -> AsyncIterator[None]:
    """Run the block in a savepoint; a unique violation becomes :class:`Conflict`.

    The savepoint keeps the caller's transaction usable after the collision, so a service
    can report the conflict and carry on.
    """
    try:
        async with conn.transaction():
            yield
    except asyncpg.UniqueViolationError as err:
        raise Conflict(message) from err
