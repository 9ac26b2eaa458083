"""The worker: each stored message processed exactly once, even when workers die."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest

from bot.worker import Worker, WorkerConfig
from storage.repositories import messages

from .conftest import inbound


class RecordingHandler:
    def __init__(self, fail_times: int = 0, block: asyncio.Event | None = None) -> None:
        self.seen: Counter[uuid.UUID] = Counter()
        self.fail_times = fail_times
        self.block = block

    async def __call__(self, message) -> None:
        self.seen[message.id] += 1
        if self.block is not None:
            await self.block.wait()
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("model exploded")


def make_worker(pool, intake_queue, outbound_queue, handler, **config) -> Worker:
    defaults = dict(
        concurrency=4,
        lease_seconds=60,
        max_attempts=3,
        reconcile_every=3600,
        pending_grace_seconds=0,
        claim_idle_seconds=60,
        block_ms=50,
    )
    defaults.update(config)
    return Worker(
        pool,
        intake_queue,
        outbound_queue,
        sender=None,
        handler=handler,
        config=WorkerConfig(**defaults),
    )


async def _status(pool, org_id, message_id) -> str:
    async with pool.acquire() as conn:
        return (await messages.get(conn, org_id, message_id)).processing_status


async def _drain(worker: Worker, until, limit: float = 10.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        async with asyncio.timeout(limit):
            while not await until():
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await task


async def test_each_stored_message_is_processed_once_and_acknowledged(
    pool, intake, intake_queue, outbound_queue, channel_ref
):
    handler = RecordingHandler()
    outcomes = [(await intake.accept(channel_ref, [inbound()]))[0] for _ in range(5)]
    worker = make_worker(pool, intake_queue, outbound_queue, handler)

    async def all_done() -> bool:
        statuses = [await _status(pool, channel_ref.org_id, o.message_id) for o in outcomes]
        return all(s == "processed" for s in statuses)

    await _drain(worker, all_done)
    assert sorted(handler.seen.values()) == [1] * 5
    assert await intake_queue.pending_count() == 0


async def test_two_workers_share_the_queue_without_doubling(
    pool, intake, intake_queue, outbound_queue, channel_ref
):
    handler = RecordingHandler()
    outcomes = [(await intake.accept(channel_ref, [inbound()]))[0] for _ in range(20)]
    # The reconciler re-publishes too, so every id sits in the stream twice.
    await intake_queue.publish([(channel_ref.org_id, o.message_id) for o in outcomes])
    workers = [make_worker(pool, intake_queue, outbound_queue, handler) for _ in range(2)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop)) for w in workers]
    try:
        async with asyncio.timeout(10):
            while sum(handler.seen.values()) < 20 or await intake_queue.length() > 0:
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    assert set(handler.seen) == {o.message_id for o in outcomes}
    assert max(handler.seen.values()) == 1


async def test_a_failing_handler_is_retried_then_marked_failed(
    pool, intake, intake_queue, outbound_queue, channel_ref
):
    [outcome] = await intake.accept(channel_ref, [inbound()])
    handler = RecordingHandler(fail_times=10)
    worker = make_worker(pool, intake_queue, outbound_queue, handler, max_attempts=3)
    entries = await intake_queue.read("w", count=10, block_ms=10)
    assert await worker.process_inbound(entries[0]) == "pending"  # given back for a retry
    for _ in range(2):
        await worker.recover_once()  # the reconciler re-queues it; the worker runs it again
        [entry] = await intake_queue.read("w", count=10, block_ms=10)
        await worker.process_inbound(entry)
    assert handler.seen[outcome.message_id] == 3
    assert await _status(pool, channel_ref.org_id, outcome.message_id) == "failed"
    async with pool.acquire() as conn:
        row = await messages.get(conn, channel_ref.org_id, outcome.message_id)
    assert "model exploded" in row.error


async def test_a_worker_killed_mid_message_loses_nothing(
    pool, intake, intake_queue, outbound_queue, channel_ref
):
    """Worker A takes a message and dies (its task is cancelled mid-handler, nothing acked).
    Worker B's recovery claims the stale entry; once A's lease expires, B processes it."""
    [outcome] = await intake.accept(channel_ref, [inbound()])
    stuck = asyncio.Event()
    dying = RecordingHandler(block=stuck)
    worker_a = make_worker(pool, intake_queue, outbound_queue, dying, lease_seconds=0.3)
    stop_a = asyncio.Event()
    task_a = asyncio.create_task(worker_a.run(stop_a))
    async with asyncio.timeout(5):
        while not dying.seen:
            await asyncio.sleep(0.01)
    task_a.cancel()  # the process dies: no ack, no status update
    with pytest.raises(asyncio.CancelledError):
        await task_a
    assert await _status(pool, channel_ref.org_id, outcome.message_id) == "processing"
    assert await intake_queue.pending_count() == 1

    survivor = RecordingHandler()
    worker_b = make_worker(
        pool, intake_queue, outbound_queue, survivor, lease_seconds=0.3, claim_idle_seconds=0.01
    )
    await asyncio.sleep(0.35)  # A's lease runs out
    await worker_b.recover_once()  # claims A's entry (its lease is stale) and processes it
    if not survivor.seen:  # or the reconciler re-queued it: consume that entry
        [entry] = await intake_queue.read("b", count=10, block_ms=10)
        await worker_b.process_inbound(entry)
    assert survivor.seen[outcome.message_id] == 1
    assert await _status(pool, channel_ref.org_id, outcome.message_id) == "processed"


async def test_a_lost_enqueue_is_requeued_by_the_reconciler(
    pool, redis, keys, intake_queue, outbound_queue, channel_ref
):
    from channels.intake import Intake

    class BrokenQueue:
        async def publish(self, items, **_):
            raise ConnectionError("redis went away")

    broken = Intake(pool, redis, keys, BrokenQueue())
    [outcome] = await broken.accept(channel_ref, [inbound()])
    assert await intake_queue.length() == 0
    handler = RecordingHandler()
    worker = make_worker(pool, intake_queue, outbound_queue, handler)
    counts = await worker.recover_once()
    assert counts["requeued"] >= 1
    [entry] = [
        e
        for e in await intake_queue.read("w", count=50, block_ms=10)
        if e.item_id == outcome.message_id
    ]
    assert await worker.process_inbound(entry) == "processed"
    assert handler.seen[outcome.message_id] == 1


async def test_a_processed_message_is_never_processed_again(
    pool, intake, intake_queue, outbound_queue, channel_ref
):
    [outcome] = await intake.accept(channel_ref, [inbound()])
    handler = RecordingHandler()
    worker = make_worker(pool, intake_queue, outbound_queue, handler)
    [entry] = await intake_queue.read("w", count=10, block_ms=10)
    assert await worker.process_inbound(entry) == "processed"
    assert await worker.process_inbound(entry) == "skipped"
    await worker.recover_once()
    assert handler.seen[outcome.message_id] == 1


async def test_a_redis_outage_does_not_kill_the_worker(pool, intake_queue, outbound_queue):
    """The consumer keeps retrying while Redis is away, and stops cleanly when told to."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    class FlakyQueue:
        stream = "flaky"

        def __init__(self) -> None:
            self.reads = 0

        async def read(self, *args, **kwargs):
            self.reads += 1
            raise RedisConnectionError("Connection closed by server.")

    flaky = FlakyQueue()
    worker = make_worker(pool, intake_queue, outbound_queue, RecordingHandler())
    stop = asyncio.Event()
    task = asyncio.create_task(worker._consume(flaky, worker.process_inbound, stop))
    await asyncio.sleep(1.2)  # at least one retry after the first failure
    stop.set()
    await asyncio.wait_for(task, 5)
    assert flaky.reads >= 2 and task.exception() is None
