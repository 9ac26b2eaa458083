"""The worker's upkeep (Pipeline.maintain): each step runs on its own, and one bad memory row
does not hold memory indexing. Real PostgreSQL and Qdrant local mode; the embedders are the
hashing fake, made to fail where the test says."""

from __future__ import annotations

import logging

import pytest

from agents.drafting.offline import OfflineDrafter
from agents.knowledge.corpus import CorpusIndexer
from agents.memory.service import MemoryService
from agents.pipeline import Pipeline
from agents.retrieval.embedders import HashingEmbedder
from agents.retrieval.lexical import LexicalEncoder
from agents.retrieval.queries import QueryEncoder
from storage.repositories import memories as memory_repo
from tests.agents import memory_upkeep_fixtures as shared
from tests.agents.memory_upkeep_fixtures import Failing, add_memory

# The shared fixtures, under the names the tests ask for.
customer = shared.customer
vectors = shared.vectors


async def unindexed(pool, customer_id) -> set[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT content FROM memories WHERE customer_id = $1 AND vector_id IS NULL",
            customer_id,
        )
    return {r["content"] for r in rows}


async def test_a_failing_upkeep_step_does_not_stop_the_others(pool, customer, vectors, caplog):
    org_id, customer_id = customer
    await add_memory(pool, org_id, customer_id, "Wants: matte black finish")
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO corpus_entries (org_id, question, answer, language)"
            " VALUES ($1, 'When do you ship?', 'We ship in 7 days.', 'en')",
            org_id,
        )
    pipeline = Pipeline(
        pool,
        classifiers=None,  # type: ignore[arg-type] - upkeep classifies nothing
        memory=MemoryService(pool, vectors=vectors, queries=QueryEncoder(Failing(""))),
        drafter=OfflineDrafter(),
        corpus_indexer=CorpusIndexer(pool, vectors, HashingEmbedder(dim=64), LexicalEncoder()),
    )
    with caplog.at_level(logging.ERROR, logger="agents.pipeline"):
        assert await pipeline.maintain(org_id) == 1  # the approved reply, after memory failed
    assert "upkeep: memory indexing failed" in caplog.text
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM corpus_entries WHERE org_id = $1 AND vector_id IS NULL",
                org_id,
            )
            == 0
        )
    assert await unindexed(pool, customer_id) == {"Wants: matte black finish"}  # next pass


async def test_regression_one_bad_memory_does_not_hold_memory_indexing(pool, customer, vectors):
    """Rows are claimed oldest first: a memory the model chokes on failed its whole batch, on
    every pass, and nothing newer was ever indexed."""
    org_id, customer_id = customer
    service = MemoryService(pool, vectors=vectors, queries=QueryEncoder(Failing("bad")))
    await add_memory(pool, org_id, customer_id, "Wants: a bad thing")
    await add_memory(pool, org_id, customer_id, "Wants: 1 good thing")
    assert await service.index_pending(org_id) == 1  # the batch, then one at a time
    assert await unindexed(pool, customer_id) == {"Wants: a bad thing"}
    # Recorded as failing: no longer claimed, so no longer failing anyone's batch.
    await add_memory(pool, org_id, customer_id, "Wants: more good things")
    async with pool.acquire() as conn, conn.transaction():
        claimed = await memory_repo.claim_unindexed(
            conn, limit=10, org_id=org_id, retry_after=service.retry_after
        )
    assert [m.content for m in claimed] == ["Wants: more good things"]
    assert await service.index_pending(org_id) == 1


async def failed_marks(pool, customer_id) -> dict[str, bool]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT content, vector_failed_at IS NOT NULL AS failed FROM memories"
            " WHERE customer_id = $1",
            customer_id,
        )
    return {r["content"]: r["failed"] for r in rows}


async def test_when_nothing_indexes_the_error_is_raised_and_no_row_is_blamed(
    pool, customer, vectors
):
    org_id, customer_id = customer
    service = MemoryService(pool, vectors=vectors, queries=QueryEncoder(Failing("")))
    await add_memory(pool, org_id, customer_id, "Wants: matte black finish")
    await add_memory(pool, org_id, customer_id, "Wants: bamboo lids")
    for _ in range(4):  # e.g. the model or store is down
        with pytest.raises(RuntimeError):
            await service.index_pending(org_id)
    assert await failed_marks(pool, customer_id) == {
        "Wants: matte black finish": False,
        "Wants: bamboo lids": False,
    }
    assert len(await unindexed(pool, customer_id)) == 2


async def test_regression_a_bad_memory_counts_one_failure_per_pass(pool, customer, vectors):
    """A failed row stays the oldest unindexed one, so every later batch of the same pass
    claimed it again, fell back to one-at-a-time and counted another failure: a row was given
    up within one pass. Now its first failure is recorded and later batches go on without it."""
    org_id, customer_id = customer
    model = Failing("bad")
    service = MemoryService(pool, vectors=vectors, queries=QueryEncoder(model))
    await add_memory(pool, org_id, customer_id, "Wants: a bad thing")
    for n in range(5):
        await add_memory(pool, org_id, customer_id, f"Wants: {n} good things")
    assert await service.index_pending(org_id, batch=2, max_batches=8) == 5
    assert await unindexed(pool, customer_id) == {"Wants: a bad thing"}
    assert model.refused == 2  # its batch, then alone; no later batch of the pass claimed it
