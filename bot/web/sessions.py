"""Staff sessions in Redis.

The cookie holds only a random opaque id; Redis keeps the session under a hash of it (a dump
of Redis hands out no usable cookies) with a server-side expiry. Each session carries its own
CSRF token and a one-shot flash message for the page after a redirect.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass

import redis.asyncio as aioredis

from storage.redis_client import Keys


@dataclass(frozen=True)
class Session:
    id: str
    org_id: uuid.UUID
    user_id: uuid.UUID
    csrf_token: str


@dataclass(frozen=True)
class Flash:
    kind: str  # "ok" | "warn" | "error"
    text: str


class SessionStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys, ttl_seconds: int) -> None:
        self.redis = redis
        self.keys = keys
        self.ttl_seconds = ttl_seconds

    def key(self, session_id: str) -> str:
        digest = hashlib.sha256(session_id.encode("utf-8")).hexdigest()
        return self.keys.system("web", "session", digest)

    async def create(self, org_id: uuid.UUID, user_id: uuid.UUID) -> Session:
        session = Session(
            id=secrets.token_urlsafe(32),
            org_id=org_id,
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
        )
        key = self.key(session.id)
        fields = {"org_id": str(org_id), "user_id": str(user_id), "csrf": session.csrf_token}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, self.ttl_seconds)
            await pipe.execute()
        return session

    async def get(self, session_id: str | None) -> Session | None:
        """The live session for a cookie value, or None (unknown, expired or malformed)."""
        if not session_id or len(session_id) > 128:
            return None
        data = await self.redis.hgetall(self.key(session_id))
        if not data or not {"org_id", "user_id", "csrf"} <= data.keys():
            return None
        return Session(
            id=session_id,
            org_id=uuid.UUID(data["org_id"]),
            user_id=uuid.UUID(data["user_id"]),
            csrf_token=data["csrf"],
        )

    async def delete(self, session_id: str) -> None:
        await self.redis.delete(self.key(session_id))

    async def set_flash(self, session: Session, kind: str, text: str) -> None:
        await self.redis.hset(
            self.key(session.id), "flash", json.dumps({"kind": kind, "text": text})
        )

    async def pop_flash(self, session: Session) -> Flash | None:
        key = self.key(session.id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hget(key, "flash")
            pipe.hdel(key, "flash")
            raw, _ = await pipe.execute()
        if not raw:
            return None
        data = json.loads(raw)
        return Flash(data["kind"], data["text"])
