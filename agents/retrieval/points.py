"""What ingestion writes to Qdrant: the payload schema and the point builders.

Ingestion (agents/knowledge) and the approval loop (corpus entries) build their points here so
that the text that is embedded and the payload the retriever reads stay in one place. The point
id is the PostgreSQL row id (store it in the row's ``vector_id`` too), so re-ingesting a row
replaces its point instead of adding a second one. Deactivating or deleting a row must delete
its point (``VectorStore.delete``); the retriever does not filter on ``is_active``.

Payloads (``org_id`` is added by ``VectorStore.upsert``; ids are strings; absent values are
``None``):

=========  ==================================  ==========================================
kind       collection                          payload fields
=========  ==================================  ==========================================
FAQ        ``CollectionKind.KNOWLEDGE``        ``source_kind="faq"``, ``row_id``,
                                               ``question``, ``answer``, ``language``,
                                               ``document_id``
chunk      ``CollectionKind.KNOWLEDGE``        ``source_kind="chunk"``, ``row_id``,
                                               ``document_id``, ``title``, ``text``,
                                               ``ord``, ``language``
corpus     ``CollectionKind.CORPUS``           ``source_kind="corpus"``, ``row_id``,
                                               ``question``, ``answer``, ``language``
=========  ==================================  ==========================================

What is embedded (measured with ``bench/retrieval.py --tune``, dev split, hit@3): for FAQs and
corpus entries both vectors are made from the question plus the answer. The answer says what
the FAQ is about in other words than the question, which is what a paraphrasing customer needs:
dense hit@3 went from 0.786 to 0.847 on English, 0.600 to 0.800 zh→en and 0.733 to 0.767
es→en; the lexical vector gained too (0.666 → 0.697). The cost: the cosine of a customer
repeating the FAQ question word for word is ~0.88-0.9 rather than ~1, which the confidence
threshold (``retriever.CONFIDENT_COSINE``) is calibrated for. A chunk is embedded with its
document title in front.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from agents.retrieval.base import Embedder, SparseEncoder
from storage.vectors import CollectionKind, VectorPoint

# Which text goes into each vector of a FAQ / corpus entry; the bench switches these.
FAQ_DENSE = "question+answer"  # "question" | "question+answer"
FAQ_LEXICAL = "question+answer"  # "question" | "question+answer"


@dataclass(frozen=True)
class PointDraft:
    """A point before embedding: its id, payload, collection, and the text of each vector."""

    id: uuid.UUID
    collection: CollectionKind
    payload: dict
    dense_text: str
    lexical_text: str


def _qa_text(question: str, answer: str, which: str) -> str:
    return question if which == "question" else f"{question}\n{answer}"


def _str(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def faq_draft(
    row_id: uuid.UUID,
    question: str,
    answer: str,
    *,
    language: str | None = None,
    document_id: uuid.UUID | None = None,
) -> PointDraft:
    """The draft of a ``faqs`` row (knowledge collection, ``source_kind="faq"``)."""
    payload = {
        "source_kind": "faq",
        "row_id": str(row_id),
        "question": question,
        "answer": answer,
        "language": language,
        "document_id": _str(document_id),
    }
    return PointDraft(
        row_id,
        CollectionKind.KNOWLEDGE,
        payload,
        _qa_text(question, answer, FAQ_DENSE),
        _qa_text(question, answer, FAQ_LEXICAL),
    )


def chunk_draft(
    row_id: uuid.UUID,
    document_id: uuid.UUID,
    text: str,
    *,
    title: str | None = None,
    ord: int = 0,
    language: str | None = None,
) -> PointDraft:
    """The draft of a ``document_chunks`` row (knowledge collection, ``source_kind="chunk"``)."""
    payload = {
        "source_kind": "chunk",
        "row_id": str(row_id),
        "document_id": str(document_id),
        "title": title,
        "text": text,
        "ord": ord,
        "language": language,
    }
    # The title gives a chunk cut from the middle of a document its topic.
    embedded = f"{title}\n{text}" if title else text
    return PointDraft(row_id, CollectionKind.KNOWLEDGE, payload, embedded, embedded)


def corpus_draft(
    row_id: uuid.UUID, question: str, answer: str, *, language: str | None = None
) -> PointDraft:
    """The draft of a ``corpus_entries`` row (corpus collection): embedded like a FAQ."""
    payload = {
        "source_kind": "corpus",
        "row_id": str(row_id),
        "question": question,
        "answer": answer,
        "language": language,
    }
    return PointDraft(
        row_id,
        CollectionKind.CORPUS,
        payload,
        _qa_text(question, answer, FAQ_DENSE),
        _qa_text(question, answer, FAQ_LEXICAL),
    )


def embed_drafts(
    drafts: Sequence[PointDraft], embedder: Embedder, sparse: SparseEncoder
) -> list[VectorPoint]:
    """Embed many drafts in one batched call (CPU-bound: run it in a thread from async code).

    Upsert each point into ``draft.collection``; drafts of both collections may be mixed.
    """
    dense = embedder.embed_documents([d.dense_text for d in drafts])
    return [
        VectorPoint(d.id, vector, sparse.encode_document(d.lexical_text), d.payload)
        for d, vector in zip(drafts, dense, strict=True)
    ]


def faq_point(
    row_id: uuid.UUID,
    question: str,
    answer: str,
    *,
    embedder: Embedder,
    sparse: SparseEncoder,
    language: str | None = None,
    document_id: uuid.UUID | None = None,
) -> VectorPoint:
    """One FAQ's point (for many, batch with :func:`faq_draft` + :func:`embed_drafts`)."""
    draft = faq_draft(row_id, question, answer, language=language, document_id=document_id)
    return embed_drafts([draft], embedder, sparse)[0]


def chunk_point(
    row_id: uuid.UUID,
    document_id: uuid.UUID,
    text: str,
    *,
    embedder: Embedder,
    sparse: SparseEncoder,
    title: str | None = None,
    ord: int = 0,
    language: str | None = None,
) -> VectorPoint:
    """One chunk's point (for a whole document, batch with :func:`chunk_draft`)."""
    draft = chunk_draft(row_id, document_id, text, title=title, ord=ord, language=language)
    return embed_drafts([draft], embedder, sparse)[0]


def corpus_point(
    row_id: uuid.UUID,
    question: str,
    answer: str,
    *,
    embedder: Embedder,
    sparse: SparseEncoder,
    language: str | None = None,
) -> VectorPoint:
    """One approved reply's point, for ``CollectionKind.CORPUS``."""
    draft = corpus_draft(row_id, question, answer, language=language)
    return embed_drafts([draft], embedder, sparse)[0]
