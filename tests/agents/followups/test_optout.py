"""Opt-outs: STOP / 退订 / baja are recognised, recorded by the pipeline, and respected by
every proactive sweep."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from agents.drafting.offline import OfflineDrafter
from agents.followups import due, silent
from agents.followups.optout import detect_opt_out, opt_out_keyword, record_opt_out
from agents.memory.service import MemoryService
from agents.pipeline import Pipeline
from channels.intake import Intake
from channels.models import ChannelRef, InboundMessage
from storage.db import transaction
from storage.queue import WorkQueue
from storage.repositories import messages
from tests.agents.test_pipeline import KeywordClassifier
from tests.storage.factories import make_channel, make_org

from .helpers import CONFIG, NOW, make_customer, make_shop


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop.",
        "Unsubscribe",
        "Please unsubscribe me from this list",
        "stop sending me messages",
        "Don't message me again",
        "退订",
        "回复TD退订",
        "取消订阅",
        "不要再发消息了",
        "BAJA",
        "Quiero darme de baja",
        "No más mensajes, por favor",
        "no mas mensajes",
    ],
)
def test_opt_out_messages_are_detected(text):
    assert detect_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "Does this valve stop leaks?",
        "We will stop by your booth at the Canton Fair",
        "What is the price for 500 pcs?",
        "baja calidad?",  # "low quality?" in Spanish, not an opt-out
        "请问多少钱？",
        "",
        None,
    ],
)
def test_ordinary_messages_are_not_opt_outs(text):
    assert not detect_opt_out(text)


async def test_recording_is_once_and_keeps_the_keyword(conn):
    shop = await make_shop(conn)
    customer, _ = await make_customer(conn, shop)
    assert not await record_opt_out(conn, shop.org.id, customer, "how much?")
    assert await record_opt_out(conn, shop.org.id, customer, "退订")
    assert not await record_opt_out(conn, shop.org.id, customer, "STOP")  # already opted out
    row = await conn.fetchrow("SELECT * FROM opt_outs WHERE customer_id = $1", customer)
    assert row["keyword"] == opt_out_keyword("退订") == "退订" and row["source"] == "keyword"


async def test_the_pipeline_records_an_opt_out_and_the_sweep_respects_it(pool, redis, keys):
    async with transaction(pool) as conn:
        org = await make_org(conn)
        channel = await make_channel(conn, org, "whatsapp")
    ref = ChannelRef(channel.id, org.id, "whatsapp", {}, channel.webhook_secret)
    intake = Intake(pool, redis, keys, WorkQueue(redis, keys, "intake"))
    pipeline = Pipeline(
        pool, classifiers=KeywordClassifier(), memory=MemoryService(pool), drafter=OfflineDrafter()
    )
    try:
        sent_at = datetime.now(UTC) - timedelta(days=10)
        [stored] = await intake.accept(
            ref,
            [
                InboundMessage(
                    f"SM{uuid.uuid4().hex}",
                    "whatsapp:+52155",
                    sent_at,
                    "text",
                    text="No más mensajes",
                    sender_name="Marta",
                )
            ],
        )
        async with pool.acquire() as conn:
            message = await messages.get(conn, org.id, stored.message_id)
        outcome = await pipeline.handle(message)
        assert outcome.skipped and outcome.draft is None
        async with pool.acquire() as conn:
            opt_out = await conn.fetchrow("SELECT * FROM opt_outs WHERE org_id = $1", org.id)
            assert opt_out["keyword"] == "no mas mensajes"
            assert opt_out["channel_id"] == channel.id
            # A silent lead otherwise: the follow-up sweep leaves them alone.
            await conn.execute(
                "UPDATE customers SET status = 'lead', last_inbound_at = $2 WHERE id = $1",
                opt_out["customer_id"],
                sent_at,
            )
            result = await silent.sweep(conn, datetime.now(UTC), CONFIG, org_id=org.id)
            assert result.counts == {}
            assert (
                await conn.fetchval(
                    "SELECT count(*) FROM reply_suggestions WHERE org_id = $1", org.id
                )
                == 0
            )
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)


async def test_a_control_customer_in_the_same_state_is_chased(conn):
    # The counterpart of the test above: without the opt-out the same customer is chased.
    shop = await make_shop(conn)
    await make_customer(conn, shop, last_inbound_at=NOW - timedelta(days=10))
    assert (await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)).counts == {"scheduled": 1}


async def test_opting_out_withdraws_planned_followups_and_undecided_drafts(conn):
    shop = await make_shop(conn)
    customer, _ = await make_customer(conn, shop, last_inbound_at=NOW - timedelta(days=10))
    await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    await due.sweep(conn, NOW, CONFIG, org_id=shop.org.id)  # a draft waits for approval
    other, _ = await make_customer(conn, shop, name="Other", last_inbound_at=NOW)
    later = await conn.fetchval(
        "INSERT INTO followups (org_id, customer_id, due_at, reason) VALUES ($1, $2, $3, 'manual')"
        " RETURNING id",
        shop.org.id,
        customer,
        NOW + timedelta(days=2),
    )
    other_plan = await conn.fetchval(
        "INSERT INTO followups (org_id, customer_id, due_at, reason) VALUES ($1, $2, $3, 'manual')"
        " RETURNING id",
        shop.org.id,
        other,
        NOW + timedelta(days=2),
    )

    assert await record_opt_out(conn, shop.org.id, customer, "unsubscribe")
    draft = await conn.fetchrow(
        "SELECT status, reason FROM reply_suggestions WHERE org_id = $1 AND kind = 'followup'",
        shop.org.id,
    )
    assert dict(draft) == {"status": "expired", "reason": "customer opted out"}
    statuses = dict(
        await conn.fetch("SELECT id, status FROM followups WHERE org_id = $1", shop.org.id)
    )
    assert statuses[later] == "cancelled"
    assert statuses[other_plan] == "scheduled"  # someone else's plans are untouched
