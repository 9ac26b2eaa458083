"""Approved replies become searchable (agents/knowledge/corpus.py): one reply the model or the
store refuses no longer holds every other reply back, an outage blames no row, and two workers
never embed the same reply. Real PostgreSQL, Qdrant local mode."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import timedelta

import pytest

from agents.knowledge.corpus import CorpusIndexer
from agents.retrieval.embedders import HashingEmbedder
from storage.vectors import CollectionKind

CORPUS = CollectionKind.CORPUS


class Model(HashingEmbedder):
    """The hashing test embedder, refusing any call holding a text with ``poison`` ("" refuses
    everything), recording what it embedded; optionally its first call waits for the test."""

    def __init__(self, poison: str | None = None, *, gated: bool = False) -> None:
        super().__init__(dim=64)
        self.poison = poison
        self.refused = 0
        self.texts: list[str] = []
        self.gated = gated
        self.entered, self.release = threading.Event(), threading.Event()
        self._lock = threading.Lock()

    def embed_documents(self, texts):
        with self._lock:
            first = not self.entered.is_set()
            self.entered.set()
        if self.gated and first:
            self.release.wait(30)
        if self.poison is not None and any(self.poison in t for t in texts):
            with self._lock:
                self.refused += 1
            raise RuntimeError("this text breaks the model")
        with self._lock:
            self.texts += texts
        return super().embed_documents(texts)


async def approve(pool, org_id: uuid.UUID, questions: list[str]) -> list[uuid.UUID]:
    """Replies as the approval path leaves them (no vector), oldest first in list order."""
    ids = []
    async with pool.acquire() as conn:
        for n, question in enumerate(questions):
            ids.append(
                await conn.fetchval(
                    "INSERT INTO corpus_entries (org_id, question, answer, language, created_at)"
                    " VALUES ($1, $2, $3, 'en',"
                    "         now() - interval '1 hour' + $4 * interval '1 second')"
                    " RETURNING id",
                    org_id,
                    question,
                    f"The answer to {question}",  # every text its own, to count embeddings
                    n,
                )
            )
    return ids


async def entries(pool, org_id: uuid.UUID) -> dict[str, dict]:
    async with pool.acquire() as conn:
        found = await conn.fetch("SELECT * FROM corpus_entries WHERE org_id = $1", org_id)
    return {r["question"]: dict(r) for r in found}


async def test_regression_one_bad_reply_does_not_hold_the_others(pool, store, make_org, lexical):
    """Rows are claimed oldest first: a reply the model chokes on failed its whole batch on
    every pass, and no reply approved after it ever became searchable."""
    org = await make_org()
    await approve(pool, org.id, ["BAD question?", "Q1?", "Q2?", "Q3?", "Q4?"])
    before = await entries(pool, org.id)
    model = Model("BAD")
    indexer = CorpusIndexer(pool, store, model, lexical)

    assert await indexer.index_pending(org.id, limit=3) == 2  # the batch, then one at a time
    now = await entries(pool, org.id)
    bad = now["BAD question?"]
    assert bad["vector_id"] is None and bad["vector_failed_at"] is not None
    assert bad["updated_at"] == before["BAD question?"]["updated_at"]  # recording is no edit
    assert {q for q, r in now.items() if r["vector_id"] is not None} == {"Q1?", "Q2?"}

    refused = model.refused
    assert await indexer.index_pending(org.id, limit=3) == 2  # passed over: the rest flows
    assert model.refused == refused  # not even tried again within retry_after
    assert await indexer.index_pending(org.id) == 0
    assert await store.count(org.id, CORPUS) == 4

    # Once the delay is over (here: none) and the model copes, it is indexed and forgiven.
    model.poison = None
    retry = CorpusIndexer(pool, store, model, lexical, retry_after=timedelta(0))
    assert await retry.index_pending(org.id) == 1
    bad = (await entries(pool, org.id))["BAD question?"]
    assert bad["vector_id"] == bad["id"] and bad["vector_failed_at"] is None
    assert bad["vector_space"] == indexer.space
    assert await store.count(org.id, CORPUS) == 5


async def test_when_nothing_indexes_the_error_is_raised_and_no_reply_is_blamed(
    pool, store, make_org, lexical
):
    """The model (or the store) is down: every row fails alone too. Blaming them would keep
    the replies approved during the outage out of search for retry_after once it is over."""
    org = await make_org()
    await approve(pool, org.id, ["Q1?", "Q2?", "Q3?"])
    down = CorpusIndexer(pool, store, Model(""), lexical)
    for _ in range(2):
        with pytest.raises(RuntimeError, match="breaks the model"):
            await down.index_pending(org.id)
    rows = (await entries(pool, org.id)).values()
    assert all(r["vector_id"] is None and r["vector_failed_at"] is None for r in rows)
    assert await CorpusIndexer(pool, store, Model(), lexical).index_pending(org.id) == 3


async def test_a_lone_failing_reply_is_retried_next_pass_not_blamed(pool, store, make_org, lexical):
    """With nothing to compare it with, one failing row is the same as an outage: raised,
    retried on the next pass; once a newer reply indexes beside it, it is passed over."""
    org = await make_org()
    await approve(pool, org.id, ["BAD question?"])
    indexer = CorpusIndexer(pool, store, Model("BAD"), lexical)
    with pytest.raises(RuntimeError):
        await indexer.index_pending(org.id)
    assert (await entries(pool, org.id))["BAD question?"]["vector_failed_at"] is None
    await approve(pool, org.id, ["Q1?"])
    assert await indexer.index_pending(org.id) == 1
    assert (await entries(pool, org.id))["BAD question?"]["vector_failed_at"] is not None
    assert await indexer.index_pending(org.id) == 0  # no longer raises every pass


async def test_two_workers_never_embed_the_same_reply(pool, store, make_org, lexical):
    org = await make_org()
    ids = await approve(pool, org.id, ["Q1?", "Q2?", "Q3?", "Q4?", "Q5?"])
    model = Model(gated=True)

    first = asyncio.create_task(
        CorpusIndexer(pool, store, model, lexical).index_pending(org.id, limit=2)
    )
    await asyncio.to_thread(model.entered.wait, 30)  # the first worker holds the 2 oldest
    # Meanwhile another worker takes the rest without waiting for the first one's claim.
    second = await CorpusIndexer(pool, store, model, lexical).index_pending(org.id)
    model.release.set()
    assert await first == 2 and second == 3
    # Each reply embedded once (three texts a reply: question, both, answer).
    assert len(model.texts) == len(set(model.texts)) == 3 * 5
    assert await store.count(org.id, CORPUS) == 5
    rows = (await entries(pool, org.id)).values()
    assert {r["vector_id"] for r in rows} == set(ids)


async def test_one_org_only_indexes_that_org(pool, store, make_org, lexical):
    ours, theirs = await make_org(), await make_org()
    await approve(pool, ours.id, ["Q1?"])
    await approve(pool, theirs.id, ["BAD question?", "Q2?"])
    indexer = CorpusIndexer(pool, store, Model("BAD"), lexical)
    assert await indexer.index_pending(ours.id) == 1
    assert await store.count(theirs.id, CORPUS) == 0
    assert (await entries(pool, theirs.id))["BAD question?"]["vector_failed_at"] is None
