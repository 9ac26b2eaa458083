"""A memory that fails to index on its own is recorded in its row (``vector_failed_at``,
migrations/0020), so every worker passes it over for ``retry_after`` and a restart does not start
over; an outage records nothing; recording is no edit (decay and the re-queue read updated_at).
Real PostgreSQL and Qdrant local mode; the embedder is the hashing fake, made to fail where the
test says."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agents.memory.service import MemoryService, _decayed
from agents.retrieval.embedders import HashingEmbedder
from agents.retrieval.queries import QueryEncoder
from storage.repositories import memories as memory_repo
from storage.repositories import vector_spaces
from tests.agents import memory_upkeep_fixtures as shared
from tests.agents.memory_upkeep_fixtures import Failing
from tests.agents.memory_upkeep_fixtures import add_memory as add

# The shared fixtures, under the names the tests ask for.
customer = shared.customer
vectors = shared.vectors


def worker(pool, vectors, model, **kwargs) -> MemoryService:
    """A worker process's memory service: nothing shared with another but the database and
    the store (its own query encoder, so no cached passage either)."""
    return MemoryService(pool, vectors=vectors, queries=QueryEncoder(model), **kwargs)


async def row(pool, memory_id):
    async with pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM memories WHERE id = $1", memory_id)


async def states(pool, customer_id) -> dict[str, str]:
    """content -> "indexed" / "failed" / "waiting"."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT content, vector_id, vector_failed_at FROM memories WHERE customer_id = $1",
            customer_id,
        )
    return {
        r["content"]: "indexed"
        if r["vector_id"] is not None
        else "failed"
        if r["vector_failed_at"] is not None
        else "waiting"
        for r in rows
    }


async def test_a_bad_memory_beside_good_ones_is_recorded_and_every_worker_passes_it_over(
    pool, customer, vectors
):
    org_id, customer_id = customer
    first = worker(pool, vectors, Failing("bad"))
    bad = await add(pool, org_id, customer_id, "Wants: a bad thing")
    await add(pool, org_id, customer_id, "Wants: bamboo lids")
    await add(pool, org_id, customer_id, "Wants: matte black finish")
    assert await first.index_pending(org_id) == 2
    assert await states(pool, customer_id) == {
        "Wants: a bad thing": "failed",
        "Wants: bamboo lids": "indexed",
        "Wants: matte black finish": "indexed",
    }

    # Another worker, or this one restarted: the record is in the row, so it is not tried
    # again within the delay, and it heads no batch of theirs.
    model = Failing("bad")
    second = worker(pool, vectors, model)
    await add(pool, org_id, customer_id, "Ships to Lima")
    assert await second.index_pending(org_id) == 1
    assert model.refused == 0  # never even embedded
    assert await first.index_pending(org_id) == 0
    assert (await states(pool, customer_id))["Wants: a bad thing"] == "failed"

    # After the delay (here: none) a model that copes brings it in, and the record goes.
    later = worker(pool, vectors, HashingEmbedder(dim=64), retry_after=timedelta(0))
    assert await later.index_pending(org_id) == 1
    indexed = await row(pool, bad.id)
    assert indexed["vector_id"] == bad.id and indexed["vector_failed_at"] is None


async def test_an_outage_records_no_memory_and_all_index_once_it_ends(pool, customer, vectors):
    org_id, customer_id = customer
    down = worker(pool, vectors, Failing(""))  # the model (or the store) refuses everything
    for n in range(3):
        await add(pool, org_id, customer_id, f"Needs {n + 1}00 pcs")
    for _ in range(2):
        with pytest.raises(RuntimeError):
            await down.index_pending(org_id)
    with pytest.raises(RuntimeError):  # one memory at a time: the same
        await down.index_pending(org_id, batch=1)
    assert set((await states(pool, customer_id)).values()) == {"waiting"}

    # Back up: nothing was blamed, so nothing waits out a retry delay.
    assert await worker(pool, vectors, HashingEmbedder(dim=64)).index_pending(org_id) == 3
    assert set((await states(pool, customer_id)).values()) == {"indexed"}


async def test_recording_a_failure_is_no_edit_of_the_memory(pool, customer, vectors):
    """updated_at is when the customer told us: decay runs from it, and the re-queue of old
    vector spaces waits while a memory written in the last minutes has no vector. Recording
    the failure must move neither."""
    org_id, customer_id = customer
    bad = await add(pool, org_id, customer_id, "Wants: a bad thing")
    await add(pool, org_id, customer_id, "Wants: bamboo lids")
    async with pool.acquire() as conn:  # both told us two days ago
        await conn.execute(
            "UPDATE memories SET updated_at = now() - interval '2 days' WHERE customer_id = $1",
            customer_id,
        )
    before = memory_repo.Memory.from_record(await row(pool, bad.id))
    service = worker(pool, vectors, Failing("bad"))
    assert await service.index_pending(org_id) == 1

    after = memory_repo.Memory.from_record(await row(pool, bad.id))
    assert after.vector_failed_at is not None
    assert after.updated_at == before.updated_at
    assert _decayed(after, after.vector_failed_at) == _decayed(before, after.vector_failed_at)
    # An old-space memory of the customer is handed back: the failed one is not "new".
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO memories (org_id, customer_id, category, content, vector_space)"
            " VALUES ($1, $2, 'quantity', 'Needs 700 pcs', 'old-model')",
            org_id,
            customer_id,
        )
        await conn.execute(
            "UPDATE memories SET vector_id = id WHERE customer_id = $1 AND vector_id IS NULL"
            " AND vector_space = 'old-model'",
            customer_id,
        )
        assert (
            await vector_spaces.requeue_memories(conn, service.vector_space, limit=5, org_id=org_id)
            == 1
        )


async def test_an_edit_forgets_the_failure_and_is_indexed_at_once(pool, customer, vectors):
    org_id, customer_id = customer
    bad = await add(pool, org_id, customer_id, "Wants: a bad thing")
    await add(pool, org_id, customer_id, "Wants: bamboo lids")
    service = worker(pool, vectors, Failing("bad"))
    assert await service.index_pending(org_id) == 1
    async with pool.acquire() as conn:
        same = await memory_repo.update(conn, org_id, bad.id, content="Wants: a bad thing")
        assert same.vector_failed_at is not None  # same text: the same failure
        edited = await memory_repo.update(conn, org_id, bad.id, content="Wants: a fine thing")
    assert edited.vector_failed_at is None and edited.vector_id is None
    assert await service.index_pending(org_id) == 1  # no retry delay for the new text
    assert (await states(pool, customer_id))["Wants: a fine thing"] == "indexed"


async def test_a_recorded_memory_failing_alone_is_recorded_again_a_new_one_is_not(
    pool, customer, vectors
):
    """Alone in its batch nothing tells a row from an outage, so a memory that never failed
    beside others is not blamed. One that did is recorded again: otherwise, claimed alone once
    the others are indexed, it would fail on every pass after its first retry delay."""
    org_id, customer_id = customer
    model = Failing("bad")
    eager = worker(pool, vectors, model, retry_after=timedelta(0))  # retries at once
    bad = await add(pool, org_id, customer_id, "Wants: a bad thing")
    with pytest.raises(RuntimeError):
        await eager.index_pending(org_id)
    assert (await row(pool, bad.id))["vector_failed_at"] is None

    await add(pool, org_id, customer_id, "Wants: bamboo lids")
    assert await eager.index_pending(org_id) == 1
    first = (await row(pool, bad.id))["vector_failed_at"]
    assert first is not None
    with pytest.raises(RuntimeError):  # alone now, and known to fail
        await eager.index_pending(org_id)
    again = (await row(pool, bad.id))["vector_failed_at"]
    assert again is not None and again > first

    refused = model.refused
    patient = worker(pool, vectors, model)  # the default delay
    assert await patient.index_pending(org_id) == 0
    assert model.refused == refused
