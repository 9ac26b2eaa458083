"""The migration runner on fresh databases: whole schema, idempotence, checksums, races."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest

from bot.services import MIGRATIONS_DIR
from storage.errors import ChecksumMismatch, MigrationError
from storage.migrations import load_migrations, migrate

# Every table issue #2 names; the schema may hold more, never fewer.
REQUIRED_TABLES = [
    "organizations",
    "users",
    "teams",
    "api_keys",
    "usage_logs",
    "audit_logs",
    "notifications",
    "system_configs",
    "channels",
    "customers",
    "customer_identities",
    "customer_contacts",
    "tags",
    "customer_tags",
    "customer_activities",
    "leads",
    "lead_activities",
    "deals",
    "hot_leads",
    "conversations",
    "messages",
    "reply_suggestions",
    "message_classifications",
    "knowledge_bases",
    "documents",
    "document_chunks",
    "faqs",
    "response_templates",
    "corpus_entries",
    "memories",
    "products",
    "quotations",
    "quotation_items",
    "followups",
    "campaigns",
    "campaign_executions",
    "workflows",
    "workflow_executions",
    "opt_outs",
    "jobs",
    "hooks",
    "hook_templates",
    "content_pieces",
    "script_scenes",
    "llm_prompt_versions",
    "cultural_params",
    "glossary_terms",
    "webhook_rejects",
]


async def _tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    return {row["table_name"] for row in rows}


async def test_fresh_database_gets_the_whole_schema_and_a_second_run_is_a_noop(databases):
    conn = await asyncpg.connect(await databases.create("mig"))
    try:
        first = await migrate(conn, MIGRATIONS_DIR)
        assert first.applied == [m.label for m in load_migrations(MIGRATIONS_DIR)]
        tables = await _tables(conn)
        missing = sorted(set(REQUIRED_TABLES) - tables)
        assert not missing, f"schema lacks {missing}"
        assert "schema_migrations" in tables

        second = await migrate(conn, MIGRATIONS_DIR)
        assert second.applied == []
        assert second.already_applied == first.applied
        count = await conn.fetchval("SELECT count(*) FROM schema_migrations")
        assert count == len(first.applied)
    finally:
        await conn.close()


async def test_every_tenant_table_carries_org_id(database_url):
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            """
            SELECT t.table_name FROM information_schema.tables t
            WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
              AND t.table_name NOT IN ('organizations', 'schema_migrations', 'system_configs',
                                       'webhook_rejects')
              AND NOT EXISTS (
                SELECT 1 FROM information_schema.columns c
                WHERE c.table_schema = 'public' AND c.table_name = t.table_name
                  AND c.column_name = 'org_id')
            """
        )
    finally:
        await conn.close()
    assert [r["table_name"] for r in rows] == []


def _copy_migrations(tmp_path: Path) -> Path:
    target = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, target)
    return target


async def test_an_edited_applied_migration_is_refused(databases, tmp_path):
    directory = _copy_migrations(tmp_path)
    conn = await asyncpg.connect(await databases.create("mig"))
    try:
        await migrate(conn, directory)
        first = sorted(directory.glob("*.sql"))[0]
        first.write_text(first.read_text() + "\n-- a quiet edit\n")
        with pytest.raises(ChecksumMismatch, match=first.stem):
            await migrate(conn, directory)
    finally:
        await conn.close()


async def test_line_endings_alone_do_not_count_as_an_edit(databases, tmp_path):
    directory = _copy_migrations(tmp_path)
    conn = await asyncpg.connect(await databases.create("mig"))
    try:
        await migrate(conn, directory)
        for path in directory.glob("*.sql"):
            path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
        assert (await migrate(conn, directory)).applied == []
    finally:
        await conn.close()


async def test_concurrent_runners_apply_each_migration_once(databases):
    url = await databases.create("mig")
    conns = [await asyncpg.connect(url) for _ in range(3)]
    try:
        reports = await asyncio.gather(*(migrate(c, MIGRATIONS_DIR) for c in conns))
        applied = [label for report in reports for label in report.applied]
        expected = [m.label for m in load_migrations(MIGRATIONS_DIR)]
        assert sorted(applied) == sorted(expected)  # each exactly once, across all runners
        assert await conns[0].fetchval("SELECT count(*) FROM schema_migrations") == len(expected)
    finally:
        for c in conns:
            await c.close()


async def test_a_failing_migration_leaves_no_trace_and_can_be_fixed(databases, tmp_path):
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "0001_ok.sql").write_text("CREATE TABLE a (id int);")
    bad = directory / "0002_bad.sql"
    bad.write_text("CREATE TABLE b (id int); SELECT no_such_function();")
    conn = await asyncpg.connect(await databases.create("mig"))
    try:
        with pytest.raises(MigrationError, match="0002_bad"):
            await migrate(conn, directory)
        assert await conn.fetchval("SELECT to_regclass('b')") is None  # rolled back
        bad.write_text("CREATE TABLE b (id int);")
        report = await migrate(conn, directory)
        assert report.applied == ["0002_bad"]
        assert report.already_applied == ["0001_ok"]
    finally:
        await conn.close()


async def test_database_ahead_of_the_code_is_refused(databases, tmp_path):
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "0001_ok.sql").write_text("CREATE TABLE a (id int);")
    (directory / "0002_more.sql").write_text("CREATE TABLE b (id int);")
    conn = await asyncpg.connect(await databases.create("mig"))
    try:
        await migrate(conn, directory)
        (directory / "0002_more.sql").unlink()
        with pytest.raises(MigrationError, match="does not know"):
            await migrate(conn, directory)
    finally:
        await conn.close()


@pytest.mark.parametrize("name", ["1_short.sql", "0001-dash.sql", "0001_UPPER.sql"])
def test_badly_named_files_are_refused(tmp_path, name):
    (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="bad migration file name"):
        load_migrations(tmp_path)


def test_duplicate_versions_are_refused(tmp_path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="share version 0001"):
        load_migrations(tmp_path)
