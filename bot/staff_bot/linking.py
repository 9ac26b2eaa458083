"""Linking a Telegram account to a TradeMate user with a one-time code.

``trademate user link-code EMAIL`` issues a short code (only its hash is stored, with an
expiry); the person sends ``/link CODE`` to the shop's bot, which binds their Telegram user
id to the user. A code works once, only before it expires, and only on a bot of the user's
own organization.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from storage.db import Connection
from storage.models import User
from storage.repositories import audit, users

# No 0/O or 1/I/L: the code is read off one screen and typed on another.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
DEFAULT_TTL = timedelta(minutes=15)
UNKNOWN_CODE = "That code is not valid. Ask for a new one (trademate user link-code)."


class LinkError(Exception):
    """A code that can't link (unknown, used, expired); the message is shown to the person."""


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def code_hash(code: str) -> str:
    # Codes are random, short-lived and single-use, so a plain digest is enough (no salt):
    # what matters is that a database dump doesn't hand out live codes.
    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


async def issue_code(
    conn: Connection, org_id: uuid.UUID, user_id: uuid.UUID, ttl: timedelta = DEFAULT_TTL
) -> str:
    """A new one-time code for ``user_id``; earlier unused codes of the user stop working."""
    code = new_code()
    await conn.execute(
        "UPDATE user_link_codes SET expires_at = now()"
        " WHERE org_id = $1 AND user_id = $2 AND used_at IS NULL AND expires_at > now()",
        org_id,
        user_id,
    )
    await conn.execute(
        "INSERT INTO user_link_codes (org_id, user_id, code_hash, expires_at)"
        " VALUES ($1, $2, $3, now() + $4)",
        org_id,
        user_id,
        code_hash(code),
        ttl,
    )
    await audit.record(
        conn,
        org_id,
        "user.link_code_issued",
        actor_kind="system",
        entity_type="user",
        entity_id=user_id,
        after={"expires_in_seconds": int(ttl.total_seconds())},
    )
    return code


async def org_of(conn: Connection, code: str) -> uuid.UUID | None:
    """The organization a code belongs to (the dedicated staff bot serves every org)."""
    return await conn.fetchval(
        "SELECT org_id FROM user_link_codes WHERE code_hash = $1", code_hash(code)
    )


async def redeem(
    conn: Connection,
    org_id: uuid.UUID,
    code: str,
    telegram_user_id: int,
    channel_id: uuid.UUID | None,
) -> User:
    """Link the Telegram account to the code's user (call inside a transaction).

    ``channel_id`` is the shop bot the code was sent to: cards for this user go out through
    it (None: the dedicated staff bot). A Telegram account linked to another user of the org
    moves to this one.
    """
    row = await conn.fetchrow(
        "SELECT id, user_id, used_at, expires_at > now() AS live FROM user_link_codes"
        " WHERE org_id = $1 AND code_hash = $2 FOR UPDATE",
        org_id,
        code_hash(code),
    )
    if row is None:
        raise LinkError(UNKNOWN_CODE)
    if row["used_at"] is not None:
        raise LinkError("That code was already used. Ask for a new one.")
    if not row["live"]:
        raise LinkError("That code has expired. Ask for a new one.")
    user = await users.get(conn, org_id, row["user_id"])
    if not user.is_active:
        raise LinkError("That account is disabled.")
    await conn.execute("UPDATE user_link_codes SET used_at = now() WHERE id = $1", row["id"])
    await conn.execute(
        "UPDATE users SET telegram_user_id = NULL"
        " WHERE org_id = $1 AND telegram_user_id = $2 AND id <> $3",
        org_id,
        telegram_user_id,
        user.id,
    )
    linked = await users.link_telegram(conn, org_id, user.id, telegram_user_id)
    await conn.execute(
        "UPDATE users SET settings = (settings - 'telegram_channel_id') || $3"
        " WHERE org_id = $1 AND id = $2",
        org_id,
        user.id,
        {} if channel_id is None else {"telegram_channel_id": str(channel_id)},
    )
    await audit.record(
        conn,
        org_id,
        "user.telegram_linked",
        actor_kind="user",
        actor_user_id=user.id,
        entity_type="user",
        entity_id=user.id,
        before={"telegram_user_id": user.telegram_user_id},
        after={
            "telegram_user_id": telegram_user_id,
            "channel_id": None if channel_id is None else str(channel_id),
        },
    )
    return linked
