"""Exactly-once intake: store every inbound message before the webhook is acknowledged.

For each normalized message:

1. **Fast path** — a Redis key per (channel, platform message id) remembers what we already
   stored; a platform retry of a stored message is answered at once, without touching the
   database. The key is written only *after* the commit, so a crash can't make us skip a
   message we never stored.
2. **One statement** — customer + identity upsert, conversation upsert (moving
   ``last_inbound_at`` forward), message insert, atomically in the ``intake_message``
   database function. ``UNIQUE (channel_id, external_message_id)`` is the guarantee: two
   concurrent deliveries of one message store one row.
3. **Enqueue** — the new message ids go on the intake stream for the workers. If Redis is
   down at that moment the webhook still succeeds: the message is committed with
   ``processing_status = 'pending'`` and the reconciler will queue it.

Concurrent webhooks share these round trips (group commit, :mod:`channels.group_commit`):
one Redis lookup, one database statement and one Redis pipeline per batch. Round trips,
not SQL, were what limited intake. Nothing is acknowledged before its batch commits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import asyncpg
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from storage.queue import WorkQueue
from storage.redis_client import Keys
from storage.repositories import intake as intake_repo
from storage.repositories import messages
from storage.repositories.intake import InboundRow

from .group_commit import GroupCommitter
from .models import ChannelRef, DeliveryStatus, InboundMessage

log = logging.getLogger(__name__)

SEEN_TTL_SECONDS = 7 * 24 * 3600  # longer than any platform keeps retrying


@dataclass(frozen=True)
class IntakeOutcome:
    external_message_id: str
    message_id: uuid.UUID | None  # None: answered from the fast path, row not looked up
    created: bool


@dataclass(frozen=True)
class _Pending:
    channel: ChannelRef
    message: InboundMessage
    seen_key: str


class Intake:
    def __init__(
        self,
        pool: asyncpg.Pool,
        redis: aioredis.Redis,
        keys: Keys,
        queue: WorkQueue,
        *,
        max_batch: int = 256,
        max_inflight: int = 2,
    ) -> None:
        self.pool = pool
        self.redis = redis
        self.keys = keys
        self.queue = queue
        self._committer: GroupCommitter[_Pending, IntakeOutcome] = GroupCommitter(
            self._flush, max_batch=max_batch, max_inflight=max_inflight
        )

    async def accept(
        self, channel: ChannelRef, inbound: Sequence[InboundMessage]
    ) -> list[IntakeOutcome]:
        """Store and enqueue; returns once every message is committed (or was already)."""
        pending = []
        for message in inbound:
            if not message.sender_id:
                # Sender-less updates (a poll closing, an empty update) have no customer to
                # attach to: acknowledged, not stored.
                log.debug(
                    "ignoring sender-less %s %s (channel=%s)",
                    message.content_type,
                    message.event,
                    channel.id,
                )
                continue
            key = self.keys.org(channel.org_id, "seen", channel.id, message.external_message_id)
            pending.append(_Pending(channel, message, key))
        if not pending:
            return []
        return await self._committer.submit(pending)

    async def aclose(self) -> None:
        await self._committer.aclose()

    # --- one batch -----------------------------------------------------------------------
    async def _flush(self, batch: Sequence[_Pending]) -> list[IntakeOutcome | Exception]:
        seen = await self._already_seen([p.seen_key for p in batch])
        fresh = [p for p, was_seen in zip(batch, seen, strict=True) if not was_seen]
        stored = await self._store(fresh) if fresh else {}
        outcomes = [
            stored.get(id(p)) or IntakeOutcome(p.message.external_message_id, None, False)
            for p in batch
        ]
        ok = [p for p in fresh if isinstance(stored[id(p)], IntakeOutcome)]
        created = [
            (p.channel.org_id, stored[id(p)].message_id) for p in ok if stored[id(p)].created
        ]
        try:
            await self.queue.publish(
                created, also_set=[p.seen_key for p in ok], ttl=SEEN_TTL_SECONDS
            )
        except (RedisError, OSError) as err:
            # Committed is what counts: the reconciler queues pending rows Redis never saw.
            log.warning(
                "intake enqueue failed, the reconciler will queue %d message(s): %s",
                len(created),
                err,
            )
        return outcomes

    async def _store(self, fresh: Sequence[_Pending]) -> dict[int, IntakeOutcome | Exception]:
        # One lock order for every batch (channel, sender): concurrent batches can't deadlock.
        ordered = sorted(fresh, key=lambda p: (str(p.channel.id), p.message.sender_id))
        rows = [_row(p) for p in ordered]
        async with self.pool.acquire() as conn:
            try:
                results = await intake_repo.store_inbound_batch(conn, rows)
            except asyncpg.PostgresError as err:
                if len(rows) == 1:
                    raise
                # One bad message must not sink its neighbours: store them one by one.
                log.warning("intake batch of %d failed (%s); storing singly", len(rows), err)
                results = [await _store_one(conn, row) for row in rows]
        outcomes: dict[int, IntakeOutcome | Exception] = {}
        for pending, result in zip(ordered, results, strict=True):
            if isinstance(result, Exception):
                outcomes[id(pending)] = result
                log.error(
                    "inbound message refused by the database org=%s channel=%s external_id=%s: %s",
                    pending.channel.org_id,
                    pending.channel.id,
                    pending.message.external_message_id,
                    result,
                )
                continue
            outcomes[id(pending)] = IntakeOutcome(
                pending.message.external_message_id, result.message_id, result.created
            )
            log.debug(
                "stored inbound org=%s channel=%s external_id=%s message=%s created=%s",
                pending.channel.org_id,
                pending.channel.id,
                pending.message.external_message_id,
                result.message_id,
                result.created,
            )
        return outcomes

    async def _already_seen(self, keys: list[str]) -> list[bool]:
        try:
            values = await self.redis.mget(keys)
        except (RedisError, OSError) as err:
            log.warning("dedupe fast path unavailable, relying on the database: %s", err)
            return [False] * len(keys)
        return [value is not None for value in values]

    # --- delivery reports ----------------------------------------------------------------
    async def record_statuses(self, channel: ChannelRef, statuses: Sequence[DeliveryStatus]) -> int:
        """Apply delivery reports to our outbound messages; returns how many matched."""
        applied = 0
        if not statuses:
            return applied
        async with self.pool.acquire() as conn:
            for status in statuses:
                error = None
                if status.error_code or status.error_message:
                    error = f"{status.error_code or ''} {status.error_message or ''}".strip()
                if await messages.apply_delivery_status(
                    conn,
                    channel.id,
                    status.external_message_id,
                    status.status,
                    at=status.at,
                    error=error,
                ):
                    applied += 1
                else:
                    log.debug(
                        "status %s for unknown or newer message %s (channel=%s)",
                        status.status,
                        status.external_message_id,
                        channel.id,
                    )
        return applied


async def _store_one(
    conn: asyncpg.Connection, row: InboundRow
) -> intake_repo.StoredInbound | Exception:
    try:
        return await intake_repo.store_inbound(conn, row)
    except asyncpg.PostgresError as err:
        return err


def _row(pending: _Pending) -> InboundRow:
    message, channel = pending.message, pending.channel
    return InboundRow(
        org_id=channel.org_id,
        channel_id=channel.id,
        sender_id=message.sender_id,
        sender_name=message.sender_name,
        language=message.language_hint,
        profile=dict(message.profile),
        sent_at=message.sent_at,
        external_message_id=message.external_message_id,
        content=message.text,
        content_type=message.content_type,
        media=[asdict(m) for m in message.media],
        metadata=_metadata(message),
    )


def _metadata(message: InboundMessage) -> dict:
    """Everything normalized that has no column of its own, for the pipeline and the inbox."""
    data: dict = {"sender_id": message.sender_id, "chat_id": message.reply_target}
    if message.location is not None:
        data["location"] = asdict(message.location)
    for name in ("event", "event_key", "button_payload", "reply_to_external_id", "language_hint"):
        value = getattr(message, name)
        if value is not None:
            data[name] = value
    if message.extra:
        data["extra"] = dict(message.extra)
    data["sent_at"] = message.sent_at.isoformat()
    return data
