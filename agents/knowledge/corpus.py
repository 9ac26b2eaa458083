"""Approved replies become searchable: index ``corpus_entries`` rows into Qdrant.

The approval path inserts a corpus row (``vector_id`` NULL) in the decision's transaction;
whoever has the vector store open (the worker, the single default process) calls
:meth:`CorpusIndexer.index_pending`. Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so two
processes never embed the same entry, and a failed upsert leaves the row for the next pass.

One bad row must not hold the rest back (rows are claimed oldest first, so it would head every
batch): a batch that fails is rolled back and its rows are indexed one at a time, and a row
that fails while others of its batch index is recorded (``vector_failed_at``,
migrations/0019) and passed over for ``retry_after``, as memory upkeep and re-embedding do.
When no row of the batch indexes, the model or the store is down, not a row: the error is
raised (the upkeep logs it, the next pass tries again) and no row is blamed, so the replies
approved during an outage are searchable as soon as it ends.

Each entry records the vector space it was embedded in (``vector_space``, migrations/0018);
entries of another space (indexed before language centering, or by another embedder) are
re-embedded by the worker's upkeep, :mod:`agents.knowledge.reembed`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta

import asyncpg

from agents.retrieval.base import Embedder, SparseEncoder
from agents.retrieval.centering import vector_format
from agents.retrieval.points import corpus_draft, embed_drafts
from storage.repositories import corpus_entries, vector_spaces
from storage.repositories.corpus_entries import UnindexedEntry
from storage.vectors import CollectionKind, VectorPoint, VectorStore

from .reembed import RETRY_FAILED_AFTER

log = logging.getLogger(__name__)


class CorpusIndexer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        vectors: VectorStore,
        embedder: Embedder,
        sparse: SparseEncoder,
        *,
        retry_after: timedelta = RETRY_FAILED_AFTER,
    ) -> None:
        """``retry_after``: how long a reply that failed on its own is passed over."""
        self.pool = pool
        self.vectors = vectors
        self.embedder = embedder
        self.sparse = sparse
        self.space = vector_format(embedder)
        self.retry_after = retry_after

    async def index_pending(self, org_id: uuid.UUID | None = None, *, limit: int = 64) -> int:
        """Index up to ``limit`` unindexed active entries (of one org, or all); returns how many.
        Raises when a batch fails and none of its rows indexes on its own (see the module
        docstring)."""
        claimed: list[UnindexedEntry] = []
        try:
            done = await self._index(org_id, limit, claimed=claimed)
        except Exception:  # noqa: BLE001 - an embedder's or the store's: rows retried alone
            if len(claimed) <= 1:
                raise  # the claim itself failed, or one row: nothing to tell apart
            log.warning(
                "indexing %d approved replies failed as a batch; retrying them one at a time",
                len(claimed),
                exc_info=True,
            )
            done = await self._index_one_at_a_time(claimed, org_id)
        if done:
            log.info("indexed %d approved repl%s", done, "y" if done == 1 else "ies")
        return done

    async def _index_one_at_a_time(
        self, claimed: Sequence[UnindexedEntry], org_id: uuid.UUID | None
    ) -> int:
        """The rows of a failed batch, each in its own claim; the ones that fail while
        another indexes are recorded so the next claims pass them over."""
        done = 0
        failed: list[tuple[UnindexedEntry, Exception]] = []
        for entry in claimed:
            try:
                # 0 when another worker claimed or indexed it after our rollback: not a failure.
                done += await self._index(org_id, 1, only=entry.id)
            except Exception as err:  # noqa: BLE001 - counted against this row below
                failed.append((entry, err))
        if failed and not done:
            raise failed[0][1]  # nothing indexes: the model or the store, not these rows
        for entry, err in failed:
            log.error(
                "org=%s approved reply %s: not indexed (passed over for %s): %r",
                entry.org_id,
                entry.id,
                self.retry_after,
                err,
            )
        if failed:
            async with self.pool.acquire() as conn:
                for entry, _ in failed:
                    await vector_spaces.record_failure(conn, "corpus_entries", entry.id)
        return done

    async def _index(
        self,
        org_id: uuid.UUID | None,
        limit: int,
        *,
        claimed: list[UnindexedEntry] | None = None,
        only: uuid.UUID | None = None,
    ) -> int:
        """Claim up to ``limit`` entries (``only``: that one), embed and upsert them and mark
        them, in one transaction; ``claimed`` receives the claimed rows."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await corpus_entries.claim_unindexed(
                conn, limit=limit, org_id=org_id, retry_after=self.retry_after, only=only
            )
            if claimed is not None:
                claimed.extend(rows)
            if not rows:
                return 0
            drafts = [corpus_draft(r.id, r.question, r.answer, language=r.language) for r in rows]
            points = await asyncio.to_thread(embed_drafts, drafts, self.embedder, self.sparse)
            by_org: dict[uuid.UUID, list[VectorPoint]] = {}
            for row, point in zip(rows, points, strict=True):
                by_org.setdefault(row.org_id, []).append(point)
            for org, org_points in by_org.items():
                await self.vectors.upsert(org, CollectionKind.CORPUS, org_points)
            # The point id is the row id, so a crash after the upsert and before this update
            # only means the next pass upserts the same point again.
            await corpus_entries.mark_indexed(conn, [r.id for r in rows], self.space)
        return len(rows)
