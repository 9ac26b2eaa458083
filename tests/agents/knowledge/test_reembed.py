"""The worker's upkeep re-embeds what was indexed in another vector space (migrations/0018):
real PostgreSQL, Qdrant local mode. Old-space FAQs, chunks, approved replies and memories are
brought into the current space in place; rows already in it are not touched; two concurrent
passes never embed a row twice."""

from __future__ import annotations

import asyncio
import threading
import uuid

import numpy as np

from agents.knowledge.corpus import CorpusIndexer
from agents.knowledge.reembed import Reembedder
from agents.memory.service import MemoryService
from agents.retrieval.embedders import HashingEmbedder
from agents.retrieval.points import faq_point
from agents.retrieval.queries import QueryEncoder
from storage.repositories import knowledge
from storage.vectors import CollectionKind

from .conftest import RecordingEmbedder
from .test_ingest import points_of, rows

KNOWLEDGE = CollectionKind.KNOWLEDGE


class NewModel(HashingEmbedder):
    """ "Another model": its own name (so its own vector space) and visibly other vectors."""

    name = "another-model"

    def __init__(self) -> None:
        super().__init__(dim=64)
        self.texts: list[str] = []
        self._lock = threading.Lock()

    def embed_documents(self, texts):
        with self._lock:
            self.texts += texts
        return [[-x for x in v] for v in super().embed_documents(texts)]


class GatedModel(NewModel):
    """Its first call waits until the test lets it go, holding that pass's claim open."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()

    def embed_documents(self, texts):
        with self._lock:
            first = not self.entered.is_set()
            self.entered.set()
        if first:
            self.release.wait(30)
        return super().embed_documents(texts)


async def drain(reembedder: Reembedder, org_id: uuid.UUID) -> int:
    total = 0
    while done := await reembedder.run_once(org_id):
        total += done
    return total


async def test_rows_in_another_space_are_reembedded_and_current_ones_untouched(
    pool, store, ingestor, make_org, kb_dir, embedder: RecordingEmbedder, lexical
) -> None:
    org = await make_org()
    await ingestor.ingest_path(org.id, kb_dir)
    documents, faqs, chunks = await rows(pool, org.id)
    assert {f.vector_id for f in faqs} and embedder.name == "hashing-test-only"
    async with pool.acquire() as conn:
        spaces = await conn.fetch(
            "SELECT vector_space FROM faqs WHERE org_id = $1 UNION"
            " SELECT vector_space FROM document_chunks WHERE org_id = $1",
            org.id,
        )
        assert {r["vector_space"] for r in spaces} == {embedder.name}  # ingest records it
        # faq.csv is already in the new space; everything else was indexed in the old one.
        current = next(d for d in documents if d.source_path.endswith("/faq.csv"))
        await conn.execute(
            "UPDATE faqs SET vector_space = 'another-model' WHERE document_id = $1", current.id
        )
        before = {r["id"]: r["updated_at"] for r in await conn.fetch("SELECT * FROM faqs")}
    kept = [f for f in faqs if f.document_id == current.id]
    stale = [f for f in faqs if f.document_id != current.id]
    points_before = await store.count(org.id, KNOWLEDGE)

    model = NewModel()
    reembedder = Reembedder(pool, store, model, lexical, batch=4, per_pass=10)
    assert await reembedder.pending(org.id) == {
        "faqs": len(stale), "chunks": len(chunks), "replies": 0, "memories": 0,
    }  # fmt: skip
    assert await drain(reembedder, org.id) == len(stale) + len(chunks)

    assert await reembedder.pending(org.id) == {
        "faqs": 0, "chunks": 0, "replies": 0, "memories": 0,
    }  # fmt: skip
    assert await reembedder.run_once(org.id) == 0  # converged: nothing more to do
    # Points replaced in place, with the new model's vectors; the current ones untouched.
    assert await store.count(org.id, KNOWLEDGE) == points_before
    faq = stale[0]
    (point,) = await store._client.retrieve(
        store.collection_name(KNOWLEDGE), [str(faq.vector_id)], with_vectors=True
    )
    expected = faq_point(
        faq.id, faq.question, faq.answer, embedder=model, sparse=lexical,
        language=faq.language, document_id=faq.document_id,
    )  # fmt: skip
    assert np.allclose(point.vector["dense"], expected.dense)
    assert point.payload["question"] == faq.question and point.payload["row_id"] == str(faq.id)
    assert not any(f.question in t for f in kept for t in model.texts)
    (untouched,) = await store._client.retrieve(
        store.collection_name(KNOWLEDGE), [str(kept[0].vector_id)], with_vectors=True
    )
    old = faq_point(
        kept[0].id, kept[0].question, kept[0].answer, embedder=embedder, sparse=lexical,
        language=kept[0].language, document_id=kept[0].document_id,
    )  # fmt: skip
    assert np.allclose(untouched.vector["dense"], old.dense)
    # A chunk is embedded as ingestion embeds it: document title > heading, then the text.
    chunk = next(c for c in chunks if c.heading)
    title = next(d.title for d in documents if d.id == chunk.document_id)
    assert f"{title} > {chunk.heading}\n{chunk.text}" in model.texts
    documents, faqs_after, _ = await rows(pool, org.id)
    # Re-embedded documents record the space, so `kb ingest` of an unchanged file skips them.
    assert {d.metadata["vectors"] for d in documents if d.id != current.id} == {"another-model"}
    async with pool.acquire() as conn:
        after = {r["id"]: r["updated_at"] for r in await conn.fetch("SELECT * FROM faqs")}
    assert all(after[f.id] == before[f.id] for f in faqs_after)  # re-embedding is no edit
    assert len(await points_of(store, org.id, [f.vector_id for f in faqs_after])) == len(faqs)


async def test_old_approved_replies_and_memories_converge(pool, store, make_org, lexical) -> None:
    org = await make_org()
    model = NewModel()
    memory = MemoryService(pool, vectors=store, queries=QueryEncoder(model))
    async with pool.acquire() as conn:
        customer = await conn.fetchval(
            "INSERT INTO customers (org_id) VALUES ($1) RETURNING id", org.id
        )
        remembered = await conn.fetchrow(
            "INSERT INTO memories (org_id, customer_id, category, content, vector_space)"
            " VALUES ($1, $2, 'quantity', 'Needs 500 pcs', 'old-model') RETURNING *",
            org.id,
            customer,
        )
        await conn.execute("UPDATE memories SET vector_id = id WHERE id = $1", remembered["id"])
        entries = {}
        for name, space in (("old", None), ("current", "another-model")):
            entries[name] = await conn.fetchval(
                "INSERT INTO corpus_entries (org_id, question, answer, language, vector_space)"
                " VALUES ($1, $2, 'We ship in 7 days.', 'en', $3) RETURNING id",
                org.id,
                f"{name}: when do you ship?",
                space,
            )
        await conn.execute(
            "UPDATE corpus_entries SET vector_id = id WHERE org_id = $1", org.id
        )  # indexed before 0018 (space unknown), and in the current space

    reembedder = Reembedder.of(CorpusIndexer(pool, store, model, lexical), memory)
    assert reembedder.memory_space == "another-model"
    assert await reembedder.run_once(org.id) == 2  # the old reply, and the memory handed back
    assert [t for t in model.texts if t.startswith("current")] == []
    assert any(t.startswith("old: when do you ship?") for t in model.texts)
    assert await store.count(org.id, CollectionKind.CORPUS) == 1
    assert await memory.index_pending(org.id) == 1  # the memory indexer embeds it again
    async with pool.acquire() as conn:
        spaces = await conn.fetch(
            "SELECT vector_space FROM corpus_entries WHERE org_id = $1", org.id
        )
        row = await conn.fetchrow("SELECT * FROM memories WHERE id = $1", remembered["id"])
    assert {r["vector_space"] for r in spaces} == {"another-model"}
    assert row["vector_space"] == "another-model" and row["vector_id"] == row["id"]
    assert row["updated_at"] == remembered["updated_at"]  # decay does not restart
    assert await reembedder.run_once(org.id) == 0


async def test_two_concurrent_passes_never_embed_a_row_twice(
    pool, store, ingestor, make_org, kb_dir, lexical
) -> None:
    org = await make_org()
    await ingestor.ingest_path(org.id, kb_dir)
    _, faqs, chunks = await rows(pool, org.id)
    model = GatedModel()

    def worker() -> Reembedder:
        return Reembedder(pool, store, model, lexical, batch=2, per_pass=1000)

    first = asyncio.create_task(worker().run_once(org.id))
    await asyncio.to_thread(model.entered.wait, 30)  # the first pass holds 2 FAQs' claim
    second = await worker().run_once(org.id)  # meanwhile another worker does the rest
    model.release.set()
    first = await first

    assert first == 2 and second == len(faqs) + len(chunks) - 2
    assert len(model.texts) == len(set(model.texts))  # no text embedded twice
    assert await worker().run_once(org.id) == 0
    async with pool.acquire() as conn:
        documents = await knowledge.list_documents(conn, org.id)
    assert {d.metadata["vectors"] for d in documents} == {"another-model"}
