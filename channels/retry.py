"""The one retry policy for sends: classified errors decide, nothing else counts attempts.

- :class:`RateLimited`: wait what the platform asked (capped), pause the whole channel.
- :class:`TransientError`: exponential backoff with full jitter, capped.
- anything else (:class:`ChannelAuthError`, :class:`PermanentError`): fail at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .base import ChannelAdapter
from .errors import RateLimited, SendError, TransientError
from .models import OutboundMessage, SendReceipt
from .pacer import Pacer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return (rng or random).uniform(0, ceiling)


class DeliveryFailed(SendError):
    """Every attempt failed; ``last`` is the final classified error."""

    def __init__(self, last: SendError, attempts: int) -> None:
        super().__init__(f"gave up after {attempts} attempt(s): {last.reason}", code=last.code)
        self.last = last
        self.attempts = attempts


async def deliver(
    adapter: ChannelAdapter,
    message: OutboundMessage,
    *,
    pacer: Pacer,
    policy: RetryPolicy,
    org_id: uuid.UUID,
    channel_id: uuid.UUID,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> SendReceipt:
    """Pace, prepare once, send, and retry by the policy. Raises the permanent error, or
    DeliveryFailed.

    The adapter's ``prepare`` (a WeCom media upload) runs in the first attempt, after the
    pacer let it through: it calls the platform too, so while a rate limit pauses the channel
    no worker may upload either. Its result is what every retry sends; if preparing itself
    fails transiently, the next attempt prepares again, but a prepared message is never
    prepared twice."""
    message = adapter.degrade(message)
    prepared = False
    last: SendError | None = None
    for attempt in range(1, policy.max_attempts + 1):
        try:
            await pacer.acquire(adapter.name, org_id, channel_id, message.recipient_id)
            if not prepared:
                message = await adapter.prepare(message)
                prepared = True
            return await adapter.send(message)
        except RateLimited as err:
            last = err
            delay = min(err.retry_after, policy.max_delay)
            await pacer.pause(adapter.name, org_id, channel_id, delay)
            log.warning(
                "rate limited by %s (channel=%s attempt=%d): waiting %.1fs",
                adapter.name,
                channel_id,
                attempt,
                delay,
            )
        except TransientError as err:
            last = err
            delay = policy.backoff(attempt)
            log.warning(
                "transient send error on %s (channel=%s attempt=%d): %s; retrying in %.2fs",
                adapter.name,
                channel_id,
                attempt,
                err.reason,
                delay,
            )
            await sleep(delay)
    assert last is not None
    raise DeliveryFailed(last, policy.max_attempts)
