"""The channel runtime: hub, queues, intake, pacer and sender, built from settings.

Kept apart from :mod:`bot.services` (which opens connections) because it only assembles
objects over them; everything here that holds sockets is closed by ``aclose``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from channels.base import ChannelEnvironment
from channels.hub import ChannelHub
from channels.intake import Intake
from channels.pacer import Pacer, PlatformLimits, RateLimit
from channels.retry import RetryPolicy
from channels.sender import Sender
from channels.tokens import RedisTokenCache
from storage.queue import WorkQueue

from .services import Services
from .settings import Settings
from .worker import MessageHandler, Worker, WorkerConfig, no_pipeline

INTAKE_STREAM = "intake"
OUTBOUND_STREAM = "outbound"


@dataclass
class ChannelRuntime:
    env: ChannelEnvironment
    hub: ChannelHub
    intake_queue: WorkQueue
    outbound_queue: WorkQueue
    intake: Intake
    pacer: Pacer
    sender: Sender

    def worker(self, services: Services, handler: MessageHandler = no_pipeline) -> Worker:
        w = services.settings.worker
        return Worker(
            services.pool,
            self.intake_queue,
            self.outbound_queue,
            self.sender,
            handler,
            WorkerConfig(
                concurrency=w.concurrency,
                lease_seconds=w.lease_seconds,
                max_attempts=w.max_attempts,
                reconcile_every=w.reconcile_every,
                pending_grace_seconds=w.pending_grace_seconds,
                claim_idle_seconds=w.claim_idle_seconds,
            ),
        )

    async def aclose(self) -> None:
        await self.intake.aclose()  # answer every webhook whose batch is in flight
        await self.hub.aclose()


def channel_environment(settings: Settings, services: Services) -> ChannelEnvironment:
    return ChannelEnvironment(
        public_url=settings.app.public_url,
        api_bases={k: v for k, v in settings.channels.api_base.items() if v},
        http_timeout=settings.channels.http_timeout,
        token_cache=RedisTokenCache(services.redis, services.keys),
    )


def build_runtime(services: Services) -> ChannelRuntime:
    settings = services.settings
    env = channel_environment(settings, services)
    hub = ChannelHub(services.pool, services.secrets, env, ttl=settings.channels.cache_seconds)
    intake_queue = WorkQueue(services.redis, services.keys, INTAKE_STREAM)
    outbound_queue = WorkQueue(services.redis, services.keys, OUTBOUND_STREAM)
    limits = {
        platform: PlatformLimits(
            per_channel=RateLimit(rate.per_channel, rate.burst),
            per_recipient=RateLimit(rate.per_recipient, 1),
        )
        for platform, rate in settings.channels.rate_limits.items()
    }
    pacer = Pacer(services.redis, services.keys, limits)
    retry = settings.channels.send_retry
    policy = RetryPolicy(retry.max_attempts, retry.base_delay, retry.max_delay)
    return ChannelRuntime(
        env=env,
        hub=hub,
        intake_queue=intake_queue,
        outbound_queue=outbound_queue,
        intake=Intake(services.pool, services.redis, services.keys, intake_queue),
        pacer=pacer,
        sender=Sender(services.pool, hub, pacer, policy),
    )


@asynccontextmanager
async def open_runtime(services: Services) -> AsyncIterator[ChannelRuntime]:
    runtime = build_runtime(services)
    try:
        yield runtime
    finally:
        await runtime.aclose()
