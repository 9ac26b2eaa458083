"""Checking a staff login: passwords, and a throttle on failed attempts.

Passwords are checked with scrypt off the event loop. An unknown e-mail still costs one
hash check against a dummy hash, so response time doesn't reveal which e-mails exist. The
same e-mail may belong to users in several organizations; the password picks the user, and
only when two of them share a password does the login form ask for the organization.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from dataclasses import dataclass

import redis.asyncio as aioredis

from storage.db import Connection
from storage.models import User
from storage.redis_client import Keys

from ..passwords import hash_password, verify_password


@dataclass(frozen=True)
class Candidate:
    user: User
    org_slug: str
    org_name: str


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not a real password, only spends the same time")


async def _check(password: str, stored: str | None) -> bool:
    return await asyncio.to_thread(verify_password, password, stored)


async def authenticate(
    conn: Connection, email: str, password: str, *, org_slug: str | None = None
) -> list[Candidate]:
    """The active users with this e-mail whose password matches (usually one or none)."""
    records = await conn.fetch(
        """
        SELECT to_jsonb(u) AS user, o.slug, o.name
        FROM users u JOIN organizations o ON o.id = u.org_id
        WHERE lower(u.email) = lower($1) AND u.is_active AND u.password_hash IS NOT NULL
          AND ($2::text IS NULL OR o.slug = $2)
        ORDER BY u.created_at
        """,
        email.strip(),
        org_slug or None,
    )
    if not records:
        await _check(password, _dummy_hash())
        return []
    matched = []
    for record in records:
        user = User.model_validate(record["user"])
        if await _check(password, record["user"]["password_hash"]):
            matched.append(Candidate(user, record["slug"], record["name"]))
    return matched


async def record_login(conn: Connection, user: User) -> None:
    await conn.execute(
        "UPDATE users SET last_login_at = now() WHERE org_id = $1 AND id = $2",
        user.org_id,
        user.id,
    )


class LoginThrottle:
    """Counts failed logins per (e-mail, client address) in Redis, shared by all processes."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, *, limit: int, window: int) -> None:
        self.redis = redis
        self.keys = keys
        self.limit = limit
        self.window = window

    def key(self, email: str, address: str) -> str:
        digest = hashlib.sha256(f"{email.strip().lower()}|{address}".encode()).hexdigest()
        return self.keys.system("web", "login_failures", digest)

    async def blocked(self, email: str, address: str) -> bool:
        count = await self.redis.get(self.key(email, address))
        return count is not None and int(count) >= self.limit

    async def failed(self, email: str, address: str) -> None:
        key = self.key(email, address)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            # The window starts at the first failure; later failures don't extend it.
            pipe.expire(key, self.window, nx=True)
            await pipe.execute()

    async def succeeded(self, email: str, address: str) -> None:
        await self.redis.delete(self.key(email, address))
