"""A Redis-backed TokenCache: one platform access token per app for the whole deployment."""

from __future__ import annotations

import redis.asyncio as aioredis

from storage.redis_client import Keys


class RedisTokenCache:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def get(self, key: str) -> str | None:
        return await self.redis.get(self.keys.system("token", key))

    async def set(self, key: str, value: str, ttl_seconds: int) -> None:
        await self.redis.set(self.keys.system("token", key), value, ex=max(ttl_seconds, 1))
