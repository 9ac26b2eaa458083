"""Outbound pacing shared by every process: a GCRA rate limiter in Redis.

Each limit is a key holding a "theoretical arrival time" (TAT). A send may go when every
limit it is subject to (the channel's, the recipient's) allows it; otherwise the caller
sleeps for the time the script returns and asks again. Redis' own clock is used, so
processes on different hosts agree. When a platform answers 429 with a retry-after,
:meth:`Pacer.pause` pushes the channel's TAT forward so *all* senders back off, not just
the one that was told.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis

from storage.redis_client import Keys

# KEYS: limit keys. ARGV[1]: now in µs (0: use Redis' clock), then (interval_us, burst_us)
# per key. Returns µs to wait (0 = go; the send is then counted).
_NOW = """
local now = tonumber(ARGV[1])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
"""
_GCRA = (
    _NOW
    + """
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  tats[i] = tat
  local allow_at = tat + interval - burst
  if allow_at > now and allow_at - now > wait then wait = allow_at - now end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local new_tat = tats[i] + interval
  local ttl_ms = math.ceil((new_tat - now) / 1000) + 1000
  redis.call('SET', key, string.format('%.0f', new_tat), 'PX', ttl_ms)
end
return 0
"""
)

# KEYS[1]: the channel's limit key. ARGV[1]: now in µs (0: Redis' clock), ARGV[2]: µs.
_PAUSE = (
    _NOW
    + """
local until_ts = now + tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
if until_ts > tat then
  local ttl_ms = math.ceil(tonumber(ARGV[2]) / 1000) + 1000
  redis.call('SET', KEYS[1], string.format('%.0f', until_ts), 'PX', ttl_ms)
end
return 0
"""
)


@dataclass(frozen=True)
class RateLimit:
    """``per_second`` sends on average, with up to ``burst`` at once."""

    per_second: float
    burst: int = 1

    @property
    def interval_us(self) -> int:
        return round(1_000_000 / self.per_second)

    @property
    def burst_us(self) -> int:
        return self.interval_us * max(self.burst, 1)


@dataclass(frozen=True)
class PlatformLimits:
    per_channel: RateLimit
    per_recipient: RateLimit


class Pacer:
    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        limits: dict[str, PlatformLimits],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock_us: Callable[[], int] | None = None,
    ) -> None:
        """``clock_us`` replaces Redis' clock (tests drive time with it); production leaves
        it None so every process reads the same clock."""
        self.redis = redis
        self.keys = keys
        self.limits = limits
        self.sleep = sleep
        self.clock_us = clock_us
        self._gcra = redis.register_script(_GCRA)
        self._pause = redis.register_script(_PAUSE)

    async def acquire(
        self, platform: str, org_id: uuid.UUID, channel_id: uuid.UUID, recipient: str
    ) -> float:
        """Wait until this send is allowed; returns the seconds waited."""
        limits = self.limits.get(platform)
        if limits is None:
            return 0.0
        keys = [
            self._channel_key(org_id, channel_id),
            self.keys.org(org_id, "pace", channel_id, "to", recipient),
        ]
        args = [
            0,  # replaced by the injected clock on each try, if any
            limits.per_channel.interval_us,
            limits.per_channel.burst_us,
            limits.per_recipient.interval_us,
            limits.per_recipient.burst_us,
        ]
        waited = 0.0
        while True:
            args[0] = self._now()
            wait_us = int(await self._gcra(keys=keys, args=args))
            if wait_us <= 0:
                return waited
            await self.sleep(wait_us / 1_000_000)
            waited += wait_us / 1_000_000

    async def pause(
        self, platform: str, org_id: uuid.UUID, channel_id: uuid.UUID, seconds: float
    ) -> None:
        """Hold every sender of this channel back for ``seconds`` (the platform said so)."""
        pause_us = int(seconds * 1_000_000)
        limits = self.limits.get(platform)
        if limits is not None:
            # The burst allowance would let sends through early; push the TAT past it.
            pause_us += limits.per_channel.burst_us - limits.per_channel.interval_us
        await self._pause(
            keys=[self._channel_key(org_id, channel_id)], args=[self._now(), pause_us]
        )

    def _now(self) -> int:
        return 0 if self.clock_us is None else self.clock_us()

    def _channel_key(self, org_id: uuid.UUID, channel_id: uuid.UUID) -> str:
        return self.keys.org(org_id, "pace", channel_id)
