"""Outbound pacing in Redis (GCRA), driven by a fake clock so no test depends on timing."""

from __future__ import annotations

import uuid

import pytest

from channels.pacer import Pacer, PlatformLimits, RateLimit


class FakeTime:
    """A clock in µs and a sleep that advances it instead of waiting."""

    def __init__(self) -> None:
        self.now_us = 1_700_000_000_000_000
        self.slept: list[float] = []

    def clock(self) -> int:
        return self.now_us

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now_us += int(seconds * 1_000_000)


@pytest.fixture
def time_machine() -> FakeTime:
    return FakeTime()


def make_pacer(redis, keys, time_machine, *, per_channel=10.0, burst=1, per_recipient=1.0):
    limits = {
        "telegram": PlatformLimits(
            per_channel=RateLimit(per_channel, burst), per_recipient=RateLimit(per_recipient)
        )
    }
    return Pacer(redis, keys, limits, sleep=time_machine.sleep, clock_us=time_machine.clock)


async def test_sends_to_one_recipient_are_spaced_by_its_rate(redis, keys, time_machine):
    pacer = make_pacer(redis, keys, time_machine, per_channel=100, per_recipient=1)
    org, channel = uuid.uuid4(), uuid.uuid4()
    waits = [await pacer.acquire("telegram", org, channel, "chat-1") for _ in range(4)]
    assert waits[0] == 0
    assert waits[1:] == pytest.approx([1.0, 1.0, 1.0], abs=1e-3)


async def test_channel_rate_caps_all_recipients_together(redis, keys, time_machine):
    pacer = make_pacer(redis, keys, time_machine, per_channel=10, burst=1, per_recipient=100)
    org, channel = uuid.uuid4(), uuid.uuid4()
    for i in range(11):
        await pacer.acquire("telegram", org, channel, f"chat-{i}")
    # 11 sends at 10/s with no burst: the last goes out one second after the first.
    assert sum(time_machine.slept) == pytest.approx(1.0, abs=1e-3)


async def test_burst_lets_the_first_sends_through_at_once(redis, keys, time_machine):
    pacer = make_pacer(redis, keys, time_machine, per_channel=30, burst=30, per_recipient=100)
    org, channel = uuid.uuid4(), uuid.uuid4()
    for i in range(30):
        await pacer.acquire("telegram", org, channel, f"chat-{i}")
    assert time_machine.slept == []
    await pacer.acquire("telegram", org, channel, "one-more")
    assert sum(time_machine.slept) == pytest.approx(1 / 30, abs=1e-3)


async def test_channels_do_not_slow_each_other(redis, keys, time_machine):
    pacer = make_pacer(redis, keys, time_machine, per_channel=1, burst=1, per_recipient=1)
    org = uuid.uuid4()
    for _ in range(3):
        await pacer.acquire("telegram", org, uuid.uuid4(), "chat")
    assert time_machine.slept == []


async def test_pause_holds_every_sender_of_the_channel(redis, keys, time_machine):
    pacer = make_pacer(redis, keys, time_machine, per_channel=30, burst=30, per_recipient=100)
    org, channel = uuid.uuid4(), uuid.uuid4()
    await pacer.pause("telegram", org, channel, 3.0)
    waited = await pacer.acquire("telegram", org, channel, "someone-else")
    assert waited == pytest.approx(3.0, abs=0.01)


async def test_unknown_platform_is_not_paced(redis, keys, time_machine):
    pacer = make_pacer(redis, keys, time_machine)
    assert await pacer.acquire("carrier-pigeon", uuid.uuid4(), uuid.uuid4(), "x") == 0


async def test_limits_are_shared_between_pacer_instances(redis, keys, time_machine):
    """Two processes (two Pacer objects) draw from the same budget in Redis."""
    first = make_pacer(redis, keys, time_machine, per_channel=100, per_recipient=1)
    second = make_pacer(redis, keys, time_machine, per_channel=100, per_recipient=1)
    org, channel = uuid.uuid4(), uuid.uuid4()
    assert await first.acquire("telegram", org, channel, "chat") == 0
    assert await second.acquire("telegram", org, channel, "chat") == pytest.approx(1.0, abs=1e-3)
