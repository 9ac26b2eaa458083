"""Knowledge rows: knowledge bases, ingested documents with their processing status, the
documents' chunks, and FAQs (see migrations/0005_knowledge.sql).

Text lives here, vectors in Qdrant; ``vector_id`` on a chunk or FAQ row is its point's id.
Documents have no unique key besides their id, so ingestion serialises work on one document
with :func:`try_lock_document` (a session-level advisory lock) instead.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ..db import Connection
from ..errors import NotFound
from ..models import Row

DocumentStatus = Literal["pending", "processing", "ready", "failed"]
# The first half of every two-integer advisory lock taken on documents. Two-integer keys never
# collide with single-bigint keys (the migrations lock), and this constant keeps them apart
# from any other two-integer user.
_DOCUMENT_LOCK_CLASS = 0x4B42  # "KB"


class KnowledgeBase(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    description: str | None
    language: str | None
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class Document(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    knowledge_base_id: uuid.UUID | None
    title: str
    source_path: str | None
    mime_type: str | None
    size_bytes: int | None
    content_hash: str | None
    language: str | None
    status: DocumentStatus
    error: str | None
    chunk_count: int
    metadata: dict[str, Any]
    processed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DocumentChunk(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    document_id: uuid.UUID
    ord: int
    text: str
    heading: str | None
    metadata: dict[str, Any]
    language: str | None
    vector_id: uuid.UUID | None
    created_at: datetime


class Faq(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    knowledge_base_id: uuid.UUID | None
    document_id: uuid.UUID | None
    question: str
    answer: str
    language: str | None
    category: str | None
    tags: list[str]
    is_active: bool
    hit_count: int
    vector_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class NewChunk:
    id: uuid.UUID
    ord: int
    text: str
    heading: str | None
    language: str | None
    vector_id: uuid.UUID | None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewFaq:
    id: uuid.UUID
    question: str
    answer: str
    language: str | None
    category: str | None
    vector_id: uuid.UUID | None


# -- knowledge bases ---------------------------------------------------------------------------


async def ensure_knowledge_base(conn: Connection, org_id: uuid.UUID, name: str) -> KnowledgeBase:
    """The org's knowledge base called ``name``, created if missing (safe to race)."""
    record = await conn.fetchrow(
        """
        INSERT INTO knowledge_bases (org_id, name) VALUES ($1, $2)
        ON CONFLICT (org_id, name) DO NOTHING
        RETURNING *
        """,
        org_id,
        name,
    )
    if record is None:  # it existed, or a concurrent insert committed first
        record = await conn.fetchrow(
            "SELECT * FROM knowledge_bases WHERE org_id = $1 AND name = $2", org_id, name
        )
    return KnowledgeBase.from_record(record)


# -- document locks ----------------------------------------------------------------------------


def document_lock_id(org_id: uuid.UUID, knowledge_base_id: uuid.UUID, key: str) -> int:
    """The advisory-lock number of ``key`` (a source path or a content hash) in this org's
    knowledge base. Computed here rather than by ``hashtext`` so callers can sort the numbers:
    taking several locks in one global order is what keeps two ingests from deadlocking."""
    digest = hashlib.sha256(f"{org_id}|{knowledge_base_id}|{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


async def try_lock_document(conn: Connection, lock_id: int) -> bool:
    """Take a session-level document lock without waiting; True when taken. Held until
    :func:`unlock_document` or the end of the connection (a crashed ingest frees it, and
    asyncpg's pool reset releases it too)."""
    return await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", _DOCUMENT_LOCK_CLASS, lock_id)


async def unlock_document(conn: Connection, lock_id: int) -> None:
    await conn.fetchval("SELECT pg_advisory_unlock($1, $2)", _DOCUMENT_LOCK_CLASS, lock_id)


# -- documents ---------------------------------------------------------------------------------


async def create_document(
    conn: Connection,
    org_id: uuid.UUID,
    knowledge_base_id: uuid.UUID | None,
    *,
    title: str,
    source_path: str | None,
    mime_type: str | None,
    size_bytes: int | None,
    content_hash: str | None,
) -> Document:
    """A new document row in status ``pending``."""
    record = await conn.fetchrow(
        """
        INSERT INTO documents
            (org_id, knowledge_base_id, title, source_path, mime_type, size_bytes, content_hash)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING *
        """,
        org_id,
        knowledge_base_id,
        title,
        source_path,
        mime_type,
        size_bytes,
        content_hash,
    )
    return Document.from_record(record)


async def get_document(conn: Connection, org_id: uuid.UUID, document_id: uuid.UUID) -> Document:
    record = await conn.fetchrow(
        "SELECT * FROM documents WHERE org_id = $1 AND id = $2", org_id, document_id
    )
    if record is None:
        raise NotFound("document", document_id)
    return Document.from_record(record)


async def find_by_source(
    conn: Connection, org_id: uuid.UUID, knowledge_base_id: uuid.UUID, source_path: str
) -> Document | None:
    """The document ingested from ``source_path`` in this knowledge base (the newest, should
    an older run have left two), or None."""
    record = await conn.fetchrow(
        """
        SELECT * FROM documents
        WHERE org_id = $1 AND knowledge_base_id = $2 AND source_path = $3
        ORDER BY created_at DESC LIMIT 1
        """,
        org_id,
        knowledge_base_id,
        source_path,
    )
    return None if record is None else Document.from_record(record)


async def find_ready_by_hash(
    conn: Connection, org_id: uuid.UUID, knowledge_base_id: uuid.UUID, content_hash: str
) -> Document | None:
    """A document of this knowledge base already indexed from identical bytes, or None."""
    record = await conn.fetchrow(
        """
        SELECT * FROM documents
        WHERE org_id = $1 AND knowledge_base_id = $2 AND content_hash = $3 AND status = 'ready'
        ORDER BY created_at LIMIT 1
        """,
        org_id,
        knowledge_base_id,
        content_hash,
    )
    return None if record is None else Document.from_record(record)


async def list_documents(conn: Connection, org_id: uuid.UUID) -> list[Document]:
    records = await conn.fetch(
        "SELECT * FROM documents WHERE org_id = $1 ORDER BY created_at, title", org_id
    )
    return [Document.from_record(r) for r in records]


async def set_status(
    conn: Connection,
    org_id: uuid.UUID,
    document_id: uuid.UUID,
    status: DocumentStatus,
    *,
    error: str | None = None,
) -> None:
    """Move a document to ``status`` (``error`` is cleared unless given)."""
    result = await conn.execute(
        "UPDATE documents SET status = $3, error = $4 WHERE org_id = $1 AND id = $2",
        org_id,
        document_id,
        status,
        error,
    )
    if result.endswith(" 0"):
        raise NotFound("document", document_id)


async def vector_ids(
    conn: Connection, org_id: uuid.UUID, document_id: uuid.UUID
) -> list[uuid.UUID]:
    """The Qdrant point ids of the document's chunks and FAQs."""
    records = await conn.fetch(
        """
        SELECT vector_id FROM document_chunks
        WHERE org_id = $1 AND document_id = $2 AND vector_id IS NOT NULL
        UNION ALL
        SELECT vector_id FROM faqs
        WHERE org_id = $1 AND document_id = $2 AND vector_id IS NOT NULL
        """,
        org_id,
        document_id,
    )
    return [r["vector_id"] for r in records]


async def replace_contents(
    conn: Connection,
    org_id: uuid.UUID,
    document_id: uuid.UUID,
    *,
    chunks: Sequence[NewChunk],
    faqs: Sequence[NewFaq],
    title: str,
    mime_type: str,
    size_bytes: int,
    content_hash: str,
    language: str | None,
    metadata: dict[str, Any],
    vector_space: str | None = None,
) -> Document:
    """Swap the document's chunks and FAQs for new ones and mark it ``ready``; their
    vectors are in ``vector_space`` (migrations/0018).

    Run it inside a transaction so searches never see the document half replaced.
    """
    record = await conn.fetchrow(
        """
        UPDATE documents
        SET title = $3, mime_type = $4, size_bytes = $5, content_hash = $6, language = $7,
            metadata = $8, chunk_count = $9, status = 'ready', error = NULL, processed_at = now()
        WHERE org_id = $1 AND id = $2
        RETURNING *
        """,
        org_id,
        document_id,
        title,
        mime_type,
        size_bytes,
        content_hash,
        language,
        metadata,
        len(chunks),
    )
    if record is None:
        raise NotFound("document", document_id)
    document = Document.from_record(record)
    await conn.execute(
        "DELETE FROM document_chunks WHERE org_id = $1 AND document_id = $2", org_id, document_id
    )
    await conn.execute(
        "DELETE FROM faqs WHERE org_id = $1 AND document_id = $2", org_id, document_id
    )
    if chunks:
        await conn.execute(
            """
            INSERT INTO document_chunks
                (id, org_id, document_id, ord, text, heading, metadata, language, vector_id,
                 vector_space)
            SELECT c.id, $1, $2, c.ord, c.text, c.heading, c.metadata, c.language, c.vector_id,
                   $10
            FROM unnest($3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[]::jsonb[],
                        $8::text[], $9::uuid[])
                AS c(id, ord, text, heading, metadata, language, vector_id)
            """,
            org_id,
            document_id,
            [c.id for c in chunks],
            [c.ord for c in chunks],
            [c.text for c in chunks],
            [c.heading for c in chunks],
            # JSON text: a dict inside an array parameter isn't one jsonb value to asyncpg.
            [json.dumps(c.metadata, ensure_ascii=False) for c in chunks],
            [c.language for c in chunks],
            [c.vector_id for c in chunks],
            vector_space,
        )
    if faqs:
        await conn.execute(
            """
            INSERT INTO faqs
                (id, org_id, knowledge_base_id, document_id, question, answer, language, category,
                 vector_id, vector_space)
            SELECT f.id, $1, $2, $3, f.question, f.answer, f.language, f.category, f.vector_id,
                   $10
            FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::uuid[])
                AS f(id, question, answer, language, category, vector_id)
            """,
            org_id,
            document.knowledge_base_id,
            document_id,
            [f.id for f in faqs],
            [f.question for f in faqs],
            [f.answer for f in faqs],
            [f.language for f in faqs],
            [f.category for f in faqs],
            [f.vector_id for f in faqs],
            vector_space,
        )
    return document


# -- chunks and FAQs ---------------------------------------------------------------------------


async def list_chunks(
    conn: Connection, org_id: uuid.UUID, document_id: uuid.UUID
) -> list[DocumentChunk]:
    records = await conn.fetch(
        "SELECT * FROM document_chunks WHERE org_id = $1 AND document_id = $2 ORDER BY ord",
        org_id,
        document_id,
    )
    return [DocumentChunk.from_record(r) for r in records]


async def list_faqs(
    conn: Connection, org_id: uuid.UUID, *, document_id: uuid.UUID | None = None
) -> list[Faq]:
    """The org's FAQs (only one document's when ``document_id`` is given)."""
    records = await conn.fetch(
        """
        SELECT * FROM faqs
        WHERE org_id = $1 AND ($2::uuid IS NULL OR document_id = $2)
        ORDER BY created_at, question
        """,
        org_id,
        document_id,
    )
    return [Faq.from_record(r) for r in records]
