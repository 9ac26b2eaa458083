"""The app's start -> serve -> stop round trip, with the real server and services."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest

from bot.roles import RoleContext, run_roles
from bot.runtime import open_runtime
from bot.services import open_services
from bot.settings import load_settings


@pytest.fixture
def settings(monkeypatch, database_url, redis_url, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("TRADEMATE__APP__DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRADEMATE__REDIS__NAMESPACE", f"life{uuid.uuid4().hex[:8]}")
    return load_settings()


async def test_services_open_and_close_in_order(settings):
    async with open_services(settings, with_vectors=True) as services:
        assert await services.redis.ping()
        async with services.pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM schema_migrations") > 0
        vectors = services.require_vectors()
        assert await vectors.count(uuid.uuid4(), "knowledge") == 0
    assert services.pool.is_closing()
    # Qdrant local mode released its lock: it can be opened again at once.
    async with open_services(settings, with_vectors=True) as again:
        assert again.vectors is not None


async def test_all_roles_serve_health_and_stop_cleanly(settings):
    async with open_services(settings) as services, open_runtime(services) as runtime:
        stop = asyncio.Event()
        bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        ctx = RoleContext(services, runtime, "127.0.0.1", 0, stop, bound)
        task = asyncio.create_task(run_roles(ctx, ["web", "worker", "scheduler"]))
        port = await asyncio.wait_for(bound, 60)  # slow imports on a loaded machine
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 200
            body = await response.json()
        assert body == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}
        stop.set()
        await asyncio.wait_for(task, 60)
        assert task.done() and task.exception() is None


async def test_health_reports_a_dead_dependency(settings):
    async with open_services(settings) as services, open_runtime(services) as runtime:
        await services.redis.aclose()
        services.redis = type(services.redis).from_url("redis://127.0.0.1:1")  # nothing listens
        stop = asyncio.Event()
        bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(
            run_roles(RoleContext(services, runtime, "127.0.0.1", 0, stop, bound), ["web"])
        )
        port = await asyncio.wait_for(bound, 60)  # slow imports on a loaded machine
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 503
            body = await response.json()
        stop.set()
        await task
        await services.redis.aclose()
    assert body["checks"]["postgres"] == "ok"
    assert body["checks"]["redis"].startswith("error")


async def test_unknown_role_is_refused(settings):
    async with open_services(settings) as services, open_runtime(services) as runtime:
        ctx = RoleContext(services, runtime, "127.0.0.1", 0, asyncio.Event())
        with pytest.raises(ValueError, match="unknown role"):
            await run_roles(ctx, ["mailer"])
