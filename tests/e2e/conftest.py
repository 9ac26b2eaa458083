"""The whole service on real servers: HTTP webhooks in, workers, fake platform APIs out.

``stack`` starts TradeMate's web and worker roles exactly as ``trademate serve`` does, on a
free loopback port, with every platform API pointed at a local fake that speaks its wire
format. Tests talk to it over HTTP and read the database.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest

from bot.roles import RoleContext, run_roles
from bot.runtime import ChannelRuntime, open_runtime
from bot.services import Services, open_services
from bot.settings import load_settings
from channels.models import ChannelRef
from storage.db import transaction
from storage.repositories import channels as channel_repo
from storage.repositories import organizations
from tests.conftest import wipe_namespace
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.fakes.wechat_api import FakeWeChatAPI, FakeWeComAPI


@dataclass
class Fakes:
    telegram: FakeTelegramAPI
    twilio: FakeTwilioAPI
    wechat: FakeWeChatAPI
    wecom: FakeWeComAPI


@dataclass
class Stack:
    services: Services
    runtime: ChannelRuntime
    base_url: str
    fakes: Fakes
    http: aiohttp.ClientSession
    org_id: uuid.UUID
    handled: list[uuid.UUID] = field(default_factory=list)

    async def add_channel(self, platform: str, config: dict) -> ChannelRef:
        async with transaction(self.services.pool) as conn:
            row = await channel_repo.create(
                conn,
                self.org_id,
                platform,
                f"{platform}-{uuid.uuid4().hex[:6]}",
                config_encrypted=self.services.secrets.encrypt(config),
                webhook_secret=secrets.token_urlsafe(24),
            )
        return ChannelRef(row.id, row.org_id, platform, config, row.webhook_secret)

    def url(self, ref: ChannelRef, query: str = "") -> str:
        return f"{self.base_url}/webhooks/{ref.platform}/{ref.id}{query}"

    async def fetch(self, sql: str, *args):
        async with self.services.pool.acquire() as conn:
            return await conn.fetch(sql, *args)

    async def wait_for(self, sql: str, *args, expect=True, limit: float = 30.0):
        """Poll until the query's first value equals ``expect`` (workers run in tasks)."""
        async with asyncio.timeout(limit):
            while True:
                async with self.services.pool.acquire() as conn:
                    value = await conn.fetchval(sql, *args)
                if value == expect:
                    return value
                await asyncio.sleep(0.02)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    async with (
        FakeTelegramAPI() as telegram,
        FakeTwilioAPI() as twilio,
        FakeWeChatAPI() as wechat,
        FakeWeComAPI() as wecom,
    ):
        yield Fakes(telegram, twilio, wechat, wecom)


@pytest.fixture
async def stack(monkeypatch, database_url, redis_url, tmp_path, fakes) -> AsyncIterator[Stack]:
    port = _free_port()
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TRADEMATE__APP__DATA_DIR": str(tmp_path / "var"),
        "TRADEMATE__APP__PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TRADEMATE__REDIS__NAMESPACE": f"e2e{uuid.uuid4().hex[:8]}",
        "TRADEMATE__CHANNELS__API_BASE__TELEGRAM": fakes.telegram.base_url,
        "TRADEMATE__CHANNELS__API_BASE__WHATSAPP": fakes.twilio.base_url,
        "TRADEMATE__CHANNELS__API_BASE__WECHAT": fakes.wechat.base_url,
        "TRADEMATE__CHANNELS__API_BASE__WECOM": fakes.wecom.base_url,
        "TRADEMATE__CHANNELS__SEND_RETRY__BASE_DELAY": "0.05",
        "TRADEMATE__WORKER__RECONCILE_EVERY": "0.5",
        "TRADEMATE__WORKER__PENDING_GRACE_SECONDS": "2",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    handled: list[uuid.UUID] = []

    async def handler(message) -> None:
        handled.append(message.id)

    async with (
        open_services(settings) as services,
        open_runtime(services) as runtime,
        aiohttp.ClientSession() as http,
    ):
        async with transaction(services.pool) as conn:
            org = await organizations.create(conn, f"E2E {uuid.uuid4().hex[:6]}")
        stop = asyncio.Event()
        bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        ctx = RoleContext(services, runtime, "127.0.0.1", port, stop, bound, handler)
        roles = asyncio.create_task(run_roles(ctx, ["web", "worker"]))
        await asyncio.wait_for(bound, 60)  # start-up imports are slow on a loaded 2-core box
        try:
            yield Stack(services, runtime, f"http://127.0.0.1:{port}", fakes, http, org.id, handled)
        finally:
            stop.set()
            await asyncio.wait_for(roles, 60)
            async with services.pool.acquire() as conn:
                await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)
            await wipe_namespace(services.redis, settings.redis.namespace)
