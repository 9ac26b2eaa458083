"""Staff accounts of an organization (owners, admins, agents, read-only)."""

from __future__ import annotations

import uuid

from ..db import Connection, conflict_as
from ..errors import NotFound
from ..models import Role, User


async def create(
    conn: Connection,
    org_id: uuid.UUID,
    email: str,
    role: Role,
    *,
    password_hash: str | None = None,
    display_name: str | None = None,
) -> User:
    async with conflict_as(conn, f"a user with e-mail {email} already exists in this organization"):
        record = await conn.fetchrow(
            """
            INSERT INTO users (org_id, email, role, password_hash, display_name)
            VALUES ($1, $2, $3, $4, $5)
            RETURNING *
            """,
            org_id,
            email.strip(),
            role,
            password_hash,
            display_name,
        )
    return User.from_record(record)


async def get(conn: Connection, org_id: uuid.UUID, user_id: uuid.UUID) -> User:
    record = await conn.fetchrow(
        "SELECT * FROM users WHERE org_id = $1 AND id = $2", org_id, user_id
    )
    if record is None:
        raise NotFound("user", user_id)
    return User.from_record(record)


async def get_by_email(conn: Connection, org_id: uuid.UUID, email: str) -> User:
    record = await conn.fetchrow(
        "SELECT * FROM users WHERE org_id = $1 AND lower(email) = lower($2)",
        org_id,
        email.strip(),
    )
    if record is None:
        raise NotFound("user", email)
    return User.from_record(record)


async def get_by_telegram(conn: Connection, org_id: uuid.UUID, telegram_user_id: int) -> User:
    record = await conn.fetchrow(
        "SELECT * FROM users WHERE org_id = $1 AND telegram_user_id = $2 AND is_active",
        org_id,
        telegram_user_id,
    )
    if record is None:
        raise NotFound("linked user", telegram_user_id)
    return User.from_record(record)


async def list_for_org(conn: Connection, org_id: uuid.UUID) -> list[User]:
    records = await conn.fetch(
        "SELECT * FROM users WHERE org_id = $1 ORDER BY created_at, email", org_id
    )
    return [User.from_record(r) for r in records]


async def link_telegram(
    conn: Connection, org_id: uuid.UUID, user_id: uuid.UUID, telegram_user_id: int | None
) -> User:
    async with conflict_as(conn, "that Telegram account is already linked to another user"):
        record = await conn.fetchrow(
            "UPDATE users SET telegram_user_id = $3 WHERE org_id = $1 AND id = $2 RETURNING *",
            org_id,
            user_id,
            telegram_user_id,
        )
    if record is None:
        raise NotFound("user", user_id)
    return User.from_record(record)


async def set_password_hash(
    conn: Connection, org_id: uuid.UUID, user_id: uuid.UUID, password_hash: str
) -> None:
    status = await conn.execute(
        "UPDATE users SET password_hash = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        user_id,
        password_hash,
    )
    if status.endswith(" 0"):
        raise NotFound("user", user_id)
