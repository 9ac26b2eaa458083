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

What is embedded (measured with ``bench/retrieval.py --tune``, dev split, dense hit@3/MRR):
the dense vector of a FAQ or corpus entry is the mean of three passage vectors — the question,
the question plus the answer, and the answer — each language-centered first
(:mod:`agents.retrieval.centering`), then renormalised. The answer says what the FAQ is about
in other words than the question, which is what a paraphrasing customer needs (question+answer
beat the question alone: 0.786 → 0.847 on English). Over centered question+answer vectors the
three-vector mean added MRR on every set (en .870/.782 → .884/.806, zh→en .867/.684 →
.800/.722, es→en .733/.619 → .833/.724, zh→zh 1.0/.906 → .967/.919, es→es .900/.840 →
.900/.872; the zh hit@3 losses are 2 and 1 of 30 queries) and stays one vector per point,
which any Qdrant server stores; two vectors per FAQ scored by max or a weighted sum did not
beat it. The lexical vector is made from the question plus the answer. The cost: the cosine of
a customer repeating the FAQ question word for word is 0.6-0.8, not 1, which the confidence
threshold (``retriever.CONFIDENT_COSINE``) is calibrated for. A chunk is embedded with its
document title in front (centered too).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agents.retrieval.base import Embedder, SparseEncoder
from agents.retrieval.centering import centering_for
from storage.vectors import CollectionKind, VectorPoint

# Which texts make each vector of a FAQ / corpus entry; the bench switches these. The dense
# vector is the (centered, renormalised) mean of one passage vector per text named.
FAQ_DENSE: tuple[str, ...] = ("question", "question+answer", "answer")
FAQ_LEXICAL = "question+answer"  # "question" | "question+answer"


@dataclass(frozen=True)
class PointDraft:
    """A point before embedding: its id, payload, collection, and the texts of its vectors
    (the dense vector is the mean of one vector per text in ``dense_texts``)."""

    id: uuid.UUID
    collection: CollectionKind
    payload: dict
    dense_texts: tuple[str, ...]
    lexical_text: str


def _qa_text(question: str, answer: str, which: str) -> str:
    if which == "question":
        return question
    if which == "answer":
        return answer
    return f"{question}\n{answer}"


def _qa_texts(question: str, answer: str, which: Sequence[str]) -> tuple[str, ...]:
    # A blank answer would add the vector of nothing in particular: leave it out.
    texts = tuple(_qa_text(question, answer, w) for w in which if w == "question" or answer.strip())
    return texts or (question,)


def _str(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def faq_draft(
    row_id: uuid.UUID,
    question: str,
    answer: str,
    *,
    language: str | None = None,
    document_id: uuid.UUID | None = None,
    dense: Sequence[str] = FAQ_DENSE,
    lexical: str = FAQ_LEXICAL,
) -> PointDraft:
    """The draft of a ``faqs`` row (knowledge collection, ``source_kind="faq"``); ``dense`` and
    ``lexical`` name the texts of its vectors (only the bench changes them)."""
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
        _qa_texts(question, answer, dense),
        _qa_text(question, answer, lexical),
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
    return PointDraft(row_id, CollectionKind.KNOWLEDGE, payload, (embedded,), embedded)


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
        _qa_texts(question, answer, FAQ_DENSE),
        _qa_text(question, answer, FAQ_LEXICAL),
    )


def embed_drafts(
    drafts: Sequence[PointDraft], embedder: Embedder, sparse: SparseEncoder
) -> list[VectorPoint]:
    """Embed many drafts in one batched call (CPU-bound: run it in a thread from async code).

    Upsert each point into ``draft.collection``; drafts of both collections may be mixed.
    """
    return [
        VectorPoint(d.id, vector, sparse.encode_document(d.lexical_text), d.payload)
        for d, vector in zip(drafts, dense_vectors(drafts, embedder), strict=True)
    ]


def dense_vectors(drafts: Sequence[PointDraft], embedder: Embedder) -> list[list[float]]:
    """Each draft's dense vector: its texts embedded in one batch, language-centered when the
    embedder has shipped means, averaged per draft and renormalised."""
    texts = [t for d in drafts for t in d.dense_texts]
    if not texts:
        return []
    matrix = np.asarray(embedder.embed_documents(texts), dtype=np.float64)
    centering = centering_for(embedder)
    if centering is not None:
        matrix = centering.center(matrix, query=False).astype(np.float64)
    out: list[list[float]] = []
    start = 0
    for d in drafts:
        mean = matrix[start : start + len(d.dense_texts)].sum(axis=0)
        start += len(d.dense_texts)
        norm = float(np.linalg.norm(mean))
        out.append((mean / norm if norm > 0 else matrix[start - 1]).tolist())
    return out


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
