"""Rows whose vectors were embedded in another space than the current one (migrations/0018).

Each indexed FAQ, chunk, approved reply and memory records ``vector_space``; NULL with a
``vector_id`` means it was indexed before spaces were recorded. The ``claim_*`` functions lock
up to ``limit`` such rows with ``FOR UPDATE SKIP LOCKED`` (call them inside a transaction and
``mark_*`` them in the same one), so two workers never re-embed the same row. "Another space"
is written ``IS NULL OR < $1 OR > $1`` so the partial indexes of 0018 answer it from empty
ranges once everything is current, instead of reading every row.

A row whose re-embedding failed on its own is recorded with :func:`record_failure`
(``vector_failed_at``, migrations/0019) and the claims pass it over for ``retry_after``, so a
row that always fails cannot hold back the others (the claims have no ORDER BY: without the
record every pass would claim the same batch again).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from ..db import Connection


@dataclass(frozen=True)
class StaleFaq:
    id: uuid.UUID
    org_id: uuid.UUID
    vector_id: uuid.UUID
    question: str
    answer: str
    language: str | None
    document_id: uuid.UUID | None


@dataclass(frozen=True)
class StaleChunk:
    id: uuid.UUID
    org_id: uuid.UUID
    vector_id: uuid.UUID
    document_id: uuid.UUID
    document_title: str
    heading: str | None
    text: str
    ord: int
    language: str | None


@dataclass(frozen=True)
class StaleEntry:
    """An approved reply (``corpus_entries``) to re-embed."""

    id: uuid.UUID
    org_id: uuid.UUID
    vector_id: uuid.UUID
    question: str
    answer: str
    language: str | None


async def claim_faqs(
    conn: Connection,
    space: str,
    *,
    limit: int,
    org_id: uuid.UUID | None = None,
    retry_after: timedelta = timedelta(0),
    only: uuid.UUID | None = None,
) -> list[StaleFaq]:
    """Stale FAQs not failed within ``retry_after`` (``only``: that one row, if still so)."""
    records = await conn.fetch(
        """
        SELECT id, org_id, vector_id, question, answer, language, document_id FROM faqs
        WHERE vector_id IS NOT NULL
          AND (vector_space IS NULL OR vector_space < $1 OR vector_space > $1)
          AND ($3::uuid IS NULL OR org_id = $3)
          AND (vector_failed_at IS NULL OR vector_failed_at <= now() - $4::interval)
          AND ($5::uuid IS NULL OR id = $5)
        LIMIT $2
        FOR UPDATE SKIP LOCKED
        """,
        space,
        limit,
        org_id,
        retry_after,
        only,
    )
    return [StaleFaq(**r) for r in records]


async def claim_chunks(
    conn: Connection,
    space: str,
    *,
    limit: int,
    org_id: uuid.UUID | None = None,
    retry_after: timedelta = timedelta(0),
    only: uuid.UUID | None = None,
) -> list[StaleChunk]:
    """Stale chunks with their document's title (it is embedded in front of the text); the
    arguments as :func:`claim_faqs`."""
    records = await conn.fetch(
        """
        SELECT c.id, c.org_id, c.vector_id, c.document_id, d.title AS document_title,
               c.heading, c.text, c.ord, c.language
        FROM document_chunks c JOIN documents d ON d.id = c.document_id
        WHERE c.vector_id IS NOT NULL
          AND (c.vector_space IS NULL OR c.vector_space < $1 OR c.vector_space > $1)
          AND ($3::uuid IS NULL OR c.org_id = $3)
          AND (c.vector_failed_at IS NULL OR c.vector_failed_at <= now() - $4::interval)
          AND ($5::uuid IS NULL OR c.id = $5)
        LIMIT $2
        FOR UPDATE OF c SKIP LOCKED
        """,
        space,
        limit,
        org_id,
        retry_after,
        only,
    )
    return [StaleChunk(**r) for r in records]


async def claim_entries(
    conn: Connection,
    space: str,
    *,
    limit: int,
    org_id: uuid.UUID | None = None,
    retry_after: timedelta = timedelta(0),
    only: uuid.UUID | None = None,
) -> list[StaleEntry]:
    """Active approved replies in another space (inactive ones have no point to refresh); the
    arguments as :func:`claim_faqs`."""
    records = await conn.fetch(
        """
        SELECT id, org_id, vector_id, question, answer, language FROM corpus_entries
        WHERE vector_id IS NOT NULL AND is_active
          AND (vector_space IS NULL OR vector_space < $1 OR vector_space > $1)
          AND ($3::uuid IS NULL OR org_id = $3)
          AND (vector_failed_at IS NULL OR vector_failed_at <= now() - $4::interval)
          AND ($5::uuid IS NULL OR id = $5)
        LIMIT $2
        FOR UPDATE SKIP LOCKED
        """,
        space,
        limit,
        org_id,
        retry_after,
        only,
    )
    return [StaleEntry(**r) for r in records]


# Static statements per table (no SQL built from strings).
_RECORD_FAILURE = {
    "faqs": "UPDATE faqs SET vector_failed_at = now() WHERE id = $1",
    "document_chunks": "UPDATE document_chunks SET vector_failed_at = now() WHERE id = $1",
    "corpus_entries": "UPDATE corpus_entries SET vector_failed_at = now() WHERE id = $1",
}


_MARK_CURRENT = {
    "faqs": "UPDATE faqs SET vector_space = $2, vector_failed_at = NULL WHERE id = ANY($1::uuid[])",
    "document_chunks": "UPDATE document_chunks SET vector_space = $2, vector_failed_at = NULL"
    " WHERE id = ANY($1::uuid[])",
    "corpus_entries": "UPDATE corpus_entries SET vector_space = $2, vector_failed_at = NULL"
    " WHERE id = ANY($1::uuid[])",
}


async def mark_current(conn: Connection, table: str, ids: Sequence[uuid.UUID], space: str) -> None:
    """These rows (of ``faqs``, ``document_chunks`` or ``corpus_entries``) are now embedded in
    ``space``; a past failure is forgotten."""
    await conn.execute(_MARK_CURRENT[table], list(ids), space)


async def record_failure(conn: Connection, table: str, row_id: uuid.UUID) -> None:
    """Re-embedding this row (of ``faqs``, ``document_chunks`` or ``corpus_entries``) failed:
    the claims pass it over for their ``retry_after``."""
    await conn.execute(_RECORD_FAILURE[table], row_id)


async def settle_documents(conn: Connection, document_ids: Sequence[uuid.UUID], space: str) -> None:
    """Record ``space`` in the metadata of those documents whose FAQs and chunks are now all in
    it, so ``kb ingest`` of an unchanged file skips it again (agents.knowledge.ingest)."""
    await conn.execute(
        """
        UPDATE documents d SET metadata = d.metadata || jsonb_build_object('vectors', $2::text)
        WHERE d.id = ANY($1::uuid[])
          AND d.metadata ->> 'vectors' IS DISTINCT FROM $2
          AND NOT EXISTS (SELECT 1 FROM faqs f WHERE f.document_id = d.id
                          AND f.vector_id IS NOT NULL AND f.vector_space IS DISTINCT FROM $2)
          AND NOT EXISTS (SELECT 1 FROM document_chunks c WHERE c.document_id = d.id
                          AND c.vector_id IS NOT NULL AND c.vector_space IS DISTINCT FROM $2)
        """,
        list(set(document_ids)),
        space,
    )


async def requeue_memories(
    conn: Connection, space: str, *, limit: int, org_id: uuid.UUID | None = None
) -> int:
    """Hand up to ``limit`` live memories embedded in another space back to the memory
    indexer (``vector_id`` NULL: agents.memory.service re-embeds them and records the space);
    returns how many. Their old points stay searchable until then (same point id).

    Only while no memory (of the org, or any) written in the last ten minutes waits for the
    indexer: it takes the oldest first, so re-queued old memories would otherwise sit ahead of
    a fact a customer gave a minute ago. Older waiting rows don't block: a memory that keeps
    failing to index stays unindexed (passed over between retries, ``vector_failed_at``), and
    must not stop every org's re-queue forever (neither re-embedding nor recording a failure
    bumps ``updated_at``, so re-queued and failed rows don't count either; the cap per pass
    keeps that backlog below what one indexer pass takes)."""
    status = await conn.execute(
        """
        UPDATE memories SET vector_id = NULL
        WHERE id IN (
            SELECT id FROM memories
            WHERE vector_id IS NOT NULL AND (expires_at IS NULL OR expires_at > now())
              AND (vector_space IS NULL OR vector_space < $1 OR vector_space > $1)
              AND ($3::uuid IS NULL OR org_id = $3)
              AND NOT EXISTS (
                  SELECT 1 FROM memories w
                  WHERE w.vector_id IS NULL AND (w.expires_at IS NULL OR w.expires_at > now())
                    AND w.updated_at > now() - interval '10 minutes'
                    AND ($3::uuid IS NULL OR w.org_id = $3))
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        """,
        space,
        limit,
        org_id,
    )
    return int(status.split()[-1])


async def counts(
    conn: Connection,
    space: str,
    memory_space: str | None = None,
    *,
    org_id: uuid.UUID | None = None,
) -> dict[str, int]:
    """How many indexed rows of each kind (of one org, or all) await re-embedding."""
    record = await conn.fetchrow(
        """
        SELECT
          (SELECT count(*) FROM faqs WHERE vector_id IS NOT NULL
             AND ($3::uuid IS NULL OR org_id = $3)
             AND (vector_space IS NULL OR vector_space < $1 OR vector_space > $1)) AS faqs,
          (SELECT count(*) FROM document_chunks WHERE vector_id IS NOT NULL
             AND ($3::uuid IS NULL OR org_id = $3)
             AND (vector_space IS NULL OR vector_space < $1 OR vector_space > $1)) AS chunks,
          (SELECT count(*) FROM corpus_entries WHERE vector_id IS NOT NULL AND is_active
             AND ($3::uuid IS NULL OR org_id = $3)
             AND (vector_space IS NULL OR vector_space < $1 OR vector_space > $1)) AS replies,
          (SELECT count(*) FROM memories WHERE vector_id IS NOT NULL AND $2::text IS NOT NULL
             AND ($3::uuid IS NULL OR org_id = $3)
             AND (expires_at IS NULL OR expires_at > now())
             AND (vector_space IS NULL OR vector_space < $2 OR vector_space > $2)) AS memories
        """,
        space,
        memory_space,
        org_id,
    )
    return dict(record)
