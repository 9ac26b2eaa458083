"""Redis access: one client factory and the one place Redis keys are built.

Every key TradeMate writes starts with the configured namespace; keys that belong to a
merchant also carry the organization id right after it (``tm:org:<uuid>:...``), so one
organization's data can be listed, expired or wiped without touching another's, and no
code path can build a tenant key without naming the tenant.
"""

from __future__ import annotations

import uuid

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from .db import redact_url
from .errors import StorageError


class Keys:
    """Builds namespaced Redis keys. ``org`` keys require an organization UUID."""

    def __init__(self, namespace: str) -> None:
        if not namespace or ":" in namespace:
            raise ValueError(f"bad Redis namespace {namespace!r}")
        self.namespace = namespace

    def org(self, org_id: uuid.UUID, *parts: object) -> str:
        """A key owned by one organization: ``<ns>:org:<org_id>:<parts...>``."""
        if not isinstance(org_id, uuid.UUID):
            raise TypeError(f"org_id must be a UUID, got {type(org_id).__name__}")
        return self._join("org", str(org_id), *parts)

    def org_pattern(self, org_id: uuid.UUID) -> str:
        """A SCAN pattern matching every key of one organization."""
        return self.org(org_id, "*")

    def system(self, *parts: object) -> str:
        """A key shared by the whole deployment (streams, sessions, locks): ``<ns>:sys:...``."""
        return self._join("sys", *parts)

    def _join(self, *parts: object) -> str:
        texts = [str(part) for part in parts]
        if not texts or any(text == "" for text in texts):
            raise ValueError(f"empty Redis key part in {texts!r}")
        return ":".join([self.namespace, *texts])


async def open_redis(url: str) -> aioredis.Redis:
    """Connect and ping, so a wrong URL fails at start-up rather than on first use."""
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        await client.ping()
    except (RedisError, OSError) as err:
        await client.aclose()
        raise StorageError(f"cannot connect to Redis at {redact_url(url)}: {err}") from err
    return client
