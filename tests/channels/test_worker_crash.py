"""A worker process killed with SIGKILL in the middle of a message loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.worker import Worker, WorkerConfig
from storage.repositories import messages
from tests.channels.conftest import inbound

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


async def _status(pool, org_id, message_id) -> str:
    async with pool.acquire() as conn:
        return (await messages.get(conn, org_id, message_id)).processing_status


async def test_a_killed_worker_process_loses_nothing(
    pool,
    database_url,
    redis_url,
    keys,
    intake,
    intake_queue,
    outbound_queue,
    channel_ref,
    tmp_path,
):
    [stored] = await intake.accept(channel_ref, [inbound()])
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TRADEMATE__REDIS__NAMESPACE": keys.namespace,
        "TRADEMATE__APP__DATA_DIR": str(tmp_path / "var"),
        "TRADEMATE__WORKER__LEASE_SECONDS": "1",
        "TRADEMATE__APP__LOG_LEVEL": "WARNING",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.channels.worker_process",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert line.decode().strip() == f"claimed {stored.message_id}"
    finally:
        proc.send_signal(signal.SIGKILL)  # no finally blocks, no ack, no status update
        await proc.wait()

    assert await _status(pool, channel_ref.org_id, stored.message_id) == "processing"
    assert await intake_queue.pending_count() == 1  # read, never acknowledged

    handled = []

    async def handler(message) -> None:
        handled.append(message.id)

    survivor = Worker(
        pool,
        intake_queue,
        outbound_queue,
        sender=None,
        handler=handler,
        config=WorkerConfig(lease_seconds=1, claim_idle_seconds=0.01, pending_grace_seconds=0),
    )
    await asyncio.sleep(1.1)  # the dead worker's lease runs out
    await survivor.recover_once()
    if not handled:  # the claimed entry was skipped as "leased": the reconciler re-queued it
        for entry in await intake_queue.read("survivor", count=10, block_ms=10):
            await survivor.process_inbound(entry)
    assert handled == [stored.message_id]
    assert await _status(pool, channel_ref.org_id, stored.message_id) == "processed"
    async with pool.acquire() as conn:
        attempts = await conn.fetchval(
            "SELECT processing_attempts FROM messages WHERE id = $1", stored.message_id
        )
    assert attempts == 2  # the dead worker's try, and the survivor's
