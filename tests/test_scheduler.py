"""The scheduler role: APScheduler jobs from config, a clean start and stop, sweeps that run
through it, and two instances against one database doing each follow-up exactly once."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from agents.followups import due, silent
from bot.roles import RoleContext, run_roles
from bot.scheduler import SweepScheduler
from bot.services import Services
from bot.settings import ConfigError, load_settings
from storage.crypto import SecretBox, generate_key
from storage.db import create_pool, transaction
from storage.repositories import followups
from tests.agents.followups.helpers import CONFIG, NOW, make_customer, make_shop


@pytest.fixture
def settings(monkeypatch, tmp_path):
    monkeypatch.setenv("TRADEMATE__APP__DATA_DIR", str(tmp_path / "var"))
    return load_settings()


def _services(settings, pool, redis, keys, database_url, redis_url) -> Services:
    return Services(
        settings=settings,
        pool=pool,
        redis=redis,
        keys=keys,
        secrets=SecretBox(generate_key()),
        database_url=database_url,
        redis_url=redis_url,
    )


@pytest.fixture
def services(settings, pool, redis, keys, database_url, redis_url) -> Services:
    return _services(settings, pool, redis, keys, database_url, redis_url)


@pytest.fixture
async def committed_shop(pool):
    """An org whose rows are committed (sweeps run on their own connections); removed after."""
    async with transaction(pool) as conn:
        shop = await make_shop(conn, "telegram")
    try:
        yield shop
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", shop.org.id)


def test_jobs_are_registered_from_config(services):
    scheduler = SweepScheduler(services)
    jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
    configured = services.settings.scheduler.sweeps
    assert set(jobs) == {name for name, s in configured.items() if s.enabled}
    assert set(jobs) >= {"silent_customers", "due_followups", "quotes", "memory_decay"}
    assert isinstance(jobs["memory_decay"].trigger, CronTrigger)
    assert isinstance(jobs["due_followups"].trigger, IntervalTrigger)
    assert jobs["due_followups"].trigger.interval == timedelta(
        seconds=configured["due_followups"].every_seconds
    )


def test_disabled_sweeps_are_not_scheduled_and_unknown_ones_refused(monkeypatch, tmp_path, pool):
    monkeypatch.setenv("TRADEMATE__APP__DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRADEMATE__SCHEDULER__SWEEPS__QUOTES__ENABLED", "false")
    settings = load_settings()
    scheduler = SweepScheduler(_services(settings, pool, None, None, "", ""))
    assert "quotes" not in {job.id for job in scheduler.scheduler.get_jobs()}

    monkeypatch.setenv("TRADEMATE__SCHEDULER__SWEEPS__NOPE__EVERY_SECONDS", "5")
    with pytest.raises(ConfigError, match="nope"):
        SweepScheduler(_services(load_settings(), pool, None, None, "", ""))


async def test_scheduler_role_starts_and_stops_cleanly(services, caplog):
    caplog.set_level(logging.INFO, logger="bot.scheduler")
    stop = asyncio.Event()
    ctx = RoleContext(services, runtime=None, host="127.0.0.1", port=0, stop=stop)  # type: ignore[arg-type]
    role = asyncio.create_task(run_roles(ctx, ["scheduler"]))
    await asyncio.sleep(0.05)
    assert not role.done()  # running until told to stop
    stop.set()
    await asyncio.wait_for(role, timeout=30)
    assert role.exception() is None
    started = [r.getMessage() for r in caplog.records if "scheduler started" in r.getMessage()]
    assert started and "due_followups" in started[0]
    assert any("scheduler stopped" in r.getMessage() for r in caplog.records)


async def test_a_sweep_run_by_the_scheduler_drafts_and_announces(
    services, committed_shop, pool, redis, keys
):
    shop = committed_shop
    async with transaction(pool) as conn:
        _, conversation = await make_customer(
            conn, shop, language="es", last_inbound_at=NOW - timedelta(days=5)
        )
    pushed: list[tuple[uuid.UUID, uuid.UUID]] = []

    async def notifier(org_id, suggestion_id) -> int:
        pushed.append((org_id, suggestion_id))
        return 1

    scheduler = SweepScheduler(services, clock=lambda: NOW, notifier=notifier)
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.org(shop.org.id, "events"))
    try:
        planned = await scheduler.run_sweep("silent_customers")
        assert planned is not None and planned.counts.get("scheduled", 0) >= 1
        drafted = await scheduler.run_sweep("due_followups")
        assert drafted is not None and drafted.counts.get("drafted", 0) >= 1
        event = None
        async with asyncio.timeout(10):
            while event is None or event["type"] != "suggestion.created":
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                event = json.loads(message["data"]) if message else None
    finally:
        await pubsub.aclose()
    assert event["conversation_id"] == str(conversation) and event["kind"] == "followup"
    assert (shop.org.id, uuid.UUID(event["suggestion_id"])) in pushed  # the approval card
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT kind, status, language FROM reply_suggestions WHERE id = $1",
            uuid.UUID(event["suggestion_id"]),
        )
    assert dict(row) == {"kind": "followup", "status": "pending", "language": "es"}


async def test_two_instances_create_each_followup_exactly_once(committed_shop, pool, database_url):
    shop = committed_shop
    async with transaction(pool) as conn:
        for i in range(12):
            await make_customer(
                conn, shop, name=f"buyer {i}", last_inbound_at=NOW - timedelta(days=4, minutes=i)
            )
    # Two scheduler processes: separate pools, small batches so their runs interleave.
    configs = [replace(CONFIG, batch_size=3, worker=f"instance-{n}") for n in (1, 2)]
    pools = [await create_pool(database_url, min_size=1, max_size=2) for _ in configs]
    try:

        async def instance(p, config, sweep):
            totals: dict[str, int] = {}
            for _ in range(10):
                async with p.acquire() as conn:
                    result = await sweep(conn, NOW, config, org_id=shop.org.id)
                for key, n in result.counts.items():
                    totals[key] = totals.get(key, 0) + n
            return totals

        planned = await asyncio.gather(
            *(instance(p, c, silent.sweep) for p, c in zip(pools, configs, strict=True))
        )
        drafted = await asyncio.gather(
            *(instance(p, c, due.sweep) for p, c in zip(pools, configs, strict=True))
        )
    finally:
        for p in pools:
            await p.close()

    assert sum(t.get("scheduled", 0) for t in planned) == 12
    assert sum(t.get("drafted", 0) for t in drafted) == 12
    async with pool.acquire() as conn:
        per_customer = await conn.fetch(
            """
            SELECT f.customer_id, count(*) AS n, count(DISTINCT f.suggestion_id) AS drafts
            FROM followups f WHERE f.org_id = $1 GROUP BY f.customer_id
            """,
            shop.org.id,
        )
        suggestions = await conn.fetchval(
            "SELECT count(*) FROM reply_suggestions WHERE org_id = $1 AND kind = 'followup'",
            shop.org.id,
        )
        claimed_by = await conn.fetch(
            "SELECT DISTINCT claimed_by FROM followups WHERE org_id = $1", shop.org.id
        )
    assert len(per_customer) == 12
    assert all(r["n"] == 1 and r["drafts"] == 1 for r in per_customer)
    assert suggestions == 12
    assert {r["claimed_by"] for r in claimed_by} <= {"instance-1", "instance-2"}


async def test_a_due_followup_is_claimed_by_its_row_lock_never_by_a_claimed_status(
    committed_shop, pool
):
    """The follow-up status 'claimed' is never written (the code used to look for it): the
    lock taken in the sweep's transaction is the claim. While one instance is mid-sweep,
    another skips the row and still sees it 'scheduled'; after the commit it is 'drafted'."""
    shop = committed_shop
    async with transaction(pool) as conn:
        customer, conversation = await make_customer(conn, shop)
        await followups.schedule(
            conn,
            org_id=shop.org.id,
            customer_id=customer,
            conversation_id=conversation,
            due_at=NOW - timedelta(minutes=1),
            reason="manual",
            note="call back",
        )
    status = "SELECT status FROM followups WHERE org_id = $1"
    async with pool.acquire() as first, pool.acquire() as second:
        held = first.transaction()
        await held.start()
        try:
            mine = await due.sweep(first, NOW, CONFIG, org_id=shop.org.id)
            theirs = await due.sweep(second, NOW, CONFIG, org_id=shop.org.id)
            seen_meanwhile = await second.fetchval(status, shop.org.id)
        finally:
            await held.commit()
        again = await due.sweep(second, NOW, CONFIG, org_id=shop.org.id)
        final = await second.fetchval(status, shop.org.id)
    assert mine.counts == {"drafted": 1} and theirs.counts == {} and again.counts == {}
    assert (seen_meanwhile, final) == ("scheduled", "drafted")


def test_trademate_serve_role_scheduler_starts_and_stops_on_sigterm(cli_env):
    env = {**cli_env, "TRADEMATE__APP__LOG_LEVEL": "INFO"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--role", "scheduler"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        started = None
        for line in process.stderr:  # type: ignore[union-attr]
            if "scheduler started" in line:
                started = line
                break
        assert started is not None and "silent_customers" in started
        process.send_signal(signal.SIGTERM)
        rest = process.stderr.read()  # type: ignore[union-attr]
        assert process.wait(timeout=60) == 0
        assert "scheduler stopped" in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
