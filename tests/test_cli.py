"""The ``trademate`` command, run as a user would: a subprocess with environment settings."""

from __future__ import annotations

import os
import uuid

import asyncpg
import pytest

from tests.conftest import trademate

pytestmark = pytest.mark.slow


async def test_migrate_then_migrate_again_is_a_noop(cli_env):
    first = trademate(cli_env, "migrate")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied ")
    second = trademate(cli_env, "migrate")
    assert second.returncode == 0, second.stderr
    assert "schema up to date" in second.stdout


async def test_org_create_prints_an_id_and_user_add_uses_it(cli_env):
    assert trademate(cli_env, "migrate").returncode == 0
    created = trademate(
        cli_env, "org", "create", "Costa Export S.L.", "--timezone", "Europe/Madrid"
    )
    assert created.returncode == 0, created.stderr
    org_id = uuid.UUID(created.stdout.strip())  # stdout is exactly the id

    added = trademate(
        cli_env, "user", "add", "--org", str(org_id), "ana@costa.es", "--role", "owner"
    )
    assert added.returncode == 0, added.stderr
    user_id = uuid.UUID(added.stdout.strip())
    assert "initial password:" in added.stderr

    by_slug = trademate(cli_env, "user", "add", "--org", "costa-export-s-l", "bo@costa.es")
    assert by_slug.returncode == 0, by_slug.stderr

    conn = await asyncpg.connect(cli_env["DATABASE_URL"])
    try:
        row = await conn.fetchrow(
            "SELECT org_id, role, password_hash FROM users WHERE id = $1", user_id
        )
        actions = await conn.fetch("SELECT action FROM audit_logs WHERE org_id = $1", org_id)
    finally:
        await conn.close()
    assert row["org_id"] == org_id and row["role"] == "owner"
    assert row["password_hash"].startswith("scrypt$")
    assert {"organization.created", "user.created"} <= {a["action"] for a in actions}


async def test_clear_errors_and_exit_codes(cli_env):
    assert trademate(cli_env, "migrate").returncode == 0
    unknown = trademate(cli_env, "user", "add", "--org", "no-such-org", "a@b.co")
    assert unknown.returncode == 1
    assert "organization not found: no-such-org" in unknown.stderr

    bad_role = trademate(cli_env, "user", "add", "--org", "x", "a@b.co", "--role", "god")
    assert bad_role.returncode == 2

    bad_config = trademate({**cli_env, "TRADEMATE__SERVER__PORT": "eighty"}, "migrate")
    assert bad_config.returncode == 1
    assert "server.port" in bad_config.stderr


def test_help_explains_every_command():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEMATE")}
    out = trademate(env, "--help").stdout
    for command in ("migrate", "serve", "org", "user", "demo", "keygen"):
        assert command in out
    serve_help = trademate(env, "serve", "--help").stdout
    for flag in ("--role", "--host", "--port"):
        assert flag in serve_help


async def test_an_unmigrated_database_gets_a_hint_not_a_traceback(cli_env):
    listed = trademate(cli_env, "org", "list")
    assert listed.returncode == 1
    assert "run `trademate migrate`" in listed.stderr
    assert "Traceback" not in listed.stderr
