"""Numbered SQL migrations, applied once each, safely under concurrent start-ups.

Files in the migrations directory are named ``NNNN_description.sql``. Each pending file runs
in its own transaction together with the row that records it, so a failed migration leaves
no trace and can be fixed and re-run. A session-level advisory lock serialises concurrent
runners (two processes starting at once): the second waits, then finds nothing to do.

Every applied file's SHA-256 is recorded. If a file that was already applied changes, the
runner refuses to go on: the database would no longer match what the files say.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from .errors import ChecksumMismatch, MigrationError

log = logging.getLogger(__name__)

# Arbitrary but fixed: the advisory-lock key that all TradeMate migration runners share.
MIGRATION_LOCK_KEY = 0x7472_6164_656D  # "tradem"
_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms integer NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    checksum: str

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


@dataclass
class MigrationReport:
    applied: list[str] = field(default_factory=list)
    already_applied: list[str] = field(default_factory=list)


def load_migrations(directory: Path) -> list[Migration]:
    """Read and order the migration files; refuse badly named or duplicate versions."""
    if not directory.is_dir():
        raise MigrationError(f"migrations directory not found: {directory}")
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"bad migration file name {path.name!r}: use NNNN_name.sql")
        version = int(match["version"])
        if version in found:
            raise MigrationError(f"two migrations share version {version:04d}")
        # Normalise line endings so a Windows checkout doesn't look like an edit.
        sql = path.read_bytes().replace(b"\r\n", b"\n").decode("utf-8")
        checksum = hashlib.sha256(sql.encode("utf-8")).hexdigest()
        found[version] = Migration(version, match["name"], sql, checksum)
    return [found[v] for v in sorted(found)]


async def migrate(conn: asyncpg.Connection, directory: Path) -> MigrationReport:
    """Apply every pending migration in ``directory`` on ``conn``'s database."""
    migrations = load_migrations(directory)
    report = MigrationReport()
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        await conn.execute(_CREATE_LEDGER)
        rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
        applied = {row["version"]: row for row in rows}
        known = {m.version for m in migrations}
        unknown = sorted(set(applied) - known)
        if unknown:
            raise MigrationError(
                "the database has migrations this code does not know "
                f"({', '.join(f'{v:04d}' for v in unknown)}): run a newer TradeMate"
            )
        for migration in migrations:
            row = applied.get(migration.version)
            if row is not None:
                if row["checksum"] != migration.checksum:
                    raise ChecksumMismatch(migration.version, migration.name)
                report.already_applied.append(migration.label)
                continue
            await _apply(conn, migration)
            report.applied.append(migration.label)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    return report


async def _apply(conn: asyncpg.Connection, migration: Migration) -> None:
    started = time.perf_counter()
    try:
        async with conn.transaction():
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum, duration_ms)"
                " VALUES ($1, $2, $3, $4)",
                migration.version,
                migration.name,
                migration.checksum,
                int((time.perf_counter() - started) * 1000),
            )
    except asyncpg.PostgresError as err:
        raise MigrationError(f"migration {migration.label} failed: {err}") from err
    log.info("applied migration %s", migration.label)
