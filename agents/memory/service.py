"""Remembering and recalling what customers told us.

``remember`` stores the facts of one message (offline rules; an LLM extractor can supply
facts the same way), merging with what is known: a single-valued fact (location, budget,
e-mail) replaces the old one of its kind, others accumulate, exact repeats are ignored.
``recall`` ranks a customer's memories for the message at hand by relevance to it (dense
similarity when the vector store is available) times their decayed importance.

Memories never cross customers or organizations: every read filters on both, in SQL and in
Qdrant (the store adds the org; we add the customer).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from storage.repositories import memories as memory_repo
from storage.repositories.memories import Memory
from storage.vectors import CollectionKind, VectorPoint, VectorStore

from ..retrieval.base import Embedder
from ..retrieval.queries import QueryEncoder
from .rules import SINGLE_VALUED, Fact, extract_facts

log = logging.getLogger(__name__)


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
    ) -> None:
        """``queries`` embeds recall questions; share the retriever's so a message is embedded
        once for both."""
        self.pool = pool
        self.vectors = vectors
        self.embedder = embedder
        if queries is None and embedder is not None:
            queries = QueryEncoder(embedder)
        self.queries = queries

    async def remember(
        self,
        org_id: uuid.UUID,
        customer_id: uuid.UUID,
        text: str,
        *,
        message_id: uuid.UUID | None = None,
        facts: Sequence[Fact] | None = None,
        source: str = "rules",
    ) -> list[Memory]:
        """Store the facts in ``text`` (or the given ones); returns the new/changed memories."""
        facts = list(facts) if facts is not None else extract_facts(text)
        if not facts:
            return []
        changed: list[Memory] = []
        async with self.pool.acquire() as conn, conn.transaction():
            known = await memory_repo.for_customer(conn, org_id, customer_id)
            for fact in facts:
                same_kind = [m for m in known if m.category == fact.category]
                if any(m.content.lower() == fact.content.lower() for m in same_kind):
                    continue
                if fact.category in SINGLE_VALUED and same_kind:
                    memory = await memory_repo.update(
                        conn,
                        org_id,
                        same_kind[0].id,
                        content=fact.content,
                        importance=fact.importance,
                        source=source,
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
                        source=source,
                        source_message_id=message_id,
                        vector_id=None,
                    )
                known = [m for m in known if m.id != memory.id] + [memory]
                changed.append(memory)
        await self._index(org_id, changed)
        return changed

    async def recall(
        self,
        org_id: uuid.UUID,
        customer_id: uuid.UUID,
        query: str,
        *,
        limit: int = 5,
        vector: list[float] | None = None,
    ) -> list[Recalled]:
        """The customer's ``limit`` most useful memories for ``query`` (``vector``: its dense
        vector, when the caller has it)."""
        async with self.pool.acquire() as conn:
            known = await memory_repo.for_customer(conn, org_id, customer_id)
        if not known:
            return []
        relevance = await self._relevance(org_id, customer_id, query, len(known), vector)
        now = datetime.now(UTC)
        ranked = sorted(
            (
                Recalled(m, round(_decayed(m, now) * (0.5 + relevance.get(m.id, 0.0)), 4))
                for m in known
            ),
            key=lambda r: -r.score,
        )[:limit]
        async with self.pool.acquire() as conn:
            await memory_repo.touch(conn, org_id, [r.memory.id for r in ranked])
        return ranked

    async def _relevance(
        self,
        org_id: uuid.UUID,
        customer_id: uuid.UUID,
        query: str,
        limit: int,
        vector: list[float] | None,
    ) -> dict[uuid.UUID, float]:
        if self.vectors is None or self.queries is None or not query.strip():
            return {}
        if vector is None:
            vector = await self.queries.dense(query)
        hits = await self.vectors.search_dense(
            org_id,
            CollectionKind.MEMORIES,
            vector,
            limit=limit,
            where={"customer_id": str(customer_id)},
        )
        return {uuid.UUID(hit.payload["memory_id"]): max(hit.score, 0.0) for hit in hits}

    async def _index(self, org_id: uuid.UUID, changed: Sequence[Memory]) -> None:
        if self.vectors is None or self.embedder is None or not changed:
            return
        contents = [m.content for m in changed]
        if self.queries is not None:  # batched with the queries, and cached
            dense = await self.queries.passages(contents)
        else:
            dense = await asyncio.to_thread(self.embedder.embed_documents, contents)
        points = [
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
            for m, vector in zip(changed, dense, strict=True)
        ]
        await self.vectors.upsert(org_id, CollectionKind.MEMORIES, points)
        async with self.pool.acquire() as conn:
            await conn.executemany(
                "UPDATE memories SET vector_id = $2 WHERE org_id = $1 AND id = $2",
                [(org_id, m.id) for m in changed],
            )


def _decayed(memory: Memory, now: datetime) -> float:
    """Importance minus ``decay_rate`` per day since last touched (recent use resets it)."""
    last = max(filter(None, [memory.updated_at, memory.last_accessed_at]))
    days = max((now - last).total_seconds() / 86400, 0.0)
    return max(memory.importance - memory.decay_rate * days, 0.05)
