"""The agent playground behind ``trademate try``: talk to an org's agent as a sandbox customer.

Each line is stored as an inbound message (through the repositories, not a webhook) of a
sandbox customer in a sandbox conversation on the org's sandbox channel, then handed to the
same :class:`agents.pipeline.Pipeline` the worker runs — built by ``open_pipeline`` without a
channel runtime, so it has no outbox. What the pipeline did is returned as a :class:`Turn`.

Sandbox rows are marked ``is_test`` (see ``storage.repositories.sandbox``): they are never
sent (no outbox here, the conversation is a sandbox for the pipeline, and migration 0010
refuses any outbound message on a sandbox channel), must be left out of stats, leads and
follow-ups (those queries filter ``NOT is_test``), and ``purge`` removes them all.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agents.pipeline import Pipeline
from agents.pipeline_contracts import Outcome
from storage.db import transaction
from storage.models import Channel, Conversation, Customer, Organization, Platform
from storage.repositories import conversations, messages, organizations, sandbox
from storage.repositories import memories as memory_repo
from storage.repositories.memories import Memory
from storage.vectors import CollectionKind

from .services import Services

_SNIPPET = 160


@dataclass
class Turn:
    """What the agent made of one line: the fields ``trademate try --json`` prints."""

    text: str
    message_id: uuid.UUID
    category: str | None = None
    sub_intent: str | None = None
    confidence: float | None = None
    language: str | None = None
    sentiment: str | None = None
    hot_lead: bool = False
    lead_score: int = 0
    memories: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    draft: str | None = None
    draft_language: str | None = None
    draft_kind: str | None = None
    action: str | None = None
    reason: str | None = None
    engine: str = "offline"  # what drafted
    llm_fallback: str | None = None  # why the LLM's draft was not used, when one is configured
    classified_by: str = "offline"  # "llm" when the configured model classified
    # Why each LLM step ("classify", "memories", "draft") was done offline, when it was.
    llm_fallbacks: dict[str, str] = field(default_factory=dict)
    suggestion_id: uuid.UUID | None = None
    # Why the pipeline stopped before classifying (e.g. a bare STOP: the customer opted out);
    # every other field is then empty, so this is the only thing the turn says.
    skipped: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "text"}
        data["input"] = self.text
        data["message_id"] = str(self.message_id)
        data["suggestion_id"] = None if self.suggestion_id is None else str(self.suggestion_id)
        return data


def turn_from(text: str, outcome: Outcome) -> Turn:
    turn = Turn(
        text,
        outcome.message_id,
        engine=outcome.engine,
        llm_fallback=outcome.llm_fallback,
        llm_fallbacks=dict(outcome.llm_fallbacks),
        skipped=outcome.skipped,
    )
    c = outcome.classification
    if c is not None:
        turn.classified_by = c.engine
        turn.category, turn.sub_intent, turn.language = c.category, c.sub_intent, c.language
        turn.confidence, turn.sentiment = round(c.confidence, 4), c.sentiment
        turn.hot_lead, turn.lead_score = c.is_hot_lead, c.lead_score
    turn.memories = [
        {"category": r.memory.category, "content": r.memory.content, "score": r.score}
        for r in outcome.memories
    ]
    if outcome.draft is not None:
        hits = {str(h.id): h for h in outcome.hits}
        turn.sources = [_with_snippet(s, hits) for s in outcome.draft.sources]
        turn.draft = outcome.draft.text
        turn.draft_language, turn.draft_kind = outcome.draft.language, outcome.draft.kind
    if outcome.decision is not None:
        turn.action, turn.reason = outcome.decision.action, outcome.decision.reason
    turn.suggestion_id = outcome.suggestion_id
    return turn


def _with_snippet(source: dict[str, Any], hits: dict[str, Any]) -> dict[str, Any]:
    """The draft's citation plus a short snippet of what it cites."""
    hit = hits.get(str(source.get("id")))
    if hit is not None:
        snippet = f"{hit.title} — {hit.text}" if hit.title else hit.text
    elif source.get("kind") == "product":
        snippet = f"{source.get('sku')}: {source.get('price')} {source.get('currency')}"
    else:  # a template: its id says it all
        snippet = str(source.get("title") or "")
    snippet = " ".join(snippet.split())
    if len(snippet) > _SNIPPET:
        snippet = snippet[: _SNIPPET - 1] + "…"
    return {**source, "snippet": snippet}


class Playground:
    """One ``try`` session: an org, a sandbox channel and the current sandbox customer (by
    default one without a name, so drafts greet it as they greet a customer we know nothing
    about)."""

    def __init__(
        self,
        services: Services,
        pipeline: Pipeline,
        org: Organization,
        *,
        platform: Platform = "whatsapp",
        customer_name: str | None = None,
        language: str | None = None,
    ) -> None:
        self.services = services
        self.pipeline = pipeline
        self.org = org
        self.platform = platform
        self.customer_name = customer_name
        self.language = language
        self.channel: Channel | None = None
        self.customer: Customer | None = None

    async def start(self) -> Customer:
        """Continue with the newest sandbox customer of this name, or create one."""
        async with transaction(self.services.pool) as conn:
            self.channel = await self._channel(conn)
            found = await sandbox.latest_customer(conn, self.org.id, self.customer_name)
            if found is None:
                found = await sandbox.create_customer(
                    conn, self.org.id, self.channel.id, self.customer_name, language=self.language
                )
            elif self.language and found.language != self.language:
                await sandbox.set_language(conn, self.org.id, found.id, self.language)
        self.customer = found
        return found

    async def reset(self) -> Customer:
        """A new sandbox customer: no memories, a new conversation."""
        async with transaction(self.services.pool) as conn:
            self.channel = await self._channel(conn)
            self.customer = await sandbox.create_customer(
                conn, self.org.id, self.channel.id, self.customer_name, language=self.language
            )
        return self.customer

    async def say(self, text: str) -> Turn:
        """Store ``text`` as the customer's next message and run the pipeline on it."""
        if self.customer is None or self.channel is None:
            await self.start()
        assert self.customer is not None and self.channel is not None
        org_id = self.org.id
        async with transaction(self.services.pool) as conn:
            conversation = await self._conversation(conn)
            stored = await messages.insert_inbound(
                conn,
                org_id=org_id,
                conversation_id=conversation.id,
                channel_id=self.channel.id,
                customer_id=self.customer.id,
                external_message_id=f"try-{uuid.uuid4()}",
                content=text,
                metadata={"sandbox": True},
            )
            # Taken at once, as the worker would: the reconciler never re-queues it.
            message = await messages.claim_for_processing(
                conn, org_id, stored.message.id, lease_seconds=300
            )
        assert message is not None
        try:
            outcome = await self.pipeline.handle(message)
        except BaseException:
            async with self.services.pool.acquire() as conn:
                await messages.release_after_error(
                    conn, org_id, message.id, "failed in trademate try", max_attempts=1
                )
            raise
        async with self.services.pool.acquire() as conn:
            await messages.finish_processing(conn, org_id, message.id)
        return turn_from(text, outcome)

    async def memories(self) -> list[Memory]:
        if self.customer is None:
            return []
        async with self.services.pool.acquire() as conn:
            return await memory_repo.for_customer(conn, self.org.id, self.customer.id)

    async def _channel(self, conn) -> Channel:
        return await sandbox.channel(
            conn,
            self.org.id,
            self.platform,
            config_encrypted=self.services.secrets.encrypt({}),
            webhook_secret=secrets.token_urlsafe(24),
        )

    async def _conversation(self, conn) -> Conversation:
        assert self.customer is not None and self.channel is not None
        return await conversations.upsert_active(
            conn,
            self.org.id,
            self.customer.id,
            self.channel.id,
            inbound_at=datetime.now(UTC),
            is_test=True,
        )


async def resolve_org(services: Services, org_ref: str) -> Organization:
    async with services.pool.acquire() as conn:
        return await organizations.resolve(conn, org_ref)


async def purge(services: Services, org: Organization) -> dict[str, int]:
    """Delete every sandbox row of the org, and its sandbox customers' memory vectors;
    returns how many rows of each kind went."""
    vectors = services.require_vectors()
    async with transaction(services.pool) as conn:
        purged = await sandbox.purge(conn, org.id)
        if purged.customer_ids:  # inside the transaction: a failure here keeps the rows
            await vectors.delete_where(
                org.id,
                CollectionKind.MEMORIES,
                {"customer_id": [str(i) for i in purged.customer_ids]},
            )
    return purged.counts
