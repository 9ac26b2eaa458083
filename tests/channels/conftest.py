"""Fixtures for intake and worker tests: committed rows (these paths use their own
connections, so a rolled-back test transaction can't hold them) removed after each test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from channels.intake import Intake
from channels.models import ChannelRef, InboundMessage
from storage.db import transaction
from storage.queue import WorkQueue
from tests.storage.factories import make_channel, make_org


@pytest.fixture
async def channel_ref(pool) -> AsyncIterator[ChannelRef]:
    async with transaction(pool) as conn:
        org = await make_org(conn)
        row = await make_channel(conn, org, "whatsapp")
    try:
        yield ChannelRef(row.id, org.id, row.platform, {}, row.webhook_secret)
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)


@pytest.fixture
async def intake_queue(redis, keys) -> WorkQueue:
    queue = WorkQueue(redis, keys, "intake")
    await queue.ensure_group()
    return queue


@pytest.fixture
async def outbound_queue(redis, keys) -> WorkQueue:
    queue = WorkQueue(redis, keys, "outbound")
    await queue.ensure_group()
    return queue


@pytest.fixture
def intake(pool, redis, keys, intake_queue) -> Intake:
    return Intake(pool, redis, keys, intake_queue)


def inbound(external_id: str | None = None, sender: str = "whatsapp:+34600000001", **kw):
    return InboundMessage(
        external_message_id=external_id or f"SM{uuid.uuid4().hex}",
        sender_id=sender,
        sent_at=kw.pop("sent_at", datetime.now(UTC)),
        content_type=kw.pop("content_type", "text"),
        text=kw.pop("text", "Hola, ¿precio de 500 unidades?"),
        **kw,
    )
