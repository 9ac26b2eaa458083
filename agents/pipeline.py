"""The agent pipeline for one inbound message: classify → remember → retrieve → draft → policy.

It runs in the worker after intake has stored the message, and is idempotent per message:
the classification and the reply suggestion are unique per message, memories dedupe by
content, and an auto-send happens only when the suggestion was created by this run. What it
produces — a ``reply_suggestions`` row with sources, action and reason — is announced on the
org's event channel for the approval loop.

Sending is not this package's business: an auto-sent reply is handed to the ``Outbox`` that
the composition root wires to the channels.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from functools import partial
from typing import TYPE_CHECKING, Any

import asyncpg
import redis.asyncio as aioredis

from storage import events
from storage.models import Message
from storage.redis_client import Keys
from storage.repositories import classifications, message_context, suggestions

from .classifier.base import Classification
from .classifier.batching import ClassifierBatcher
from .drafting.offline import HIT_CATEGORIES, DraftContext, OfflineDrafter
from .followups.optin import detect_opt_in, record_opt_in
from .followups.optout import opt_out_match, record_opt_out
from .knowledge.reembed import Reembedder
from .llm.tasks import recent_turns
from .memory.service import MemoryService, with_changes
from .pipeline_contracts import (
    ClassifierSource,
    Outbox,
    Outcome,
    QuoteDrafter,
    Retriever,
    SuggestionNotifier,
)
from .policy import Decision, decide

if TYPE_CHECKING:
    from .knowledge.corpus import CorpusIndexer
    from .llm.tasks import LLMTasks

log = logging.getLogger(__name__)


class Pipeline:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        classifiers: ClassifierSource,
        memory: MemoryService,
        drafter: OfflineDrafter,
        retriever: Retriever | None = None,
        redis: aioredis.Redis | None = None,
        keys: Keys | None = None,
        outbox: Outbox | None = None,
        retrieval_limit: int = 5,
        llm: LLMTasks | None = None,
        corpus_indexer: CorpusIndexer | None = None,
        notifier: SuggestionNotifier | None = None,
        quotes: QuoteDrafter | None = None,
        batcher: ClassifierBatcher | None = None,
    ) -> None:
        self.pool = pool
        self.classifiers = classifiers
        self.memory = memory
        self.drafter = drafter
        self.retriever = retriever
        self.redis = redis
        self.keys = keys
        self.outbox = outbox
        self.retrieval_limit = retrieval_limit
        self.llm = llm
        self.corpus_indexer = corpus_indexer
        self.notifier = notifier
        self.quotes = quotes
        # Concurrent messages are classified together (one model call for what is waiting).
        self.batcher = batcher if batcher is not None else ClassifierBatcher()

    async def maintain(self, org_id: uuid.UUID | None = None) -> int:
        """Background upkeep the worker runs on each reconciler pass: index approved replies
        and customer memories that no process with the vector store has indexed yet (new
        ones, and ones edited since), and re-embed a few rows indexed in another vector
        space (agents/knowledge/reembed.py); of every org, or of ``org_id``. Returns how many.

        Each step runs on its own: one that fails (the store unreachable, a model error) is
        logged and the others still run; the next pass tries it again. Approved-reply and
        memory indexing isolate a bad row: a batch that fails is retried one row at a time,
        and a row that fails while others of its batch index is recorded in the database
        (``vector_failed_at``) and passed over for a while by every worker, so it no longer
        holds back the newer rows; when nothing indexes (the model or the store down), the step
        fails and no row is blamed."""
        steps: list[tuple[str, Callable[[uuid.UUID | None], Awaitable[int]]]] = [
            ("memory indexing", self.memory.index_pending)
        ]
        if self.corpus_indexer is not None:
            steps.append(("approved-reply indexing", self.corpus_indexer.index_pending))
            steps.append(("re-embedding", Reembedder.of(self.corpus_indexer, self.memory).run_once))
        done = 0
        for name, step in steps:
            try:
                done += await step(org_id)
            except Exception:  # noqa: BLE001 - one broken step must not starve the others
                log.exception("upkeep: %s failed; the other steps go on, next pass retries", name)
        return done

    async def __call__(self, message: Message) -> None:
        """The worker's message handler."""
        await self.handle(message)

    async def handle(self, message: Message) -> Outcome:
        outcome = Outcome(message.id)
        text = (message.content or "").strip()
        if message.direction != "inbound" or not text or message.content_type == "event":
            outcome.skipped = "nothing to answer (no text, or a platform event)"
            return outcome
        clock = partial(_timed, outcome.timings_ms)
        org_id = message.org_id
        llm = self.llm if self.llm is not None and self.llm.active else None
        async with self.pool.acquire() as conn:  # one round trip for every read below
            context = await message_context.load(
                conn, org_id, message.conversation_id, with_turns=llm is not None
            )
        conversation, customer = context.conversation, context.customer
        # Opt-outs are recorded (no proactive messages from now on). A bare STOP / 退订 / baja
        # needs no answer; a phrase ("please stop sending me messages") may mean something
        # else, so that message is still drafted and escalated to a person (below).
        opt_out = opt_out_match(text)
        if opt_out is not None:
            async with self.pool.acquire() as conn:
                await record_opt_out(conn, org_id, customer.id, text, channel_id=message.channel_id)
            if opt_out.whole_message:
                outcome.skipped = "the customer opted out of messages"
                return outcome
        if detect_opt_in(text):  # START / 订阅 / alta lift their own opt-out; still drafted
            async with self.pool.acquire() as conn:
                await record_opt_in(conn, org_id, customer.id, text, channel_id=message.channel_id)

        turns = [] if llm is None else recent_turns(context.turns, before=message.id)
        fallbacks = outcome.llm_fallbacks
        with clock("classify"):
            classifier = await self.classifiers.for_org(org_id)
            c = await self.batcher.classify(classifier, text)
        version = getattr(classifier, "version", None)
        if llm is not None:  # offline first: the spam gate, and the fallback
            with clock("llm_classify"):
                by_llm = await llm.classify(
                    org_id,
                    text,
                    c,
                    shop_name=context.organization.name,
                    turns=turns,
                    message_id=message.id,
                    fallbacks=fallbacks,
                )
            if by_llm is not None:
                c, version = by_llm.classification, by_llm.model_version
        outcome.classification = c
        await self._record_classification(message, conversation.id, customer.id, c, version)

        if c.category != "spam":
            await self._remember_and_retrieve(message, text, context, llm, turns, outcome)

        catalog = context.catalog
        with clock("draft"):
            ctx = DraftContext(
                text=text,
                classification=c,
                hits=outcome.hits,
                products=catalog,
                customer_name=customer.display_name,
                customer_language=customer.language,
                shop_name=context.organization.name,
                overrides=context.overrides,
                memories=[r.memory for r in outcome.memories],
            )
            if llm is not None:
                outcome.draft = await llm.draft(org_id, ctx, turns=turns, fallbacks=fallbacks)
                if outcome.draft is not None:
                    outcome.engine = "llm"
                outcome.llm_fallback = fallbacks.get("draft")
            if outcome.draft is None:
                outcome.draft = self.drafter.draft(ctx)
        if self.quotes is not None and c.category != "spam":
            with clock("quote"):  # an explicit purchase request also gets a quote draft
                quote = await self.quotes(message, is_test=conversation.is_test, catalog=catalog)
            if quote is not None and self.notifier is not None:
                await self.notifier(org_id, quote.suggestion_id)
        draft = outcome.draft
        outcome.decision = decide(
            c,
            draft.kind if draft else None,
            draft.confidence if draft else 0.0,
            context.organization.settings,
        )
        if opt_out is not None:  # read as an opt-out: a person sees it, nothing is sent alone
            outcome.decision = Decision(
                "escalate", f"the customer may have opted out ({opt_out.keyword!r})"
            )
        if draft is None:
            return outcome
        await self._suggest(message, conversation, outcome)
        return outcome

    async def _remember_and_retrieve(
        self,
        message: Message,
        text: str,
        context: message_context.MessageContext,
        llm: LLMTasks | None,
        turns: list[str],
        outcome: Outcome,
    ) -> None:
        """Store the message's facts and recall the customer's memories; retrieve knowledge.

        The LLM's memory extraction runs while retrieval does; both end before anything is
        stored, so what is stored does not depend on which ends first."""
        org_id, customer_id, c = message.org_id, context.customer.id, outcome.classification
        assert c is not None
        clock = partial(_timed, outcome.timings_ms)
        extraction = (
            None
            if llm is None
            else asyncio.create_task(
                llm.memories(
                    org_id,
                    text,
                    known=context.memories,
                    turns=turns,
                    message_id=message.id,
                    fallbacks=outcome.llm_fallbacks,
                )
            )
        )
        try:
            # Offline only the drafts of HIT_CATEGORIES read hits, and the query embedding is
            # the pipeline's largest cost; an LLM reads the hits of every message.
            drafts_by_llm = llm is not None and llm.uses("draft")
            if self.retriever is not None and (drafts_by_llm or c.category in HIT_CATEGORIES):
                with clock("retrieve"):
                    outcome.hits = await self.retriever.search(
                        org_id, text, limit=self.retrieval_limit
                    )
            with clock("memory"):
                llm_facts = [] if extraction is None else await extraction
                changed = await self.memory.remember(
                    org_id,
                    customer_id,
                    text,
                    message_id=message.id,
                    known=context.memories,
                    llm_facts=llm_facts,
                )
                known = with_changes(context.memories, changed)
                outcome.memories = await self.memory.recall(org_id, customer_id, text, known=known)
        finally:
            if extraction is not None and not extraction.done():
                extraction.cancel()  # retrieval failed: nobody will read it
            elif extraction is not None and not extraction.cancelled():
                extraction.exception()  # seen: no "exception was never retrieved" warning

    async def _record_classification(
        self,
        message: Message,
        conversation_id: uuid.UUID,
        customer_id: uuid.UUID,
        c: Classification,
        model_version: str | None,
    ) -> None:
        """Store the classification and what it tells about the customer and conversation.

        Sandbox customers and conversations (``is_test``, from ``trademate try``) get the same
        rows, so the playground shows the real result. This creates no ``leads`` or
        ``hot_leads`` rows; whatever does (and every stats, lead or follow-up query) must
        leave sandbox rows out: filter ``NOT is_test`` on customers or conversations."""
        async with self.pool.acquire() as conn:
            await classifications.record_with_effects(
                conn,
                org_id=message.org_id,
                message_id=message.id,
                customer_id=customer_id,
                conversation_id=conversation_id,
                category=c.category,
                confidence=c.confidence,
                language=c.language,
                sentiment=c.sentiment,
                sub_intent=c.sub_intent,
                urgency=c.urgency,
                is_hot_lead=c.is_hot_lead,
                lead_score=c.lead_score,
                scores=dict(c.scores),
                engine=c.engine,
                model_version=model_version,
            )

    async def _suggest(self, message: Message, conversation, outcome: Outcome) -> None:
        draft, decision, c = outcome.draft, outcome.decision, outcome.classification
        assert draft is not None and decision is not None and c is not None
        sandbox = conversation.is_test
        async with self.pool.acquire() as conn:
            suggestion, created = await suggestions.create_reply(
                conn,
                org_id=message.org_id,
                message_id=message.id,
                conversation_id=conversation.id,
                draft=draft.text,
                language=draft.language,
                sources=draft.sources,
                confidence=draft.confidence,
                engine=outcome.engine,
                action=decision.action,
                reason=decision.reason,
                status=decision.suggestion_status,
                metadata={
                    "kind": draft.kind,
                    "classification": _summary(c),
                    "memories": [r.memory.content for r in outcome.memories],
                    "timings_ms": outcome.timings_ms,
                    "sandbox": sandbox,
                },
            )
        outcome.suggestion_id = suggestion.id
        if not created:
            return  # re-processing: the first run already announced (and maybe sent) it
        if decision.action == "auto_send" and self.outbox is not None and not sandbox:
            await self.outbox.send_suggestion(
                message.org_id, suggestion.id, conversation.id, draft.text
            )
        await self._announce(message.org_id, suggestion.id, conversation.id, decision)
        if self.notifier is not None and suggestion.status in ("pending", "escalated"):
            await self.notifier(message.org_id, suggestion.id)

    async def _announce(self, org_id, suggestion_id, conversation_id, decision: Decision) -> None:
        if self.redis is None or self.keys is None:
            return
        event = {
            "type": "suggestion.created",
            "suggestion_id": str(suggestion_id),
            "conversation_id": str(conversation_id),
            "action": decision.action,
        }
        await events.publish(self.redis, self.keys, org_id, event)


def _summary(c: Classification) -> dict[str, Any]:
    data = asdict(c)
    data["scores"] = {k: round(v, 4) for k, v in c.scores.items()}
    return data


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Records how long the block took, in ms, as ``timings[stage]``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = round((time.perf_counter() - started) * 1000, 2)


__all__: Sequence[str] = ("Outcome", "Pipeline")
