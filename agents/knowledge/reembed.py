"""Re-embedding what was indexed in another vector space, by the worker's upkeep.

A stored vector only matches questions embedded the same way: the same model, and for the
knowledge base and approved replies the same language centering
(:func:`agents.retrieval.centering.vector_format`, derived from the means file). Every
indexed FAQ, chunk, approved reply and memory records its space (``vector_space``,
migrations/0018), and :meth:`Reembedder.run_once` — called by ``Pipeline.maintain`` on each
reconciler pass — brings a few rows of another space into the current one, so an upgraded
deployment converges without anyone re-ingesting files or touching the database:

* FAQs, document chunks and approved replies are embedded again here, from their rows, with
  the drafts ingestion uses (:mod:`agents.retrieval.points`), and upserted under their existing
  point id, which replaces the old point in place;
* memories are handed back to their own indexer (``vector_id`` NULL; the memory service embeds
  them on the next pass and records the space), which owns their payload — a few at a time, and
  only while no new memory waits for it.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and marked in the claim's transaction, so two
workers never embed the same row and a crash leaves it for the next pass. A pass does at most
``per_pass`` rows of the knowledge kinds (the embedding is CPU work on the machine that answers
messages; 15 s between passes spreads it out) and hands back at most ``memories_per_pass``
memories. A batch that fails is retried one row at a time, and a row that fails alone is passed
over for ``retry_after`` (``vector_failed_at``, migrations/0019), so it cannot block the rest.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import asyncpg

from agents.retrieval.base import Embedder, SparseEncoder
from agents.retrieval.centering import vector_format
from agents.retrieval.points import PointDraft, chunk_draft, corpus_draft, embed_drafts, faq_draft
from storage.repositories import vector_spaces
from storage.vectors import VectorPoint, VectorStore

if TYPE_CHECKING:
    from agents.memory.service import MemoryService

    from .corpus import CorpusIndexer

log = logging.getLogger(__name__)

BATCH = 32  # rows per claim (one transaction, one embedder call)
PER_PASS = 64  # knowledge rows per upkeep pass
# Memories handed back per pass, and only while none waits (vector_spaces.requeue_memories):
# what the memory indexer embeds in one of its batches, so a fact a customer gives meanwhile
# waits behind at most that many.
MEMORIES_PER_PASS = 64
RETRY_FAILED_AFTER = timedelta(minutes=30)  # a row that failed alone is passed over this long


class Reembedder:
    def __init__(
        self,
        pool: asyncpg.Pool,
        vectors: VectorStore,
        embedder: Embedder,
        sparse: SparseEncoder,
        *,
        memory_space: str | None = None,
        batch: int = BATCH,
        per_pass: int = PER_PASS,
        memories_per_pass: int = MEMORIES_PER_PASS,
        retry_after: timedelta = RETRY_FAILED_AFTER,
    ) -> None:
        """``memory_space``: the space the memory indexer embeds in (None: leave memories)."""
        self.pool = pool
        self.vectors = vectors
        self.embedder = embedder
        self.sparse = sparse
        self.space = vector_format(embedder)
        self.memory_space = memory_space
        self.batch = batch
        self.per_pass = per_pass
        self.memories_per_pass = memories_per_pass
        self.retry_after = retry_after

    @classmethod
    def of(cls, indexer: CorpusIndexer, memory: MemoryService | None = None) -> Reembedder:
        """The re-embedder of a worker's pipeline: the approved-reply indexer's store and
        encoders (the ones ingestion and search use), and the memory service's space."""
        return cls(
            indexer.pool,
            indexer.vectors,
            indexer.embedder,
            indexer.sparse,
            memory_space=None if memory is None or memory.vectors is None else memory.vector_space,
        )

    async def run_once(self, org_id: uuid.UUID | None = None) -> int:
        """One upkeep pass (over every org, or one); returns how many rows it re-embedded or
        handed back."""
        done = 0
        for step in (self._faqs, self._chunks, self._entries):
            while done < self.per_pass:
                count = await step(min(self.batch, self.per_pass - done), org_id)
                done += count
                if count == 0:
                    break
        if self.memory_space is not None:
            async with self.pool.acquire() as conn:
                done += await vector_spaces.requeue_memories(
                    conn, self.memory_space, limit=self.memories_per_pass, org_id=org_id
                )
        if done:
            log.info("re-embedded or requeued %d rows into %s", done, self.space)
        return done

    async def pending(self, org_id: uuid.UUID | None = None) -> dict[str, int]:
        """How many indexed rows of each kind (of one org, or all) are in another space."""
        async with self.pool.acquire() as conn:
            return await vector_spaces.counts(conn, self.space, self.memory_space, org_id=org_id)

    async def _faqs(self, limit: int, org_id: uuid.UUID | None) -> int:
        return await self._refresh(_FAQS, limit, org_id)

    async def _chunks(self, limit: int, org_id: uuid.UUID | None) -> int:
        return await self._refresh(_CHUNKS, limit, org_id)

    async def _entries(self, limit: int, org_id: uuid.UUID | None) -> int:
        return await self._refresh(_ENTRIES, limit, org_id)

    async def _refresh(self, kind: _Kind, limit: int, org_id: uuid.UUID | None) -> int:
        """Re-embed up to ``limit`` stale rows of ``kind``; returns how many were done.

        A batch that fails is rolled back and its rows are tried one at a time: one row the
        embedder or the store refuses must not hold back the rest, and a row that fails alone
        is recorded (``vector_failed_at``) so the next claims pass it over for
        ``retry_after`` instead of claiming the same batch again. If the store itself is down
        every row fails alone and waits that long once it is back: the price of not telling
        the two apart, and the rows' old points keep answering meanwhile."""
        claimed: list = []
        try:
            return await self._embed(kind, limit, org_id, claimed=claimed)
        except Exception:
            # Anything an embedder or the store raises: the rows are retried alone below.
            if not claimed:
                raise  # the claim itself failed: nothing of ours to retry
            log.warning(
                "re-embedding %d %s rows failed as a batch; retrying them one at a time",
                len(claimed),
                kind.table,
                exc_info=True,
            )
        done = 0
        for row in claimed:
            try:
                done += await self._embed(kind, 1, org_id, only=row.id)
            except Exception:
                log.exception(
                    "re-embedding %s row %s into %s failed; passed over for %s",
                    kind.table,
                    row.id,
                    self.space,
                    self.retry_after,
                )
                async with self.pool.acquire() as conn:
                    await vector_spaces.record_failure(conn, kind.table, row.id)
        return done

    async def _embed(
        self,
        kind: _Kind,
        limit: int,
        org_id: uuid.UUID | None,
        *,
        claimed: list | None = None,
        only: uuid.UUID | None = None,
    ) -> int:
        """Claim up to ``limit`` stale rows (``only``: that one), embed them, replace their
        points and mark them, in one transaction; ``claimed`` receives the claimed rows."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await kind.claim(
                conn,
                self.space,
                limit=limit,
                org_id=org_id,
                retry_after=self.retry_after,
                only=only,
            )
            if claimed is not None:
                claimed.extend(rows)
            if not rows:
                return 0
            # The point keeps the row's vector_id (ingestion makes it the row id; a point
            # under another id would sit next to the old one instead of replacing it).
            drafts = [
                dataclasses.replace(d, id=r.vector_id)
                for d, r in zip(kind.build(rows), rows, strict=True)
            ]
            points = await asyncio.to_thread(embed_drafts, drafts, self.embedder, self.sparse)
            by_org: dict[uuid.UUID, list[tuple[PointDraft, VectorPoint]]] = {}
            for draft, row, point in zip(drafts, rows, points, strict=True):
                by_org.setdefault(row.org_id, []).append((draft, point))
            for org, pairs in by_org.items():
                collection = pairs[0][0].collection
                await self.vectors.upsert(org, collection, [p for _, p in pairs])
            # Upserted before the mark: a crash in between only re-embeds these rows again.
            await vector_spaces.mark_current(conn, kind.table, [r.id for r in rows], self.space)
            if kind.documents:
                await vector_spaces.settle_documents(
                    conn, [r.document_id for r in rows if r.document_id is not None], self.space
                )
        return len(rows)


def _faq_drafts(rows: Sequence[vector_spaces.StaleFaq]) -> list[PointDraft]:
    return [
        faq_draft(r.id, r.question, r.answer, language=r.language, document_id=r.document_id)
        for r in rows
    ]


def _chunk_drafts(rows: Sequence[vector_spaces.StaleChunk]) -> list[PointDraft]:
    # As ingestion titles them: the document title, then the section path.
    return [
        chunk_draft(
            r.id,
            r.document_id,
            r.text,
            title=f"{r.document_title} > {r.heading}" if r.heading else r.document_title,
            ord=r.ord,
            language=r.language,
        )
        for r in rows
    ]


def _entry_drafts(rows: Sequence[vector_spaces.StaleEntry]) -> list[PointDraft]:
    return [corpus_draft(r.id, r.question, r.answer, language=r.language) for r in rows]


@dataclasses.dataclass(frozen=True)
class _Kind:
    """One kind of row the upkeep re-embeds: its table and repository functions."""

    table: str
    claim: Callable[..., Awaitable[Sequence]]
    build: Callable[[Sequence], list[PointDraft]]
    documents: bool = False  # rows of an ingested file: settle the document's recorded space


_FAQS = _Kind("faqs", vector_spaces.claim_faqs, _faq_drafts, True)
_CHUNKS = _Kind("document_chunks", vector_spaces.claim_chunks, _chunk_drafts, True)
_ENTRIES = _Kind("corpus_entries", vector_spaces.claim_entries, _entry_drafts)
