"""Opt-out phrases about goods, or long messages, are not opt-outs; a phrase opt-out still
reaches a person; "Yes" after STOP keeps the opt-out.

Regression (review): sentence phrases matched anywhere in a message of any length, and the
pipeline then dropped the message with no draft — "Don't send me the blue ones, I want 200 red
ones" and a damage complaint ("不想再收到破损的货了") silenced the buyer and staff never saw
them. A bare "Yes" (also "开始", "resume") lifted an opt-out and the message was skipped, so a
customer who had said STOP lost the answer to "shall I send the quote?" and got follow-ups again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from agents.drafting.offline import OfflineDrafter
from agents.followups.keywords import SHORT_WORDS
from agents.followups.optin import detect_opt_in
from agents.followups.optout import detect_opt_out, opt_out_match
from agents.memory.service import MemoryService
from agents.pipeline import Pipeline
from channels.intake import Intake
from channels.models import ChannelRef, InboundMessage
from storage.db import transaction
from storage.queue import WorkQueue
from storage.repositories import messages, opt_outs
from tests.agents.test_pipeline import KeywordClassifier
from tests.storage.factories import make_channel, make_org

NOT_OPT_OUTS = [
    # about goods, not about our messages
    "Don't send me the blue ones, I want 200 red ones",
    "不想再收到破损的货了，这次请仔细包装",
    "Please do not send me any more samples",
    "stop sending these cartons by sea",
    "停止发送样品",
    "不要再发样品了",
    "no me envíen más muestras",
    "我想退订单",  # "I want to return the order" contains 退订
    "Quiero dar de baja mi pedido",
    "不要再联系那个供应商了",  # "don't contact that supplier any more"
    # another channel or another person, not "stop"
    "No quiero más mensajes de voz, mejor escríbeme",
    "don't text me, call me instead",
    "stop messaging my assistant",
    # Regression (review 2): a later clause asking for another channel, a "promotion code" or a
    # "waiting list" were recorded as opt-outs, and a whole-message "Alto" ("tall", an answer
    # about a product) opted out with no draft.
    "dont call me, text me",
    "stop texting me the tracking number, just email it",
    "Don't message me on WhatsApp, email me",
    "no me manden mensajes, por correo mejor",
    "别再给我发消息了，发邮件给我",
    "stop the promotion code, it does not work",
    "remove me from the waiting list",
    "Alto",
    # a phrase inside a long message is more likely about something else
    "We got the invoice, please stop sending me messages on the old number and use the new one",
]


@pytest.mark.parametrize("text", NOT_OPT_OUTS)
def test_phrases_about_goods_other_channels_or_in_long_messages_are_not_opt_outs(text):
    assert not detect_opt_out(text)


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("STOP", True),
        ("退订 谢谢", True),
        ("BAJA por favor", True),
        ("停止发送", True),
        ("Please stop sending me messages", False),
        ("stop messaging me", False),
        ("I don't want any more promotions", False),
        ("please remove me from your mailing list", False),
        ("请不要再联系我", False),
        ("我不想再收到你们的消息", False),
        ("别再给我发广告了", False),
        ("No quiero recibir más mensajes", False),
        ("dejen de contactarme", False),
        ("no me envíen más mensajes", False),
        ("Alto por favor", False),
        ("stop texting me, thanks", False),
        ("stop the promotions", False),
        ("别再发广告了，打电话也不要", False),  # refuses the other channel too
        ("stop sending me messages, and dont call me either", False),
    ],
)
def test_real_opt_outs_say_whether_they_were_the_whole_message(text, whole):
    match = opt_out_match(text)
    assert match is not None and match.whole_message is whole


def test_opt_out_and_opt_in_phrases_share_one_length_limit():
    padding = " ".join(["ok"] * SHORT_WORDS)
    assert detect_opt_out("please stop sending me messages") and detect_opt_in("resubscribe me")
    assert not detect_opt_out(f"please stop sending me messages {padding}")
    assert not detect_opt_in(f"resubscribe me {padding}")
    # A whole-message keyword has no phrase to be long around.
    assert detect_opt_out("STOP") and detect_opt_in("START")


async def test_pipeline_drafts_false_positives_escalates_phrases_and_keeps_stop_on_yes(
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

    async def say(text: str, sender: str):
        [stored] = await intake.accept(
            ref,
            [
                InboundMessage(
                    f"SM{uuid.uuid4().hex}",
                    sender,
                    datetime.now(UTC),
                    "text",
                    text=text,
                    sender_name="Marta",
                )
            ],
        )
        async with pool.acquire() as conn:
            message = await messages.get(conn, org.id, stored.message_id)
        outcome = await pipeline.handle(message)
        async with pool.acquire() as conn:
            opted = await opt_outs.is_opted_out(conn, org.id, message.customer_id)
            status = await conn.fetchval(
                "SELECT status FROM reply_suggestions WHERE org_id = $1 AND message_id = $2",
                org.id,
                message.id,
            )
        return outcome, opted, status

    try:
        # Not opt-outs: drafted like any message, and the buyer is not silenced.
        not_opt_outs = (
            "Don't send me the blue ones, I want 200 red ones",
            NOT_OPT_OUTS[1],
            "Alto",
            "dont call me, text me",
        )
        for text in not_opt_outs:
            outcome, opted, status = await say(text, "whatsapp:+52155")
            assert outcome.skipped is None and outcome.draft is not None, text
            assert status is not None and not opted, text

        # A phrase opt-out: recorded, and a person sees the message (escalated, never sent alone).
        outcome, opted, status = await say("Please stop sending me messages", "whatsapp:+52166")
        assert opted and outcome.skipped is None and outcome.draft is not None
        assert outcome.decision.action == "escalate" and status == "escalated"

        # A bare STOP needs no answer; "Yes" afterwards answers a question and keeps the opt-out.
        outcome, opted, status = await say("STOP", "whatsapp:+52177")
        assert opted and outcome.skipped == "the customer opted out of messages"
        assert status is None
        outcome, opted, status = await say("Yes", "whatsapp:+52177")
        assert opted and outcome.skipped is None and outcome.draft is not None
        assert status is not None

        # START lifts it, and is drafted too (it used to be skipped).
        outcome, opted, status = await say("START", "whatsapp:+52177")
        assert not opted and outcome.skipped is None and outcome.draft is not None
        assert status is not None
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)
