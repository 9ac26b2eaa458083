"""Exactly-once intake: store every inbound message before the webhook is acknowledged.

For each normalized message:

1. **Fast path** — a Redis key per (channel, platform message id) remembers what we already
   stored; a platform retry of a stored message is answered at once, without touching the
   database. The key is written only *after* the commit, so a crash can't make us skip a
   message we never stored.
2. **One transaction** — customer + identity upsert, conversation upsert (moving
   ``last_inbound_at`` forward), message insert. ``UNIQUE (channel_id, external_message_id)``
   is the guarantee: two concurrent deliveries of one message store one row.
3. **Enqueue** — the new message ids go on the intake stream for the workers. If Redis is
   down at that moment the webhook still succeeds: the message is committed with
   ``processing_status = 'pending'`` and the reconciler will queue it.
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
from storage.repositories import conversations, customers, messages

from .models import ChannelRef, DeliveryStatus, InboundMessage

log = logging.getLogger(__name__)

SEEN_TTL_SECONDS = 7 * 24 * 3600  # longer than any platform keeps retrying


@dataclass(frozen=True)
class IntakeOutcome:
    external_message_id: str
    message_id: uuid.UUID | None  # None: answered from the fast path, row not looked up
    created: bool


class Intake:
    def __init__(
        self, pool: asyncpg.Pool, redis: aioredis.Redis, keys: Keys, queue: WorkQueue
    ) -> None:
        self.pool = pool
        self.redis = redis
        self.keys = keys
        self.queue = queue

    async def accept(
        self, channel: ChannelRef, inbound: Sequence[InboundMessage]
    ) -> list[IntakeOutcome]:
        system = [m for m in inbound if not m.sender_id]
        for message in system:
            # Sender-less updates (a poll closing, an update with nothing in it) have no
            # customer to attach to: acknowledged, not stored.
            log.debug(
                "ignoring sender-less %s %s (channel=%s)",
                message.content_type,
                message.event,
                channel.id,
            )
        inbound = [m for m in inbound if m.sender_id]
        if not inbound:
            return []
        seen_keys = [self._seen_key(channel, m) for m in inbound]
        seen = await self._already_seen(seen_keys)
        fresh = [m for m, was_seen in zip(inbound, seen, strict=True) if not was_seen]
        outcomes = [
            IntakeOutcome(m.external_message_id, None, False)
            for m, was_seen in zip(inbound, seen, strict=True)
            if was_seen
        ]
        if not fresh:
            return outcomes

        async with self.pool.acquire() as conn, conn.transaction():
            stored = [await self._store(conn, channel, message) for message in fresh]
        outcomes.extend(stored)

        created = [(channel.org_id, o.message_id) for o in stored if o.created and o.message_id]
        try:
            await self.queue.publish(created)
            await self._remember([self._seen_key(channel, m) for m in fresh])
        except (RedisError, OSError) as err:
            # Committed is what counts: the reconciler queues pending rows Redis never saw.
            log.warning(
                "intake enqueue failed, reconciler will pick up %d message(s) "
                "(org=%s channel=%s): %s",
                len(created),
                channel.org_id,
                channel.id,
                err,
            )
        for outcome in stored:
            log.debug(
                "stored inbound org=%s channel=%s external_id=%s message=%s created=%s",
                channel.org_id,
                channel.id,
                outcome.external_message_id,
                outcome.message_id,
                outcome.created,
            )
        return outcomes

    async def _store(
        self, conn: asyncpg.Connection, channel: ChannelRef, message: InboundMessage
    ) -> IntakeOutcome:
        match = await customers.upsert_by_identity(
            conn,
            channel.org_id,
            channel.id,
            message.sender_id,
            display_name=message.sender_name,
            language=message.language_hint,
            profile=dict(message.profile),
            seen_at=message.sent_at,
        )
        conversation = await conversations.upsert_active(
            conn, channel.org_id, match.customer.id, channel.id, inbound_at=message.sent_at
        )
        stored = await messages.insert_inbound(
            conn,
            org_id=channel.org_id,
            conversation_id=conversation.id,
            channel_id=channel.id,
            customer_id=match.customer.id,
            external_message_id=message.external_message_id,
            content=message.text,
            content_type=message.content_type,
            media=[asdict(m) for m in message.media],
            metadata=_metadata(message),
        )
        return IntakeOutcome(message.external_message_id, stored.message.id, stored.created)

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

    def _seen_key(self, channel: ChannelRef, message: InboundMessage) -> str:
        return self.keys.org(channel.org_id, "seen", channel.id, message.external_message_id)

    async def _already_seen(self, keys: list[str]) -> list[bool]:
        try:
            values = await self.redis.mget(keys)
        except (RedisError, OSError) as err:
            log.warning("dedupe fast path unavailable, relying on the database: %s", err)
            return [False] * len(keys)
        return [value is not None for value in values]

    async def _remember(self, keys: list[str]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, "1", ex=SEEN_TTL_SECONDS)
            await pipe.execute()


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
