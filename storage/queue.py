"""A durable work queue on a Redis Stream with a consumer group.

Producers ``publish`` message ids after the rows are committed. Workers of one group share
the stream: each entry goes to one consumer, stays in its pending list until ``ack``, and an
entry whose consumer died is taken over by another with ``claim_stale`` (XAUTOCLAIM). The
queue carries ids only; PostgreSQL is the source of truth, and a reconciler re-publishes
whatever the database says is unprocessed, so losing a stream entry loses no message.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from .errors import StorageError
from .redis_client import Keys

# Bound the stream's memory; trimmed entries are recovered by the reconciler if unprocessed.
_MAX_LEN = 200_000


@dataclass(frozen=True)
class QueueEntry:
    entry_id: str
    org_id: uuid.UUID
    item_id: uuid.UUID
    deliveries: int = 1  # >1 when claimed from a dead consumer


class WorkQueue:
    """One stream + consumer group, e.g. ``intake`` (inbound messages) or ``outbound``."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, name: str, group: str = "workers"):
        self.redis = redis
        self.stream = keys.system("stream", name)
        self.group = group

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as err:
            if "BUSYGROUP" not in str(err):  # the group exists already: fine
                raise StorageError(f"cannot create consumer group on {self.stream}: {err}") from err

    async def publish(
        self,
        items: Sequence[tuple[uuid.UUID, uuid.UUID]],
        *,
        also_set: Sequence[str] = (),
        ttl: int | None = None,
    ) -> None:
        """Append ``(org_id, item_id)`` pairs in one round trip; ``also_set`` keys are set to
        "1" (with ``ttl``) in the same round trip (intake's dedupe markers)."""
        if not items and not also_set:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in also_set:
                pipe.set(key, "1", ex=ttl)
            for org_id, item_id in items:
                pipe.xadd(
                    self.stream,
                    {"org": str(org_id), "id": str(item_id)},
                    maxlen=_MAX_LEN,
                    approximate=True,
                )
            await pipe.execute()

    async def read(
        self, consumer: str, *, count: int = 10, block_ms: int = 1000
    ) -> list[QueueEntry]:
        """New entries for this consumer (blocks up to ``block_ms`` when there are none)."""
        try:
            reply = await self.redis.xreadgroup(
                self.group, consumer, {self.stream: ">"}, count=count, block=block_ms
            )
        except ResponseError as err:
            if "NOGROUP" in str(err):  # stream deleted under us (e.g. FLUSHDB): recreate
                await self.ensure_group()
                return []
            raise
        return [
            _entry(entry_id, fields) for _, entries in reply or [] for entry_id, fields in entries
        ]

    async def claim_stale(
        self, consumer: str, *, min_idle_ms: int, count: int = 50
    ) -> list[QueueEntry]:
        """Take over entries another consumer read but never acknowledged."""
        _, claimed, *_ = await self.redis.xautoclaim(
            self.stream,
            self.group,
            consumer,
            min_idle_time=min_idle_ms,
            start_id="0-0",
            count=count,
        )
        return [_entry(entry_id, fields, deliveries=2) for entry_id, fields in claimed if fields]

    async def ack(self, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.xack(self.stream, self.group, *entry_ids)
                pipe.xdel(self.stream, *entry_ids)
                await pipe.execute()

    async def pending_count(self) -> int:
        info = await self.redis.xpending(self.stream, self.group)
        return int(info["pending"])

    async def length(self) -> int:
        return int(await self.redis.xlen(self.stream))


def _entry(entry_id: str, fields: dict, deliveries: int = 1) -> QueueEntry:
    return QueueEntry(
        entry_id=entry_id,
        org_id=uuid.UUID(fields["org"]),
        item_id=uuid.UUID(fields["id"]),
        deliveries=deliveries,
    )


__all__ = ["QueueEntry", "RedisError", "WorkQueue"]
