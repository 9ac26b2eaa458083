"""The pipeline's one-statement reads and writes equal the per-table repository calls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from channels.intake import Intake
from channels.models import ChannelRef, InboundMessage
from storage.db import transaction
from storage.errors import NotFound
from storage.queue import WorkQueue
from storage.repositories import (
    classifications,
    conversations,
    customers,
    message_context,
    messages,
    organizations,
    templates,
)
from storage.repositories import memories as memory_repo
from storage.repositories import products as product_repo
from tests.storage.factories import make_channel, make_org


@pytest.fixture
async def stored(pool, redis, keys):
    """Two inbound messages of one conversation, a catalog, a template override, a memory."""
    async with transaction(pool) as conn:
        org = await make_org(conn, "Context Shop")
        channel = await make_channel(conn, org, "whatsapp")
        for sku, price in [("BTL-500", "2.10"), ("MUG-200", "1.35"), ("NOP-1", None)]:
            await product_repo.upsert(
                conn,
                org.id,
                sku=sku,
                name=sku.lower(),
                price=None if price is None else Decimal(price),
                moq=300,
            )
        await conn.execute(
            "INSERT INTO response_templates (org_id, name, language, body, is_active)"
            " VALUES ($1, 'thanks', 'en', 'Ta!', true), ($1, 'apology', 'en', 'Oops', false)",
            org.id,
        )
    ref = ChannelRef(channel.id, org.id, "whatsapp", {}, channel.webhook_secret)
    intake = Intake(pool, redis, keys, WorkQueue(redis, keys, "intake"))
    stored = await intake.accept(
        ref,
        [
            InboundMessage(f"SM{uuid.uuid4().hex}", "+3460", datetime.now(UTC), "text", text=t)
            for t in ("hello", "We are in Madrid")
        ],
    )
    async with pool.acquire() as conn:
        message = await messages.get(conn, org.id, stored[-1].message_id)
        await memory_repo.add(
            conn,
            org_id=org.id,
            customer_id=message.customer_id,
            category="location",
            content="Based in Madrid",
            importance=0.7,
        )
    yield message
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)


async def test_the_context_read_equals_the_repository_reads(pool, stored):
    org_id = stored.org_id
    async with pool.acquire() as conn:
        context = await message_context.load(conn, org_id, stored.conversation_id, with_turns=True)
        conversation = await conversations.get(conn, org_id, stored.conversation_id)
        assert context.organization == await organizations.get(conn, org_id)
        assert context.conversation == conversation
        assert context.customer == await customers.get(conn, org_id, conversation.customer_id)
        known = await memory_repo.for_customer(conn, org_id, conversation.customer_id)
        # importance and decay_rate are real (float4): binary gives the float32 value, JSON
        # its shortest decimal; compared as float32 they are the same number
        assert [_as_float32(m) for m in context.memories] == [_as_float32(m) for m in known]
        catalog = await product_repo.active(conn, org_id)
        assert context.catalog == catalog
        assert (
            context.overrides
            == await templates.overrides(conn, org_id)
            == {("thanks", "en"): "Ta!"}
        )
        assert context.turns == await messages.recent_in_conversation(
            conn, org_id, stored.conversation_id
        )
        without = await message_context.load(conn, org_id, stored.conversation_id)
    # exact money, down to the scale (Decimal("2.1") == Decimal("2.1000") would not tell)
    assert [str(p.price) for p in context.catalog] == [str(p.price) for p in catalog]
    assert [p.price for p in context.catalog] == [Decimal("2.10"), Decimal("1.35"), None]
    assert [m.content for m in context.turns] == ["hello", "We are in Madrid"]
    assert without.turns == []


async def test_the_context_of_another_orgs_conversation_is_not_found(pool, stored):
    async with pool.acquire() as conn:
        with pytest.raises(NotFound):
            await message_context.load(conn, uuid.uuid4(), stored.conversation_id)


async def test_a_classification_and_its_effects_are_written_once(pool, stored):
    org_id = stored.org_id
    args = dict(
        org_id=org_id,
        message_id=stored.id,
        customer_id=stored.customer_id,
        conversation_id=stored.conversation_id,
        confidence=0.9,
        sentiment="negative",
        sub_intent=None,
        urgency="high",
        is_hot_lead=False,
        scores={"complaint": 0.9},
        engine="offline",
    )
    async with pool.acquire() as conn:
        before = await customers.get(conn, org_id, stored.customer_id)
        first = dict(category="praise", language="es", lead_score=40)
        assert await classifications.record_with_effects(conn, **first, **args)
        # Processed again (a reclaim, another worker) with another result: nothing changes.
        again = dict(category="complaint", language="fr", lead_score=90)
        assert not await classifications.record_with_effects(conn, **again, **args)
        row = await classifications.for_message(conn, org_id, stored.id)
        message = await messages.get(conn, org_id, stored.id)
        customer = await customers.get(conn, org_id, stored.customer_id)
        conversation = await conversations.get(conn, org_id, stored.conversation_id)
    assert row["category"] == "praise"  # the first classification stays
    assert message.language == "es"
    assert customer.language == (before.language or "es")
    assert customer.lead_score == max(before.lead_score, 40)
    assert conversation.priority != "high"  # only the first run's complaint would raise it


async def test_a_complaint_raises_the_conversation_priority(pool, stored):
    async with pool.acquire() as conn:
        assert await classifications.record_with_effects(
            conn,
            org_id=stored.org_id,
            message_id=stored.id,
            customer_id=stored.customer_id,
            conversation_id=stored.conversation_id,
            category="complaint",
            confidence=0.9,
            language="es",
            sentiment="negative",
            sub_intent=None,
            urgency="high",
            is_hot_lead=False,
            lead_score=10,
            scores={"complaint": 0.9},
            engine="offline",
        )
        conversation = await conversations.get(conn, stored.org_id, stored.conversation_id)
    assert (conversation.priority, conversation.sentiment) == ("high", "negative")


def _as_float32(memory: memory_repo.Memory) -> dict:
    import numpy as np

    data = memory.model_dump()
    for key in ("importance", "decay_rate"):
        data[key] = np.float32(data[key])
    return data
