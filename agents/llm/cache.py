"""A Redis cache of identical LLM requests, per organization.

The key is ``<ns>:org:<org>:llm:<sha256>`` over everything that shapes the answer: provider,
endpoint, model, sampling knobs, prompt name/version/checksum, the rendered messages, and the
output schema with its method. Entries are per org on purpose: two merchants never share an
answer, even to the same words. A Redis failure only costs the cache (logged), never the call.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import redis.asyncio as aioredis
from pydantic import BaseModel
from redis.exceptions import RedisError

from storage.redis_client import Keys

from .config import LLMConfig
from .prompts import RenderedPrompt

log = logging.getLogger(__name__)

_FORMAT = 1  # bump when CachedAnswer changes shape: old entries then simply miss
# A cache is worth waiting for only briefly: redis-py retries a dead server with backoff for
# seconds, which would make every LLM call wait on a cache that can't answer.
_REDIS_TIMEOUT = 0.5


@dataclass(frozen=True)
class CachedAnswer:
    """What a cache entry holds: the text or the structured object as JSON, and the usage
    of the call that produced it (kept in usage metadata as tokens saved)."""

    model: str
    text: str | None
    data: dict[str, Any] | None
    prompt_tokens: int
    completion_tokens: int


class ResponseCache:
    """Get/set answers by request fingerprint; ``ttl_seconds`` 0 disables it."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, ttl_seconds: int) -> None:
        self._redis = redis
        self._keys = keys
        self.ttl_seconds = ttl_seconds

    def key(
        self,
        org_id: uuid.UUID,
        config: LLMConfig,
        model: str,
        prompt: RenderedPrompt,
        messages: Sequence[tuple[str, str]],
        schema: type[BaseModel] | None,
    ) -> str:
        fingerprint = {
            "format": _FORMAT,
            "provider": config.provider,
            "base_url": config.base_url,
            "model": model,
            "temperature": config.temperature,
            "max_tokens": config.max_tokens,
            "prompt": [prompt.name, prompt.version, prompt.checksum],
            "messages": [list(m) for m in messages],
            "schema": schema.model_json_schema() if schema is not None else None,
            "method": config.structured_method if schema is not None else None,
        }
        canonical = json.dumps(fingerprint, sort_keys=True, ensure_ascii=False, default=str)
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        return self._keys.org(org_id, "llm", digest)

    async def get(self, key: str) -> CachedAnswer | None:
        if not self.ttl_seconds:
            return None
        try:
            async with asyncio.timeout(_REDIS_TIMEOUT):
                raw = await self._redis.get(key)
        except (RedisError, TimeoutError) as err:
            log.warning("llm cache read failed, calling the model: %r", err)
            return None
        if raw is None:
            return None
        try:
            return CachedAnswer(**json.loads(raw))
        except (TypeError, ValueError) as err:
            log.warning("llm cache entry %s unreadable, ignoring it: %s", key, err)
            return None

    async def set(self, key: str, answer: CachedAnswer) -> None:
        if not self.ttl_seconds:
            return
        value = json.dumps(asdict(answer), ensure_ascii=False)
        try:
            async with asyncio.timeout(_REDIS_TIMEOUT):
                await self._redis.set(key, value, ex=self.ttl_seconds)
        except (RedisError, TimeoutError) as err:
            log.warning("llm cache write failed: %r", err)

    async def forget(self, key: str) -> None:
        """Drop an entry that turned out unusable (e.g. it no longer fits the schema)."""
        try:
            async with asyncio.timeout(_REDIS_TIMEOUT):
                await self._redis.delete(key)
        except (RedisError, TimeoutError) as err:
            log.warning("llm cache delete failed: %r", err)
