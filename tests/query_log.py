"""Counting the SQL a piece of code runs on one connection (asyncpg's query logger), for
tests that pin "one query, not one per row"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg


@asynccontextmanager
async def logged_queries(conn: asyncpg.Connection) -> AsyncIterator[list[str]]:
    """The text of every query ``conn`` runs inside the block, in order."""
    seen: list[str] = []

    def log(record) -> None:
        seen.append(record.query)

    conn.add_query_logger(log)
    try:
        yield seen
        await asyncio.sleep(0)  # asyncpg calls the logger soon after each query
    finally:
        conn.remove_query_logger(log)
