"""Which Telegram updates are the staff bot's and which are customers' (the gate before intake).

The gate decides on normalized fields only: the sender's linked account, the command, the
button's prefix and the chat type. Answering is the staff bot's job (recorded here)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from bot.staff_bot.frontend import StaffGate
from channels.base import ChannelEnvironment
from channels.models import ChannelRef, InboundMessage
from channels.registry import build_adapter
from storage.db import transaction
from storage.repositories import users
from tests.fakes.telegram_api import DEFAULT_TOKEN
from tests.storage.factories import make_channel, make_org

STAFF, STRANGER = 61001, 61002


@pytest.fixture
async def gate(pool, redis, keys):
    async with transaction(pool) as conn:
        org = await make_org(conn)
        channel = await make_channel(conn, org, "telegram")
        agent = await users.create(conn, org.id, "ana@shop.test", "agent")
        await users.link_telegram(conn, org.id, agent.id, STAFF)
    ref = ChannelRef(channel.id, org.id, "telegram", {"bot_token": DEFAULT_TOKEN}, "secret")
    adapter = build_adapter(ref, ChannelEnvironment())
    services = SimpleNamespace(pool=pool, redis=redis, keys=keys)
    staff_gate = StaffGate(services, cards=None, approvals=None)
    answered: list[tuple[InboundMessage, object]] = []

    async def record(bot, org_id, channel_id, message, user):
        answered.append((message, user))

    staff_gate.bot.handle = record  # what the staff bot would answer is tested elsewhere
    try:
        yield SimpleNamespace(gate=staff_gate, ref=ref, adapter=adapter, answered=answered)
    finally:
        await adapter.aclose()
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)


def update(sender: int, text: str | None = None, *, button: str | None = None, chat="private"):
    extra: dict = {"chat_type": chat} if button is None else {}
    if text and text.startswith("/"):
        name, _, rest = text.partition(" ")
        extra.update(command=name, command_args=rest)
    return InboundMessage(
        f"{sender}:{uuid.uuid4().int % 10**9}", str(sender), datetime.now(UTC),
        "button" if button else "text", text=text, button_payload=button,
        chat_id=str(sender), extra=extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("message", "staff"),
    [
        (update(STRANGER, "Hi, do you ship to Spain?"), False),
        (update(STRANGER, "/start"), False),  # customers may start the bot
        (update(STRANGER, "/help"), False),
        (update(STRANGER, "/inbox"), True),  # a staff command: told how to link
        (update(STRANGER, "/link ABCD-EFGH"), True),
        (update(STRANGER, button="ap:approve:" + str(uuid.UUID(int=1))), True),
        (update(STRANGER, button="size:XL"), False),  # a customer-facing button
        (update(STAFF, "good morning"), True),
        (update(STAFF, "/start"), True),
        (update(STAFF, "see you at 5", chat="group"), False),  # part of a group conversation
        (update(STAFF, "/inbox", chat="group"), True),
    ],
)
async def test_the_gate_routes_staff_updates_and_leaves_customers_alone(gate, message, staff):
    left = await gate.gate.divert(gate.ref, gate.adapter, (message,))
    await asyncio.gather(*gate.gate._tasks)
    assert (left == ()) is staff
    assert [m for m, _ in gate.answered] == ([message] if staff else [])


async def test_a_redelivered_staff_update_is_answered_once(gate):
    message = update(STAFF, "/inbox")
    for _ in range(3):
        assert await gate.gate.divert(gate.ref, gate.adapter, (message,)) == ()
    await asyncio.gather(*gate.gate._tasks)
    [(answered, user)] = gate.answered
    assert answered is message and user.telegram_user_id == STAFF


async def test_other_platforms_pass_through_untouched(gate):
    whatsapp = ChannelRef(uuid.uuid4(), gate.ref.org_id, "whatsapp", {}, "x")
    message = update(STAFF, "/inbox")
    assert await gate.gate.divert(whatsapp, gate.adapter, (message,)) == (message,)


async def test_closing_cancels_answers_that_outlive_the_wait(gate):
    """Regression: aclose waited at most 10 s and returned with answers still running; the
    app then closed the studio (and its LLM gateway) under them. Now what still runs after
    the wait is cancelled and awaited before aclose returns."""
    started, finished, cancelled = asyncio.Event(), [], []

    async def slow(bot, org_id, channel_id, message, user):
        started.set()
        try:
            await asyncio.Event().wait()  # a studio command that never ends
        except asyncio.CancelledError:
            cancelled.append(message)
            raise
        finished.append(message)

    gate.gate.bot.handle = slow
    message = update(STAFF, "/inbox")
    await gate.gate.divert(gate.ref, gate.adapter, (message,))
    [task] = gate.gate._tasks
    await started.wait()
    await gate.gate.aclose(grace=0.01)
    assert task.cancelled() and cancelled == [message] and finished == []
    assert not gate.gate._tasks
