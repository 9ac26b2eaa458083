"""Opening and closing the shared resources every role needs, in one place.

``open_services`` is the composition root's lifecycle: it starts embedded servers when no
URLs are configured (configured URLs always win), opens the PostgreSQL pool, Redis and
(when asked) Qdrant, and closes everything in reverse order through one AsyncExitStack.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import redis.asyncio as aioredis

from storage.crypto import SecretBox, generate_key
from storage.db import create_pool, redact_url
from storage.embedded import EmbeddedPostgres, EmbeddedRedis
from storage.migrations import MigrationReport, migrate
from storage.redis_client import Keys, open_redis
from storage.vectors import VectorStore, make_qdrant_client

from .settings import PROJECT_ROOT, ConfigError, Settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
GENERATED_KEY_FILE = "secret.key"


@dataclass
class Services:
    """Handles shared by the web, worker and scheduler roles of one process."""

    settings: Settings
    pool: asyncpg.Pool
    redis: aioredis.Redis
    keys: Keys
    secrets: SecretBox
    database_url: str
    redis_url: str
    vectors: VectorStore | None = None

    def require_vectors(self) -> VectorStore:
        if self.vectors is None:
            raise RuntimeError("this command was started without the vector store")
        return self.vectors


@asynccontextmanager
async def open_services(
    settings: Settings, *, with_vectors: bool = False, run_migrations: bool = False
) -> AsyncIterator[Services]:
    """Open everything; ``with_vectors`` also opens Qdrant (local mode allows one process).

    Qdrant is opt-in because its local mode locks its directory: short CLI commands such as
    ``org create`` must keep working while ``serve`` holds that lock.
    """
    secret_box = SecretBox(resolve_encryption_key(settings))
    async with AsyncExitStack() as stack:
        database_url = settings.database.url
        if database_url is None:
            embedded_pg = EmbeddedPostgres(settings.data_dir / "postgres")
            database_url = await embedded_pg.start()
            stack.push_async_callback(embedded_pg.aclose)
            log.info("database.url not set: using embedded PostgreSQL under %s", settings.data_dir)
        redis_url = settings.redis.url
        if redis_url is None:
            embedded_redis = EmbeddedRedis(settings.data_dir / "redis")
            redis_url = await embedded_redis.start()
            stack.push_async_callback(embedded_redis.aclose)
            log.info("redis.url not set: using embedded Valkey under %s", settings.data_dir)

        pool = await create_pool(
            database_url,
            min_size=settings.database.pool_min,
            max_size=settings.database.pool_max,
            command_timeout=settings.database.command_timeout,
        )
        stack.push_async_callback(pool.close)
        log.info("PostgreSQL pool open (%s)", redact_url(database_url))
        if run_migrations:
            await apply_migrations(pool)

        redis = await open_redis(redis_url)
        stack.push_async_callback(redis.aclose)

        vectors = None
        if with_vectors:
            vectors = await _open_vectors(settings)
            stack.push_async_callback(vectors.aclose)

        yield Services(
            settings=settings,
            pool=pool,
            redis=redis,
            keys=Keys(settings.redis.namespace),
            secrets=secret_box,
            database_url=database_url,
            redis_url=redis_url,
            vectors=vectors,
        )


async def apply_migrations(pool: asyncpg.Pool) -> MigrationReport:
    async with pool.acquire() as conn:
        report = await migrate(conn, MIGRATIONS_DIR)
    if report.applied:
        log.info("applied %d migration(s): %s", len(report.applied), ", ".join(report.applied))
    else:
        log.info("schema up to date (%d migrations)", len(report.already_applied))
    return report


async def _open_vectors(settings: Settings) -> VectorStore:
    api_key = settings.qdrant.api_key.get_secret_value() if settings.qdrant.api_key else None
    local_path = None if settings.qdrant.url else settings.data_dir / "qdrant"
    if local_path is not None:
        log.info("qdrant.url not set: using Qdrant local mode under %s", local_path)
    client = make_qdrant_client(url=settings.qdrant.url, api_key=api_key, path=local_path)
    store = VectorStore(
        client, dense_size=settings.qdrant.dense_size, prefix=settings.qdrant.collection_prefix
    )
    await store.ensure_collections()
    return store


def resolve_encryption_key(settings: Settings) -> str:
    """The configured key; in development, a generated one kept under the data directory."""
    if settings.security.encryption_key is not None:
        return settings.security.encryption_key.get_secret_value()
    if settings.app.env == "production":
        raise ConfigError(
            "security.encryption_key is required in production "
            "(set TRADEMATE__SECURITY__ENCRYPTION_KEY; `trademate keygen` makes one)"
        )
    return _generated_key(settings.data_dir / GENERATED_KEY_FILE)


def _generated_key(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    try:
        # link() fails if the name exists: when two processes start at once, exactly one
        # key wins and the other process reads it, never a half-written file.
        os.link(draft, path)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    finally:
        draft.unlink()
    log.warning(
        "no encryption key configured: generated one at %s (set "
        "TRADEMATE__SECURITY__ENCRYPTION_KEY in production)",
        path,
    )
    return key
