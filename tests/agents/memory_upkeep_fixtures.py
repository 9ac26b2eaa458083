"""What the memory-indexing tests share (test_upkeep.py, test_memory_index_failures.py): an
embedder that fails where a test says, a Qdrant local-mode store, an org with one customer,
and a stored memory. Imported by those modules; pytest finds the fixtures in their globals."""

from __future__ import annotations

import pytest

from agents.retrieval.embedders import HashingEmbedder
from storage.db import transaction
from storage.repositories import memories as memory_repo
from tests.storage.factories import make_org


class Failing(HashingEmbedder):
    """Refuses any call holding a text that contains ``bad`` (every call, if ``bad`` is "")
    and counts the calls it refused."""

    def __init__(self, bad: str) -> None:
        super().__init__(dim=64)
        self.bad = bad
        self.refused = 0

    def embed_documents(self, texts):
        if any(self.bad in t for t in texts):
            self.refused += 1
            raise RuntimeError("the model could not embed this")
        return super().embed_documents(texts)


@pytest.fixture
async def vectors():
    from storage.vectors import VectorStore, make_qdrant_client

    store = VectorStore(make_qdrant_client(url=None, api_key=None, path=None), dense_size=64)
    await store.ensure_collections()
    yield store
    await store.aclose()


@pytest.fixture
async def customer(pool):
    async with transaction(pool) as conn:
        org = await make_org(conn)
        customer_id = await conn.fetchval(
            "INSERT INTO customers (org_id) VALUES ($1) RETURNING id", org.id
        )
    yield org.id, customer_id
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)


async def add_memory(pool, org_id, customer_id, content) -> memory_repo.Memory:
    async with pool.acquire() as conn:
        return await memory_repo.add(
            conn,
            org_id=org_id,
            customer_id=customer_id,
            category="preference",
            content=content,
            importance=0.5,
        )
