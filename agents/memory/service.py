"""Remembering and recalling what customers told us.

``remember`` stores the facts of one message (offline rules, plus an LLM extractor's facts
when one is configured: agents/memory/llm.py), merging with what is known: a single-valued
fact (location, budget, e-mail) replaces the old one of its kind, others accumulate, repeats
are ignored (and when the caller already holds the customer's memories and every fact is a
repeat, nothing is written at all). ``recall`` ranks a customer's memories for the message
at hand by relevance to it times their decayed importance. Relevance is word overlap
(:mod:`.ranking`) for a customer with a few memories, and dense similarity beyond that.

Vectors are kept off the message path: a new or changed memory is stored with ``vector_id``
NULL (``memories.update`` clears it when the content changes, staff edits in the web inbox
included), and :meth:`MemoryService.index_pending` — the worker's upkeep — embeds and upserts
those in batches, claiming rows with ``FOR UPDATE SKIP LOCKED``. Dense recall must not wait
for it: an indexed memory's cosine comes from Qdrant, and one upkeep has not embedded yet (new,
edited, or of another vector space) is embedded on the spot through the shared
:class:`QueryEncoder` (cached, so upkeep's own pass then costs nothing) and compared with the
same query vector. Word overlap (~0) against e5 cosines (~0.75-0.9) would bury exactly the fact
the customer gave seconds ago ("Needs 500 pcs" behind the old "Needs 100 pcs").

One bad memory must not hold the others back (rows are claimed oldest first, so it would head
every batch): a batch that fails is retried one memory at a time, and a memory that fails while
others of its batch index is recorded in its row (``vector_failed_at``, migrations/0020) and
passed over for ``retry_after``, as approved-reply indexing and re-embedding do. The record is
shared by every worker and survives a restart. When no memory of the batch indexes, the model or
the store is down, not a row: the error is raised and no memory is blamed.

Memory vectors are not language-centered (:mod:`agents.retrieval.centering`): passages are
stored as ``embed_documents`` returns them and recall compares them with the raw
``embed_query`` vector, both sides uncentered; :attr:`MemoryService.vector_space` records
that, so centering them later would re-embed them through the upkeep.

Memories never cross customers or organizations: every read filters on both, in SQL and in
Qdrant (the store adds the org; we add the customer).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import numpy as np

from storage.repositories import memories as memory_repo
from storage.repositories.memories import Memory
from storage.vectors import CollectionKind, VectorPoint, VectorStore

from ..knowledge.reembed import RETRY_FAILED_AFTER
from ..retrieval.base import Embedder
from ..retrieval.queries import QueryEncoder
from .llm import merge
from .ranking import overlap, terms
from .rules import SINGLE_VALUED, Fact, extract_facts

log = logging.getLogger(__name__)

# Up to this many memories a customer's are ranked by word overlap (no query embedding);
# beyond it, dense recall in Qdrant. Recall returns 5: below a dozen the ranking is mostly
# importance, and an embedding per message is the pipeline's largest cost.
DENSE_ABOVE = 12


@dataclass(frozen=True)
class Recalled:
    memory: Memory
    score: float


class MemoryService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        vectors: VectorStore | None = None,
        embedder: Embedder | None = None,
        queries: QueryEncoder | None = None,
        dense_above: int = DENSE_ABOVE,
        retry_after: timedelta = RETRY_FAILED_AFTER,
    ) -> None:
        """``queries`` embeds recall questions and memory passages; share the retriever's so a
        message is embedded once for both. Without ``vectors`` and an embedder, recall ranks
        by word overlap only and nothing is indexed. ``retry_after``: how long a memory that
        failed to index on its own is passed over."""
        self.pool = pool
        self.vectors = vectors
        if queries is None and embedder is not None:
            queries = QueryEncoder(embedder)
        self.queries = queries
        self.dense_above = dense_above
        self.retry_after = retry_after

    @property
    def vector_space(self) -> str | None:
        """The space memory vectors are embedded in: the embedder's, uncentered (recall
        compares them with the raw query vector). Recorded per memory; the worker's upkeep
        (agents.knowledge.reembed) hands memories of another space back to be embedded again."""
        return None if self.queries is None else self.queries.embedder.name

    async def remember(
        self,
        org_id: uuid.UUID,
        customer_id: uuid.UUID,
        text: str,
        *,
        message_id: uuid.UUID | None = None,
        facts: Sequence[Fact] | None = None,
        source: str = "rules",
        known: Sequence[Memory] | None = None,
        llm_facts: Sequence[Fact] = (),
    ) -> list[Memory]:
        """Store the facts in ``text`` (or the given ones); returns the new/changed memories.
        ``known``: the customer's memories as the caller just read them; when every fact is
        already among them, no transaction is opened. ``llm_facts``: an LLM extractor's facts
        of the same message (agents/memory/llm.py), stored after the rules' with source "llm",
        except those that repeat a rule fact (:func:`agents.memory.llm.merge`)."""
        facts = list(facts) if facts is not None else extract_facts(text)
        sourced = [(f, source) for f in facts] + [(f, "llm") for f in merge(facts, llm_facts)]
        if not sourced or (known is not None and all(_is_known(f, known) for f, _ in sourced)):
            return []
        changed: list[Memory] = []
        async with self.pool.acquire() as conn, conn.transaction():
            # Read again inside the transaction: ``known`` decides only whether to come here.
            current = await memory_repo.for_customer(conn, org_id, customer_id)
            for fact, fact_source in sourced:
                same_kind = [m for m in current if m.category == fact.category]
                if _is_known(fact, same_kind):
                    continue
                if fact.category in SINGLE_VALUED and same_kind:
                    memory = await memory_repo.update(
                        conn,
                        org_id,
                        same_kind[0].id,
                        content=fact.content,
                        importance=fact.importance,
                        source=fact_source,
                        source_message_id=message_id,
                    )
                else:
                    memory = await memory_repo.add(
                        conn,
                        org_id=org_id,
                        customer_id=customer_id,
                        category=fact.category,
                        content=fact.content,
                        importance=fact.importance,
                        source=fact_source,
                        source_message_id=message_id,
                    )
                current = [m for m in current if m.id != memory.id] + [memory]
                changed.append(memory)
        return changed

    async def recall(
        self,
        org_id: uuid.UUID,
        customer_id: uuid.UUID,
        query: str,
        *,
        limit: int = 5,
        vector: list[float] | None = None,
        known: Sequence[Memory] | None = None,
    ) -> list[Recalled]:
        """The customer's ``limit`` most useful memories for ``query`` (``vector``: its
        uncentered ``embed_query`` vector, when the caller has it; ``known``: the customer's
        memories, when the caller has just read them)."""
        if known is None:
            async with self.pool.acquire() as conn:
                known = await memory_repo.for_customer(conn, org_id, customer_id)
        if not known:
            return []
        wanted = terms(query)
        relevance = {m.id: overlap(wanted, m.content) for m in known}
        if len(known) > self.dense_above:
            relevance.update(await self._dense_relevance(org_id, customer_id, query, known, vector))
        now = datetime.now(UTC)
        ranked = sorted(
            (Recalled(m, round(_decayed(m, now) * (0.5 + relevance[m.id]), 4)) for m in known),
            key=lambda r: -r.score,
        )[:limit]
        async with self.pool.acquire() as conn:
            await memory_repo.touch(conn, org_id, [r.memory.id for r in ranked])
        return ranked

    async def _dense_relevance(
        self,
        org_id: uuid.UUID,
        customer_id: uuid.UUID,
        query: str,
        known: Sequence[Memory],
        vector: list[float] | None,
    ) -> dict[uuid.UUID, float]:
        """The cosine of each of ``known`` with the query, all on one scale: Qdrant's for the
        memories indexed in this space with their current content, an on-the-spot passage
        embedding for the rest (see the module docstring)."""
        if self.vectors is None or self.queries is None or not query.strip():
            return {}
        if vector is None:
            vector = await self.queries.dense(query)
        indexed = {
            m.id: m
            for m in known
            if m.vector_id is not None and m.vector_space == self.vector_space
        }
        scores: dict[uuid.UUID, float] = {}
        if indexed:
            hits = await self.vectors.search_dense(
                org_id,
                CollectionKind.MEMORIES,
                vector,
                limit=len(indexed),
                where={"customer_id": str(customer_id)},
            )
            for hit in hits:
                memory = indexed.get(uuid.UUID(hit.payload["memory_id"]))
                # A point of older content (edited after ``known`` was read) is not this text.
                if memory is not None and hit.payload.get("content") == memory.content:
                    scores[memory.id] = max(hit.score, 0.0)
        pending = [m for m in known if m.id not in scores]
        if pending:
            try:
                passages = await self.queries.passages([m.content for m in pending])
            except Exception:  # noqa: BLE001 - recall degrades; the reply must still go out
                log.warning(
                    "org=%s customer=%s: embedding %d pending memories failed; they keep "
                    "their word overlap",
                    org_id,
                    customer_id,
                    len(pending),
                    exc_info=True,
                )
                return scores
            query_vector = np.asarray(vector, dtype=np.float64)
            for memory, passage in zip(pending, passages, strict=True):
                scores[memory.id] = max(_cosine(query_vector, np.asarray(passage)), 0.0)
        return scores

    async def index_pending(
        self, org_id: uuid.UUID | None = None, *, batch: int = 64, max_batches: int = 8
    ) -> int:
        """Embed and upsert memories (of one org, or all) without a current vector (new, or
        content changed since), ``batch`` at a time, at most ``max_batches`` batches (the
        worker's reconciler calls this every pass); returns how many. Rows are
        claimed with ``FOR UPDATE SKIP LOCKED``: two workers never embed the same memory, and
        an edit waits for the claim, then marks the memory stale again. Raises when a batch
        fails and none of its memories indexes on its own (see the module docstring)."""
        if self.vectors is None or self.queries is None:
            return 0
        done = 0
        for _ in range(max_batches):
            # A memory recorded as failing in a batch is passed over by the later batches of
            # the pass too (it would otherwise stay the oldest unindexed one and head them all).
            claimed, indexed = await self._index_batch(org_id, batch)
            done += indexed
            if claimed < batch:
                break
        if done:
            log.info("indexed %d memor%s", done, "y" if done == 1 else "ies")
        return done

    async def _index_batch(self, org_id: uuid.UUID | None, limit: int) -> tuple[int, int]:
        """One claimed batch: (how many were claimed, how many indexed)."""
        alone: Exception | None = None  # a batch of one failed: raised once the claim is over
        async with self.pool.acquire() as conn, conn.transaction():
            claimed = await memory_repo.claim_unindexed(
                conn, limit=limit, org_id=org_id, retry_after=self.retry_after
            )
            if not claimed:
                return 0, 0
            try:
                await self._upsert(claimed)
                indexed = list(claimed)
            except Exception as err:  # noqa: BLE001 - retried row by row just below
                if len(claimed) == 1:
                    alone, indexed = err, []
                    await self._failed_alone(conn, claimed[0], err)
                else:
                    log.warning(
                        "indexing %d memories failed; one at a time", len(claimed), exc_info=True
                    )
                    indexed = await self._upsert_one_at_a_time(claimed)
                    indexed_ids = {m.id for m in indexed}
                    await memory_repo.record_failures(
                        conn, [m.id for m in claimed if m.id not in indexed_ids]
                    )
            # The point id is the memory id: a crash before this update only means the next
            # pass upserts the same points again.
            if indexed:
                await memory_repo.mark_indexed(conn, [m.id for m in indexed], self.vector_space)
        if alone is not None:
            raise alone
        return len(claimed), len(indexed)

    async def _upsert_one_at_a_time(self, claimed: Sequence[Memory]) -> list[Memory]:
        """The memories of a failed batch that index on their own. One that fails while
        others succeed is the row's problem, not the embedder's or the store's: the caller
        records it, so no worker claims it for ``retry_after`` (its vector_id stays NULL, so
        recall embeds it on the spot). When none succeeds the model or store is down: the
        error is raised and no memory is blamed."""
        indexed: list[Memory] = []
        failed: list[tuple[Memory, Exception]] = []
        for memory in claimed:
            try:
                await self._upsert([memory])
            except Exception as err:  # noqa: BLE001 - recorded against this row by the caller
                failed.append((memory, err))
            else:
                indexed.append(memory)
        if not indexed:
            raise failed[0][1]
        for memory, err in failed:
            log.error(
                "org=%s memory=%s: not indexed (passed over for %s): %r",
                memory.org_id,
                memory.id,
                self.retry_after,
                err,
            )
        return indexed

    async def _failed_alone(self, conn: asyncpg.Connection, memory: Memory, err: Exception) -> None:
        """A batch of one failed: nothing tells the row from the model or the store, so as a
        rule nothing is recorded (the caller raises the error). A memory already recorded as
        failing on its own is recorded again, though: once the others are indexed it is
        claimed alone, and would otherwise fail (and be logged) on every pass after its first
        ``retry_after``."""
        if memory.vector_failed_at is None:
            return
        log.error(
            "org=%s memory=%s: not indexed again (passed over for %s): %r",
            memory.org_id,
            memory.id,
            self.retry_after,
            err,
        )
        await memory_repo.record_failures(conn, [memory.id])

    async def _upsert(self, memories: Sequence[Memory]) -> None:
        """Embed ``memories`` and replace their points (one per memory, id = memory id)."""
        assert self.vectors is not None and self.queries is not None
        dense = await self.queries.passages([m.content for m in memories])
        by_org: dict[uuid.UUID, list[VectorPoint]] = {}
        for m, vector in zip(memories, dense, strict=True):
            by_org.setdefault(m.org_id, []).append(
                VectorPoint(
                    id=m.id,  # one point per memory, replaced when the memory changes
                    dense=vector,
                    sparse=None,
                    payload={
                        "memory_id": str(m.id),
                        "customer_id": str(m.customer_id),
                        "category": m.category,
                        "content": m.content,
                    },
                )
            )
        for owner, points in by_org.items():
            await self.vectors.upsert(owner, CollectionKind.MEMORIES, points)


def with_changes(known: Sequence[Memory], changed: Sequence[Memory]) -> list[Memory]:
    """``known`` as ``remember`` left it: ``changed`` replace theirs (same id) or are added
    (the caller ranks them next, without reading them back)."""
    replaced = {m.id for m in changed}
    return [m for m in known if m.id not in replaced] + list(changed)


def _is_known(fact: Fact, known: Sequence[Memory]) -> bool:
    """A repeat (case, spacing and a closing full stop aside) of a memory of the same kind:
    "Based in Madrid." from the LLM is the rules' "Based in Madrid"."""
    content = _plain(fact.content)
    return any(m.category == fact.category and _plain(m.content) == content for m in known)


def _plain(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".!。")


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    """As Qdrant's cosine distance scores it (it normalises both vectors)."""
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norms if norms > 0 else 0.0


def _decayed(memory: Memory, now: datetime) -> float:
    """Importance minus ``decay_rate`` per day since last touched (recent use resets it)."""
    last = max(filter(None, [memory.updated_at, memory.last_accessed_at]))
    days = max((now - last).total_seconds() / 86400, 0.0)
    return max(memory.importance - memory.decay_rate * days, 0.05)
