"""The worker role: consume the intake and outbound queues, and reconcile what they lost.

- **Intake**: each entry names an inbound message. The worker takes the message's
  processing lease in PostgreSQL (once-only), runs the message handler (the agent pipeline),
  marks it processed, then acknowledges the stream entry. A failure gives the message back
  for a retry until its attempts are used up.
- **Outbound**: each entry names a queued outbound message; :class:`channels.sender.Sender`
  claims, paces, sends and records it.
- **Recovery**: entries a dead consumer read but never acknowledged are claimed by another
  (XAUTOCLAIM); the reconciler re-queues what the database says is still pending (a lost
  enqueue, an expired lease) and fails sends interrupted mid-way.

Two workers may run the reconciler at once: a message queued twice is still processed
once, because the lease in PostgreSQL decides, not the queue.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from redis.exceptions import RedisError

from channels.sender import Sender
from storage.models import Message
from storage.queue import QueueEntry, WorkQueue
from storage.repositories import messages

log = logging.getLogger(__name__)

MessageHandler = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class WorkerConfig:
    concurrency: int = 8
    lease_seconds: float = 120.0
    max_attempts: int = 5
    reconcile_every: float = 15.0
    pending_grace_seconds: float = 30.0
    claim_idle_seconds: float = 60.0
    block_ms: int = 1000


async def no_pipeline(message: Message) -> None:
    """The handler until the agent pipeline is registered: stored messages are only marked
    processed (nothing is drafted)."""


class Worker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        intake_queue: WorkQueue,
        outbound_queue: WorkQueue,
        sender: Sender,
        handler: MessageHandler = no_pipeline,
        config: WorkerConfig | None = None,
        *,
        name: str | None = None,
    ) -> None:
        self.pool = pool
        self.intake_queue = intake_queue
        self.outbound_queue = outbound_queue
        self.sender = sender
        self.handler = handler
        self.config = config or WorkerConfig()
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._slots = asyncio.Semaphore(self.config.concurrency)

    async def run(self, stop: asyncio.Event) -> None:
        await self.intake_queue.ensure_group()
        await self.outbound_queue.ensure_group()
        log.info("worker %s consuming (concurrency %d)", self.name, self.config.concurrency)
        async with asyncio.TaskGroup() as group:
            group.create_task(self._consume(self.intake_queue, self.process_inbound, stop))
            group.create_task(self._consume(self.outbound_queue, self.process_outbound, stop))
            group.create_task(self._recover(stop))

    # --- one entry -----------------------------------------------------------------------
    async def process_inbound(self, entry: QueueEntry) -> str:
        """Process one inbound message once; returns what happened (for logs and tests)."""
        async with self.pool.acquire() as conn:
            message = await messages.claim_for_processing(
                conn, entry.org_id, entry.item_id, lease_seconds=self.config.lease_seconds
            )
        if message is None:
            return "skipped"  # done already, or another worker holds a live lease
        try:
            await self.handler(message)
        except Exception as err:  # noqa: BLE001 - a failing pipeline must not stop the worker
            async with self.pool.acquire() as conn:
                status = await messages.release_after_error(
                    conn,
                    entry.org_id,
                    entry.item_id,
                    f"{type(err).__name__}: {err}",
                    max_attempts=self.config.max_attempts,
                )
            log.exception(
                "processing failed org=%s message=%s attempt=%d -> %s",
                entry.org_id,
                entry.item_id,
                message.processing_attempts,
                status,
            )
            return status
        async with self.pool.acquire() as conn:
            await messages.finish_processing(conn, entry.org_id, entry.item_id)
        return "processed"

    async def process_outbound(self, entry: QueueEntry) -> str:
        outcome = await self.sender.send_message(entry.org_id, entry.item_id)
        return outcome.status

    # --- loops ---------------------------------------------------------------------------
    async def _consume(
        self,
        queue: WorkQueue,
        process: Callable[[QueueEntry], Awaitable[str]],
        stop: asyncio.Event,
    ) -> None:
        running: set[asyncio.Task] = set()
        while not stop.is_set():
            try:
                entries = await queue.read(
                    self.name, count=self.config.concurrency, block_ms=self.config.block_ms
                )
            except (RedisError, OSError) as err:
                if stop.is_set():
                    break  # shutting down (Ctrl+C also stops the embedded Redis at once)
                log.warning("queue %s unreachable, retrying: %s", queue.stream, err)
                await _wait(stop, 1.0)
                continue
            for entry in entries:
                await self._slots.acquire()
                task = asyncio.create_task(self._handle(queue, process, entry))
                running.add(task)
                task.add_done_callback(running.discard)
        if running:
            await asyncio.gather(*running, return_exceptions=True)

    async def _handle(
        self,
        queue: WorkQueue,
        process: Callable[[QueueEntry], Awaitable[str]],
        entry: QueueEntry,
    ) -> None:
        try:
            outcome = await process(entry)
            log.debug("%s %s -> %s", queue.stream, entry.item_id, outcome)
            await queue.ack([entry.entry_id])
        except Exception:  # noqa: BLE001 - left unacked: another consumer will claim it
            log.exception("entry %s of %s left for retry", entry.entry_id, queue.stream)
        finally:
            self._slots.release()

    async def _recover(self, stop: asyncio.Event) -> None:
        while not await _wait(stop, self.config.reconcile_every):
            try:
                await self.recover_once()
            except Exception:  # noqa: BLE001 - keep reconciling; the next pass may succeed
                log.exception("reconciler pass failed")

    async def recover_once(self) -> dict[str, int]:
        """One recovery pass; returns counts (for logs and tests)."""
        counts = {"claimed": 0, "requeued": 0, "resent": 0, "interrupted": 0}
        idle_ms = int(self.config.claim_idle_seconds * 1000)
        for queue, process in (
            (self.intake_queue, self.process_inbound),
            (self.outbound_queue, self.process_outbound),
        ):
            for entry in await queue.claim_stale(self.name, min_idle_ms=idle_ms):
                counts["claimed"] += 1
                await self._slots.acquire()
                await self._handle(queue, process, entry)
        async with self.pool.acquire() as conn:
            stranded = await messages.find_stranded(
                conn,
                pending_for_seconds=self.config.pending_grace_seconds,
                lease_seconds=self.config.lease_seconds,
            )
            unsent = await messages.find_unsent(
                conn, queued_for_seconds=self.config.pending_grace_seconds
            )
            counts["interrupted"] = await messages.fail_interrupted_sends(
                conn, lease_seconds=self.config.lease_seconds
            )
        await self.intake_queue.publish(stranded)
        await self.outbound_queue.publish(unsent)
        counts["requeued"], counts["resent"] = len(stranded), len(unsent)
        # A handler may have upkeep of its own (the pipeline indexes approved replies).
        maintain = getattr(self.handler, "maintain", None)
        if maintain is not None:
            counts["maintained"] = await maintain()
        if any(counts.values()):
            log.info("reconciler: %s", counts)
        return counts


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True as soon as ``stop`` is set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
