"""The FAQ retrieval benchmark's data and index: Banking77 FAQs and queries, the zh/es sets,
and a fresh in-memory store per run (see bench/retrieval.py for what is measured)."""

from __future__ import annotations

import collections
import csv
import dataclasses
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from agents.retrieval.points import FAQ_DENSE, FAQ_LEXICAL, PointDraft, embed_drafts, faq_draft
from storage.vectors import CollectionKind, VectorStore, make_qdrant_client

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Faq:
    intent: str
    language: str
    question: str
    answer: str


@dataclass(frozen=True)
class Query:
    text: str
    intent: str
    language: str
    split: str  # "dev" | "test"


@dataclass
class Bench:
    faqs: dict[str, list[Faq]]  # knowledge base name → FAQs
    sets: dict[str, tuple[str, list[Query]]]  # query set name → (knowledge base, queries)
    orgs: dict[str, uuid.UUID] = field(default_factory=dict)


def load(datasets: Path) -> Bench:
    from sklearn.feature_extraction.text import TfidfVectorizer

    def rows(name: str) -> list[dict[str, str]]:
        with (datasets / "banking77" / name).open(newline="") as f:
            return list(csv.DictReader(f))

    train, test = rows("train.csv"), rows("test.csv")
    by_intent: dict[str, list[str]] = collections.defaultdict(list)
    for row in train:
        by_intent[row["category"]].append(row["text"].strip())
    answers = json.loads((DATA / "banking77_faq_answers.json").read_text())
    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(r["text"] for r in train)
    english = []
    for intent in sorted(by_intent):
        matrix = tfidf.transform(by_intent[intent])
        medoid = int((matrix @ matrix.T).toarray().mean(axis=1).argmax())
        english.append(Faq(intent, "en", by_intent[intent][medoid], answers[intent]))
    seen: collections.Counter[str] = collections.Counter()
    en_queries = []
    for row in test:
        split = "dev" if seen[row["category"]] % 4 == 0 else "test"
        seen[row["category"]] += 1
        en_queries.append(Query(row["text"].strip(), row["category"], "en", split))

    multi = json.loads((DATA / "banking77_multilingual.json").read_text())
    multi.pop("_about")
    local_half = set(list(multi)[0::2])
    faqs = {"en": english, "mixed": list(english), "partial": list(english), "half": english[0::2]}
    sets = {"en": ("en", en_queries)}
    for lang in ("zh", "es"):
        faqs[lang] = [
            Faq(i, lang, v[lang]["question"], v[lang]["answer"]) for i, v in multi.items()
        ]
        faqs["mixed"] += faqs[lang]
        faqs["partial"] += [f for f in faqs[lang] if f.intent in local_half]
        queries = [
            Query(text, intent, lang, "dev" if n == 0 else "test")
            for intent, v in multi.items()
            for n, text in enumerate(v[lang]["queries"])
        ]
        sets[f"{lang}→en"] = ("en", queries)
        sets[f"{lang}→{lang}"] = (lang, queries)
        sets[f"{lang}→mixed"] = ("mixed", queries)
        sets[f"{lang}→partial"] = ("partial", [q for q in queries if q.intent not in local_half])
    half = {f.intent for f in faqs["half"]}
    sets["unseen"] = ("half", [q for q in en_queries if q.intent not in half])
    return Bench(faqs, sets)


class CachedQueries:
    """Wraps an embedder so each distinct query is embedded once per run (in batches).

    Quality runs repeat every query per mode; latency is measured separately, uncached.
    """

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self._cache: dict[str, list[float]] = {}

    def prime(self, texts: list[str]) -> float:
        todo = sorted({t for t in texts if t not in self._cache})
        started = time.perf_counter()
        self._cache.update(zip(todo, self.inner.embed_queries(todo), strict=True))
        return (time.perf_counter() - started) / max(len(todo), 1) * 1000

    def embed_documents(self, texts):
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        if text not in self._cache:
            self._cache[text] = self.inner.embed_query(text)
        return self._cache[text]


class Uncentered:
    """The same embedder under another name, so no language centering applies to it
    (agents.retrieval.centering matches the shipped means by model name): the "before" rows."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, f"{inner.name} (uncentered)", inner.dim

    def embed_documents(self, texts):
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def drafts_for(
    base: str, faqs: list[Faq], dense: tuple[str, ...], lexical: str
) -> list[PointDraft]:
    """The points ingestion would write for these FAQs (points.faq_draft: the same texts, the
    same blank-answer rule), under bench ids and with the intent the scoring reads."""
    drafts = []
    for faq in faqs:
        # Point ids are unique per collection, not per org: the kb name keeps them apart.
        point_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/{faq.language}/{faq.intent}")
        draft = faq_draft(
            point_id, faq.question, faq.answer, language=faq.language, dense=dense, lexical=lexical
        )
        drafts.append(dataclasses.replace(draft, payload={**draft.payload, "intent": faq.intent}))
    return drafts


async def build(
    bench: Bench,
    embedder,
    sparse,
    *,
    dense_text: tuple[str, ...] = FAQ_DENSE,
    lexical_text: str = FAQ_LEXICAL,
) -> tuple[VectorStore, float, int]:
    """A fresh in-memory store with one org per knowledge base; returns (store, seconds, n)."""
    store = VectorStore(
        make_qdrant_client(url=None, api_key=None, path=None), dense_size=embedder.dim
    )
    await store.ensure_collections()
    started, count = time.perf_counter(), 0
    for name, faqs in bench.faqs.items():
        bench.orgs[name] = uuid.uuid5(uuid.NAMESPACE_URL, f"bench-org/{name}")
        points = embed_drafts(drafts_for(name, faqs, dense_text, lexical_text), embedder, sparse)
        await store.upsert(bench.orgs[name], CollectionKind.KNOWLEDGE, points)
        count += len(points)
    return store, time.perf_counter() - started, count
