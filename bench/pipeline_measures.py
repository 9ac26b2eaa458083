"""What bench/pipeline.py measures besides rate and latency: PostgreSQL statements, CPU per
message (this process and the PostgreSQL backends, read from /proc so other load on the
machine does not change it), and the batched e5 floor."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from agents.retrieval.queries import QueryEncoder


class StatementCounter:
    """Counts statements sent to PostgreSQL on every pooled connection (asyncpg's query
    logger: each one is a round trip once its prepared statement is cached; BEGIN, COMMIT
    and the reset asyncpg runs when a connection goes back to the pool count too)."""

    def __init__(self, pool) -> None:
        self.pool, self.seen = pool, 0

    def __call__(self, _record) -> None:
        self.seen += 1

    async def _on_every_connection(self, action: str) -> None:
        # Holding all of them at once reaches each connection of the pool.
        held = [await self.pool.acquire() for _ in range(self.pool.get_max_size())]
        for conn in held:
            getattr(conn, action)(self)
        for conn in held:
            await self.pool.release(conn)

    async def __aenter__(self) -> StatementCounter:
        await self._on_every_connection("add_query_logger")
        self.seen = 0  # the releases above were counted
        return self

    async def __aexit__(self, *exc) -> None:
        seen = self.seen
        await self._on_every_connection("remove_query_logger")
        self.seen = seen


async def backend_pids(pool) -> list[int]:
    """The PostgreSQL server processes behind every pooled connection."""
    held = [await pool.acquire() for _ in range(pool.get_max_size())]
    try:
        return [await conn.fetchval("SELECT pg_backend_pid()") for conn in held]
    finally:
        for conn in held:
            await pool.release(conn)


def postgres_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the server processes have used: load-independent cost."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # not on this machine (a remote server): not measured
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


async def embedding_floor(embedder, texts: list[str], callers: int) -> float:
    """Texts/s of query embeddings alone, as batched as the pipeline gets them: what 200
    messages/s would need if every message were embedded."""
    encoder = QueryEncoder(embedder)
    queue = list(texts)

    async def caller() -> None:
        while queue:
            await encoder.dense(queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return len(texts) / (time.perf_counter() - started)


class Upkeep:
    """``pipeline.maintain(org_id)`` while the messages run, as the worker's reconciler does
    (every ``every`` seconds), and one last pass when they are done: the work moved off the
    message path (memory vectors) is inside the measured window, its CPU and time included."""

    def __init__(self, pipeline, org_id, every: float) -> None:
        self.pipeline, self.org_id, self.every = pipeline, org_id, every
        self.passes = self.rows = 0
        self.seconds = 0.0  # wall time inside maintain()
        self._stop = asyncio.Event()

    async def _pass(self) -> None:
        started = time.perf_counter()
        self.rows += await self.pipeline.maintain(self.org_id)
        self.seconds += time.perf_counter() - started
        self.passes += 1

    async def run_while(self, work) -> None:
        """Run ``work`` (awaitable) with upkeep passes alongside, then the last pass."""

        async def periodic() -> None:
            while True:
                try:
                    await asyncio.wait_for(self._stop.wait(), self.every)
                    return
                except TimeoutError:
                    await self._pass()

        ticker = asyncio.create_task(periodic())
        try:
            await work
        finally:
            self._stop.set()
            await ticker
        await self._pass()
