"""Approved replies become searchable: index ``corpus_entries`` rows into Qdrant.

The approval path inserts a corpus row (``vector_id`` NULL) in the decision's transaction;
whoever has the vector store open (the worker, the single default process) calls
:meth:`CorpusIndexer.index_pending`. Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so two
processes never embed the same entry, and a failed upsert leaves the row for the next pass.

Each entry records the vector space it was embedded in (``vector_space``, migrations/0018);
entries of another space (indexed before language centering, or by another embedder) are
re-embedded by the worker's upkeep, :mod:`agents.knowledge.reembed`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import asyncpg

from agents.retrieval.base import Embedder, SparseEncoder
from agents.retrieval.centering import vector_format
from agents.retrieval.points import corpus_draft, embed_drafts
from storage.vectors import CollectionKind, VectorStore

log = logging.getLogger(__name__)


class CorpusIndexer:
    def __init__(
        self, pool: asyncpg.Pool, vectors: VectorStore, embedder: Embedder, sparse: SparseEncoder
    ) -> None:
        self.pool = pool
        self.vectors = vectors
        self.embedder = embedder
        self.sparse = sparse
        self.space = vector_format(embedder)

    async def index_pending(self, org_id: uuid.UUID | None = None, *, limit: int = 64) -> int:
        """Index up to ``limit`` unindexed active entries (of one org, or all); returns how many."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """
                SELECT id, org_id, question, answer, language FROM corpus_entries
                WHERE vector_id IS NULL AND is_active AND ($1::uuid IS NULL OR org_id = $1)
                ORDER BY created_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED
                """,
                org_id,
                limit,
            )
            if not rows:
                return 0
            drafts = [
                corpus_draft(r["id"], r["question"], r["answer"], language=r["language"])
                for r in rows
            ]
            points = await asyncio.to_thread(embed_drafts, drafts, self.embedder, self.sparse)
            by_org: dict[uuid.UUID, list] = {}
            for row, point in zip(rows, points, strict=True):
                by_org.setdefault(row["org_id"], []).append(point)
            for org, org_points in by_org.items():
                await self.vectors.upsert(org, CollectionKind.CORPUS, org_points)
            # The point id is the row id, so a crash after the upsert and before this update
            # only means the next pass upserts the same point again.
            await conn.execute(
                "UPDATE corpus_entries SET vector_id = id, vector_space = $2"
                " WHERE id = ANY($1::uuid[])",
                [r["id"] for r in rows],
                self.space,
            )
        log.info("indexed %d approved repl%s", len(rows), "y" if len(rows) == 1 else "ies")
        return len(rows)
