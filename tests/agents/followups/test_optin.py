"""Opting back in: START / UNSTOP / 订阅 / alta lift the customer's own opt-out, follow-ups
resume, and ordinary words (a "yes" inside a sentence) lift nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from agents.drafting.offline import OfflineDrafter
from agents.followups import silent
from agents.followups.optin import detect_opt_in, opt_in_keyword, record_opt_in
from agents.followups.optout import record_opt_out
from agents.memory.service import MemoryService
from agents.pipeline import Pipeline
from channels.intake import Intake
from channels.models import ChannelRef, InboundMessage
from storage.db import transaction
from storage.queue import WorkQueue
from storage.repositories import messages, opt_outs
from tests.agents.test_pipeline import KeywordClassifier
from tests.storage.factories import make_channel, make_org

from .helpers import CONFIG, NOW, make_customer, make_shop


@pytest.mark.parametrize(
    "text",
    [
        "START",
        "start.",
        "Unstop",
        "Subscribe",
        "START please",
        "Please subscribe me again",
        "I want to subscribe again",
        "订阅",
        "重新订阅",
        "我要重新订阅",
        "恢复订阅，谢谢",
        "ALTA",
        "alta por favor",
        "Quiero darme de alta",
        "volver a suscribirme",
    ],
)
def test_re_subscribe_messages_are_detected(text):
    assert detect_opt_in(text)


@pytest.mark.parametrize(
    "text",
    [
        # Words that also answer a question lift nothing (they did, and the answer was lost).
        "YES",
        "Yes",
        "开始",
        "resume",
        "reanudar",
        "Yes, please send the price for 500 pcs of SKU-1",
        "yes we need them by March",
        "When will production start?",
        "Let's start with 200 pieces",
        "Does the subscription include shipping?",
        "La calidad es muy alta",  # "the quality is very high"
        "alta calidad?",
        "请问多少钱？",
        # An opt-out wins over a word it contains: 取消订阅 is "unsubscribe".
        "取消订阅",
        "unsubscribe",
        "STOP",
        "",
        None,
    ],
)
def test_ordinary_words_and_opt_outs_are_not_opt_ins(text):
    assert not detect_opt_in(text)


async def test_start_lifts_the_opt_out_and_is_audited_with_its_time(conn):
    shop = await make_shop(conn)
    customer, _ = await make_customer(conn, shop)
    assert await record_opt_out(conn, shop.org.id, customer, "STOP")
    assert not await record_opt_in(conn, shop.org.id, customer, "yes, 500 pcs please")
    assert await opt_outs.is_opted_out(conn, shop.org.id, customer)

    assert await record_opt_in(conn, shop.org.id, customer, "START", channel_id=shop.channel.id)
    assert not await opt_outs.is_opted_out(conn, shop.org.id, customer)
    assert not await record_opt_in(conn, shop.org.id, customer, "START")  # nothing left to lift
    trail = await conn.fetch(
        "SELECT action, before, after, created_at FROM audit_logs"
        " WHERE org_id = $1 AND entity_id = $2 ORDER BY created_at",
        shop.org.id,
        customer,
    )
    assert [r["action"] for r in trail] == ["customer.opt_out", "customer.opt_in"]
    opted_in = trail[1]
    assert opted_in["before"]["keyword"] == "stop" and opted_in["before"]["opted_out_at"]
    assert opted_in["after"]["keyword"] == opt_in_keyword("START") == "start"
    assert opted_in["after"]["channel_id"] == str(shop.channel.id)
    assert opted_in["created_at"] >= trail[0]["created_at"]


async def test_an_opt_out_set_by_staff_is_not_lifted_by_the_customer(conn):
    shop = await make_shop(conn)
    customer, _ = await make_customer(conn, shop)
    await opt_outs.record(conn, shop.org.id, customer, keyword=None, source="staff")
    assert not await record_opt_in(conn, shop.org.id, customer, "START")
    assert await opt_outs.is_opted_out(conn, shop.org.id, customer)


async def test_follow_ups_stop_after_stop_and_resume_after_start(conn):
    shop = await make_shop(conn)
    customer, _ = await make_customer(conn, shop, last_inbound_at=NOW - timedelta(days=10))
    await record_opt_out(conn, shop.org.id, customer, "BAJA")
    assert (await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)).counts == {}
    # An ordinary "yes" in a sentence changes nothing.
    await record_opt_in(conn, shop.org.id, customer, "yes I saw your catalog, thanks")
    assert (await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)).counts == {}
    await record_opt_in(conn, shop.org.id, customer, "alta")
    assert (await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)).counts == {"scheduled": 1}


async def test_the_pipeline_lifts_an_opt_out_on_start_and_drafts_it_and_other_yeses(
    pool, redis, keys
):
    async with transaction(pool) as conn:
        org = await make_org(conn)
        channel = await make_channel(conn, org, "whatsapp")
    ref = ChannelRef(channel.id, org.id, "whatsapp", {}, channel.webhook_secret)
    intake = Intake(pool, redis, keys, WorkQueue(redis, keys, "intake"))
    pipeline = Pipeline(
        pool, classifiers=KeywordClassifier(), memory=MemoryService(pool), drafter=OfflineDrafter()
    )

    async def say(text: str):
        [stored] = await intake.accept(
            ref,
            [
                InboundMessage(
                    f"SM{uuid.uuid4().hex}",
                    "whatsapp:+52155",
                    datetime.now(UTC),
                    "text",
                    text=text,
                    sender_name="Marta",
                )
            ],
        )
        async with pool.acquire() as conn:
            message = await messages.get(conn, org.id, stored.message_id)
        return message, await pipeline.handle(message)

    try:
        message, outcome = await say("STOP")
        assert outcome.skipped == "the customer opted out of messages"
        async with pool.acquire() as conn:
            assert await opt_outs.is_opted_out(conn, org.id, message.customer_id)
        # The lift is recorded and the message still drafted (it used to be skipped).
        message, outcome = await say("重新订阅")
        assert outcome.skipped is None and outcome.draft is not None
        async with pool.acquire() as conn:
            assert not await opt_outs.is_opted_out(conn, org.id, message.customer_id)
        # "yes" from a customer who is not opted out is an ordinary reply: it gets a draft.
        _, outcome = await say("YES")
        assert outcome.skipped is None and outcome.draft is not None
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)
