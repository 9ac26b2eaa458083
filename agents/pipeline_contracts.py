"""What the pipeline needs from its collaborators, and what it returns for one message.

Kept apart from :mod:`agents.pipeline` so the composition root, the playground and tests can
name these without reading the pipeline's steps.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from storage.models import Message
from storage.repositories import products as product_repo

from .classifier.base import Classification
from .drafting.offline import Draft
from .memory.service import Recalled
from .policy import Decision
from .retrieval.base import Hit


class Classifier(Protocol):
    def classify(self, text: str) -> Classification: ...


class ClassifierSource(Protocol):
    """Gives the classifier for an org (its own retrained model, or the default)."""

    async def for_org(self, org_id: uuid.UUID) -> Classifier: ...


class Retriever(Protocol):
    async def search(self, org_id: uuid.UUID, query: str, *, limit: int = 5) -> list[Hit]: ...


class Outbox(Protocol):
    async def send_suggestion(
        self, org_id: uuid.UUID, suggestion_id: uuid.UUID, conversation_id: uuid.UUID, text: str
    ) -> None: ...


class SuggestionNotifier(Protocol):
    """Told once per new suggestion waiting for a person (pending or escalated), after it is
    stored: the approval cards. Must not raise for delivery problems of its own."""

    async def __call__(self, org_id: uuid.UUID, suggestion_id: uuid.UUID) -> object: ...


class QuoteDrafter(Protocol):
    """Drafts a quote (pending approval) when the message is an explicit purchase request
    (``agents.quotes.intent.quote_from_message``); returns it, with its ``suggestion_id``,
    or None. Sandbox conversations get none."""

    async def __call__(
        self, message: Message, *, is_test: bool, catalog: Sequence[product_repo.Product]
    ) -> Any: ...


@dataclass
class Outcome:
    """What the pipeline did with one message (returned to callers like `trademate try`)."""

    message_id: uuid.UUID
    classification: Classification | None = None
    memories: list[Recalled] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    draft: Draft | None = None
    decision: Decision | None = None
    suggestion_id: uuid.UUID | None = None
    skipped: str | None = None
    engine: str = "offline"  # what drafted; the classification's own engine says what classified
    # Why the configured LLM did not draft (timeout, provider error, invalid output, a price
    # it was not given, budget): the offline draft answered instead.
    llm_fallback: str | None = None
    # The same for every LLM step that fell back to offline: "classify", "memories", "draft".
    llm_fallbacks: dict[str, str] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
