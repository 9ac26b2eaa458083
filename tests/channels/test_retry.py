"""The one retry policy: what each classified error makes the sender do."""

from __future__ import annotations

import random
import uuid
from typing import ClassVar

import pytest

from channels.base import Capabilities, ChannelAdapter, ChannelConfig, ChannelEnvironment
from channels.errors import (
    ChannelAuthError,
    PermanentError,
    RateLimited,
    SendError,
    TransientError,
)
from channels.models import Button, ChannelRef, OutboundMessage, SendReceipt
from channels.pacer import Pacer, PlatformLimits, RateLimit
from channels.retry import DeliveryFailed, RetryPolicy, deliver


class ScriptedAdapter(ChannelAdapter):
    """Raises the scripted errors in order, then succeeds; records what it was asked."""

    name = "telegram"
    config_model = ChannelConfig
    capabilities: ClassVar[Capabilities] = Capabilities(buttons=False)

    def __init__(self, script: list[SendError]) -> None:
        ref = ChannelRef(uuid.uuid4(), uuid.uuid4(), "telegram", {}, "s")
        super().__init__(ref, ChannelEnvironment())
        self.script = list(script)
        self.sent: list[OutboundMessage] = []

    def verify(self, request):  # pragma: no cover - not used here
        raise NotImplementedError

    def parse(self, request):  # pragma: no cover - not used here
        raise NotImplementedError

    async def send(self, message: OutboundMessage) -> SendReceipt:
        self.sent.append(message)
        if self.script:
            raise self.script.pop(0)
        return SendReceipt(external_message_id=f"ext-{len(self.sent)}")


class RecordingPacer:
    def __init__(self) -> None:
        self.acquired = 0
        self.pauses: list[float] = []

    async def acquire(self, platform, org_id, channel_id, recipient) -> float:
        self.acquired += 1
        return 0.0

    async def pause(self, platform, org_id, channel_id, seconds) -> None:
        self.pauses.append(seconds)


async def run(adapter, policy=None, message=None):
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    pacer = RecordingPacer()
    receipt = await deliver(
        adapter,
        message or OutboundMessage(recipient_id="42", text="hi"),
        pacer=pacer,
        policy=policy or RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=10),
        org_id=uuid.uuid4(),
        channel_id=uuid.uuid4(),
        sleep=sleep,
    )
    return receipt, pacer, sleeps


async def test_success_first_time_is_paced_once():
    receipt, pacer, sleeps = await run(ScriptedAdapter([]))
    assert receipt.external_message_id == "ext-1"
    assert pacer.acquired == 1 and sleeps == []


async def test_rate_limit_pauses_the_channel_for_what_the_platform_asked():
    adapter = ScriptedAdapter([RateLimited("slow down", retry_after=3)])
    receipt, pacer, _ = await run(adapter)
    assert receipt.external_message_id == "ext-2"
    assert pacer.pauses == [3]
    assert pacer.acquired == 2  # the retry waits for the pacer again


async def test_an_absurd_retry_after_is_capped():
    adapter = ScriptedAdapter([RateLimited("slow down", retry_after=86_400)])
    _, pacer, _ = await run(adapter, RetryPolicy(max_attempts=3, max_delay=10))
    assert pacer.pauses == [10]


async def test_transient_errors_back_off_then_succeed():
    adapter = ScriptedAdapter([TransientError("503"), TransientError("timeout")])
    receipt, _, sleeps = await run(adapter)
    assert receipt.external_message_id == "ext-3"
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0  # full jitter under the ceiling


@pytest.mark.parametrize("error", [PermanentError("bad chat"), ChannelAuthError("bad token")])
async def test_permanent_and_auth_errors_fail_at_once(error):
    adapter = ScriptedAdapter([error])
    with pytest.raises(type(error)):
        await run(adapter)
    assert len(adapter.sent) == 1


async def test_gives_up_after_max_attempts():
    adapter = ScriptedAdapter([TransientError("503")] * 10)
    with pytest.raises(DeliveryFailed) as caught:
        await run(adapter, RetryPolicy(max_attempts=3))
    assert caught.value.attempts == 3
    assert isinstance(caught.value.last, TransientError)
    assert len(adapter.sent) == 3


def test_backoff_grows_and_is_capped():
    policy = RetryPolicy(base_delay=1, max_delay=8)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (9, 8)]:
        samples = [policy.backoff(attempt, rng) for _ in range(200)]
        assert max(samples) <= ceiling
        assert max(samples) > ceiling * 0.8  # it does use the range


async def test_buttons_become_numbered_text_where_a_channel_has_none():
    adapter = ScriptedAdapter([])
    message = OutboundMessage(
        recipient_id="42",
        text="Pick one:",
        buttons=(Button("Yes", "y"), Button("No", "n")),
    )
    await run(adapter, message=message)
    assert adapter.sent[0].buttons == ()
    assert adapter.sent[0].text == "Pick one:\n1. Yes\n2. No"


class PreparingAdapter(ScriptedAdapter):
    """Counts ``prepare`` calls; the first ``prepare_failures`` of them fail transiently."""

    def __init__(self, script: list[SendError], prepare_failures: int = 0) -> None:
        super().__init__(script)
        self.prepared = 0
        self.prepare_failures = prepare_failures

    async def prepare(self, message: OutboundMessage) -> OutboundMessage:
        self.prepared += 1
        if self.prepare_failures:
            self.prepare_failures -= 1
            raise TransientError("upload timed out")
        return OutboundMessage(recipient_id=message.recipient_id, text=f"{message.text} (ready)")


async def test_prepare_runs_once_and_every_retry_sends_its_result():
    adapter = PreparingAdapter([TransientError("503"), RateLimited("slow", retry_after=1)])
    receipt, _, _ = await run(adapter)
    assert receipt.external_message_id == "ext-3"
    assert adapter.prepared == 1
    assert [m.text for m in adapter.sent] == ["hi (ready)"] * 3


async def test_a_transient_failure_to_prepare_is_retried_by_the_policy():
    adapter = PreparingAdapter([], prepare_failures=1)
    receipt, _, sleeps = await run(adapter)
    assert receipt.external_message_id == "ext-1"
    assert adapter.prepared == 2 and len(sleeps) == 1


async def test_a_permanent_failure_to_prepare_sends_nothing():
    class Refusing(ScriptedAdapter):
        async def prepare(self, message):
            raise PermanentError("file too large")

    adapter = Refusing([])
    with pytest.raises(PermanentError):
        await run(adapter)
    assert adapter.sent == []


async def test_a_paused_channel_holds_back_prepare_too(redis, keys):
    """Regression: ``prepare`` (WeCom's download + upload) ran before the pacer, so while a
    rate limit paused the channel every worker kept calling WeCom's upload API. Now nothing
    reaches the platform, upload included, until the pause is over (real Redis pacer, a fake
    clock)."""
    now = {"us": 1_700_000_000_000_000}

    async def sleep(seconds: float) -> None:
        now["us"] += int(seconds * 1_000_000)

    limits = {"telegram": PlatformLimits(RateLimit(100, burst=5), RateLimit(100, burst=5))}
    pacer = Pacer(redis, keys, limits, sleep=sleep, clock_us=lambda: now["us"])
    prepared_at: list[int] = []

    class Uploading(ScriptedAdapter):
        async def prepare(self, message: OutboundMessage) -> OutboundMessage:
            prepared_at.append(now["us"])
            return message

    adapter = Uploading([])
    org_id, channel_id = adapter.ref.org_id, adapter.ref.id
    paused_at = now["us"]
    await pacer.pause("telegram", org_id, channel_id, 30)  # another worker was told 429
    await deliver(
        adapter,
        OutboundMessage(recipient_id="42", text="hi"),
        pacer=pacer,
        policy=RetryPolicy(),
        org_id=org_id,
        channel_id=channel_id,
    )
    assert len(prepared_at) == 1 and len(adapter.sent) == 1
    assert prepared_at[0] - paused_at >= 30 * 1_000_000
