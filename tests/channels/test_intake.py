"""Exactly-once intake: every delivery stored once, queued once, never lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from channels.intake import Intake
from channels.models import DeliveryStatus, Location, Media
from storage.repositories import messages

from .conftest import inbound


async def _count(pool, sql: str, *args) -> int:
    async with pool.acquire() as conn:
        return await conn.fetchval(sql, *args)


async def test_a_message_is_stored_with_its_customer_and_conversation(
    pool, intake, intake_queue, channel_ref
):
    message = inbound(
        sender_name="Lucía",
        language_hint="es",
        media=(Media("image", url="https://example.invalid/p.jpg", mime_type="image/jpeg"),),
        location=Location(40.4, -3.7, "Madrid"),
        extra={"ProfileName": "Lucía"},
    )
    [outcome] = await intake.accept(channel_ref, [message])
    assert outcome.created
    async with pool.acquire() as conn:
        row = await messages.get(conn, channel_ref.org_id, outcome.message_id)
        customer = await conn.fetchrow("SELECT * FROM customers WHERE id = $1", row.customer_id)
        convo = await conn.fetchrow(
            "SELECT * FROM conversations WHERE id = $1", row.conversation_id
        )
    assert row.content == message.text and row.direction == "inbound"
    assert row.processing_status == "pending"
    assert row.media[0]["url"] == "https://example.invalid/p.jpg"
    assert row.metadata["location"]["label"] == "Madrid"
    assert row.metadata["extra"] == {"ProfileName": "Lucía"}
    assert customer["display_name"] == "Lucía" and customer["language"] == "es"
    assert convo["last_inbound_at"] == message.sent_at
    assert await intake_queue.length() == 1


async def test_replaying_a_delivery_three_times_stores_and_queues_it_once(
    pool, intake, intake_queue, channel_ref
):
    message = inbound("SM-replayed")
    results = [await intake.accept(channel_ref, [message]) for _ in range(3)]
    assert [r[0].created for r in results] == [True, False, False]
    count = await _count(
        pool, "SELECT count(*) FROM messages WHERE channel_id = $1", channel_ref.id
    )
    assert count == 1
    assert await intake_queue.length() == 1


async def test_concurrent_duplicate_deliveries_store_once(pool, intake, intake_queue, channel_ref):
    """Platforms retry while the first delivery is still in flight: the unique key decides."""
    message = inbound("SM-racing")
    results = await asyncio.gather(*(intake.accept(channel_ref, [message]) for _ in range(5)))
    assert sum(r[0].created for r in results) == 1
    count = await _count(
        pool, "SELECT count(*) FROM messages WHERE channel_id = $1", channel_ref.id
    )
    assert count == 1
    assert await intake_queue.length() == 1


async def test_without_the_fast_path_the_database_still_deduplicates(
    pool, redis, keys, intake_queue, channel_ref
):
    """If Redis forgot (flushed, failed over), the unique constraint is the guarantee."""
    intake = Intake(pool, redis, keys, intake_queue)
    message = inbound("SM-forgotten")
    await intake.accept(channel_ref, [message])
    async for key in redis.scan_iter(match=f"{keys.namespace}:org:*:seen:*"):
        await redis.delete(key)
    [again] = await intake.accept(channel_ref, [message])
    assert not again.created
    assert await intake_queue.length() == 1


async def test_one_customer_one_open_conversation_across_messages(pool, intake, channel_ref):
    for i in range(3):
        await intake.accept(channel_ref, [inbound(f"SM-{i}", sender="whatsapp:+1555")])
    assert (
        await _count(pool, "SELECT count(*) FROM customers WHERE org_id = $1", channel_ref.org_id)
        == 1
    )
    assert (
        await _count(
            pool, "SELECT count(*) FROM conversations WHERE org_id = $1", channel_ref.org_id
        )
        == 1
    )


async def test_a_lost_enqueue_still_commits_the_message(pool, redis, keys, channel_ref):
    """Redis fails after the commit: the webhook succeeds; the row waits for the reconciler."""

    class BrokenQueue:
        async def publish(self, items, **_):
            raise ConnectionError("redis went away")

    intake = Intake(pool, redis, keys, BrokenQueue())
    [outcome] = await intake.accept(channel_ref, [inbound("SM-lost-enqueue")])
    assert outcome.created
    async with pool.acquire() as conn:
        row = await messages.get(conn, channel_ref.org_id, outcome.message_id)
    assert row.processing_status == "pending"


async def test_delivery_statuses_only_move_forward(pool, intake, channel_ref):
    async with pool.acquire() as conn:
        convo_id = await conn.fetchval(
            """
            INSERT INTO customers (org_id) VALUES ($1) RETURNING id
            """,
            channel_ref.org_id,
        )
        conversation = await conn.fetchval(
            "INSERT INTO conversations (org_id, customer_id, channel_id) VALUES ($1, $2, $3)"
            " RETURNING id",
            channel_ref.org_id,
            convo_id,
            channel_ref.id,
        )
        sent = await messages.insert_outbound(
            conn,
            org_id=channel_ref.org_id,
            conversation_id=conversation,
            channel_id=channel_ref.id,
            customer_id=convo_id,
            content="Thanks!",
        )
        await messages.mark_sent(conn, channel_ref.org_id, sent.id, external_message_id="SMout1")
    now = datetime.now(UTC)
    report = [
        DeliveryStatus("SMout1", "delivered", now),
        DeliveryStatus("SMout1", "sent", now - timedelta(seconds=5)),  # arrives late
        DeliveryStatus("SMother", "delivered", now),  # not ours
    ]
    assert await intake.record_statuses(channel_ref, report) == 1
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, delivered_at FROM messages WHERE id = $1", sent.id
        )
    assert row["status"] == "delivered" and row["delivered_at"] == now
    failed = [DeliveryStatus("SMout1", "failed", now, error_code="63016", error_message="window")]
    assert await intake.record_statuses(channel_ref, failed) == 1


async def test_one_bad_message_in_a_batch_does_not_sink_the_others(
    pool, redis, keys, intake_queue, channel_ref, caplog
):
    """A message the database refuses (here: aimed at another org's channel) fails alone;
    the messages that shared its batch are stored and queued."""
    from dataclasses import replace

    from storage.db import transaction
    from tests.storage.factories import make_channel, make_org

    async with transaction(pool) as conn:
        other_org = await make_org(conn)
        foreign = await make_channel(conn, other_org, "whatsapp")
    try:
        # One flush at a time: the first call goes alone, the next three share a batch.
        intake = Intake(pool, redis, keys, intake_queue, max_inflight=1)
        wrong = replace(channel_ref, id=foreign.id)  # org A, but org B's channel
        results = await asyncio.gather(
            intake.accept(channel_ref, [inbound("SM-first")]),
            intake.accept(channel_ref, [inbound("SM-good-1")]),
            intake.accept(wrong, [inbound("SM-bad")]),
            intake.accept(channel_ref, [inbound("SM-good-2")]),
            return_exceptions=True,
        )
        assert isinstance(results[2], Exception)
        assert all(r[0].created for i, r in enumerate(results) if i != 2)
        assert await intake_queue.length() == 3
        assert "storing singly" in caplog.text  # the shared batch really did fail over
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", other_org.id)
