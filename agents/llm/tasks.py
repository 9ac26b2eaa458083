"""The pipeline's LLM steps in one place: classify, extract memories, draft.

:class:`LLMTasks` wraps one gateway and says which of the steps use it (``llm.tasks`` in
config.yaml; a merchant may keep, say, classification offline to save cost). Each step's
own module does the work and raises ``LLMUnavailable`` when the model gives nothing usable;
the pipeline then does that step offline and records why (``Outcome.llm_fallbacks``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from agents.classifier.base import Classification
from agents.classifier.llm import LLMClassification, LLMClassifier, is_confident_spam
from agents.drafting.llm import LLMDrafter
from agents.drafting.offline import Draft, DraftContext
from agents.errors import LLMUnavailable
from agents.memory.llm import LLMMemoryExtractor
from agents.memory.rules import Fact

from .config import TASKS, Task

if TYPE_CHECKING:
    from storage.models import Message
    from storage.repositories.memories import Memory

log = logging.getLogger(__name__)


class LLMTasks:
    """``gateway``: an ``agents.llm.LLMGateway`` (anything with ``available`` and ``run``).
    ``tasks``: the steps to use it for; default: the gateway's ``config.tasks``, else all."""

    def __init__(self, gateway: Any, *, tasks: Iterable[Task] | None = None) -> None:
        self.gateway = gateway
        if tasks is None:
            tasks = getattr(getattr(gateway, "config", None), "tasks", TASKS)
        self.tasks = frozenset(tasks)
        unknown = sorted(self.tasks - set(TASKS))
        if unknown:
            raise ValueError(f"unknown LLM tasks {unknown} (choose from {', '.join(TASKS)})")
        self.classifier = LLMClassifier(gateway)
        self.memories_extractor = LLMMemoryExtractor(gateway)
        self.drafter = LLMDrafter(gateway)

    @property
    def available(self) -> bool:
        """A model is configured (whichever tasks use it)."""
        return bool(getattr(self.gateway, "available", False))

    @property
    def active(self) -> bool:
        """A model is configured and at least one step uses it (``llm.tasks: []`` is the
        offline engine, with the model left to quotes and the content studio)."""
        return self.available and bool(self.tasks)

    def uses(self, task: Task) -> bool:
        return self.available and task in self.tasks

    # --- the steps, each falling back on its own --------------------------------------------
    async def classify(
        self,
        org_id: uuid.UUID,
        text: str,
        offline: Classification,
        *,
        shop_name: str,
        turns: Sequence[str],
        message_id: uuid.UUID | None,
        fallbacks: dict[str, str],
    ) -> LLMClassification | None:
        """The model's classification, or None: the task is off, the offline classifier is
        sure it is spam (never sent to the model), or the model failed (why: in
        ``fallbacks["classify"]``)."""
        if not self.uses("classify") or is_confident_spam(offline):
            return None
        try:
            return await self.classifier.classify(
                org_id,
                text,
                offline,
                shop_name=shop_name,
                recent_turns=turns,
                message_id=message_id,
            )
        except LLMUnavailable as err:
            _fell_back(fallbacks, "classify", org_id, err)
            return None

    async def memories(
        self,
        org_id: uuid.UUID,
        text: str,
        *,
        known: Sequence[Memory],
        turns: Sequence[str],
        message_id: uuid.UUID | None,
        fallbacks: dict[str, str],
    ) -> list[Fact]:
        """The model's facts of the message; none when the task is off or the model failed
        (the offline rules' facts are stored all the same)."""
        if not self.uses("memories"):
            return []
        try:
            return await self.memories_extractor.extract(
                org_id, text, known=known, recent_turns=turns, message_id=message_id
            )
        except LLMUnavailable as err:
            _fell_back(fallbacks, "memories", org_id, err)
            return []

    async def draft(
        self,
        org_id: uuid.UUID,
        ctx: DraftContext,
        *,
        turns: Sequence[str],
        fallbacks: dict[str, str],
    ) -> Draft | None:
        """The model's checked draft, or None (task off, spam, or a failure: offline drafts)."""
        if not self.uses("draft") or ctx.classification.category == "spam":
            return None
        try:
            return await self.drafter.draft(org_id, ctx, recent_turns=turns)
        except LLMUnavailable as err:
            _fell_back(fallbacks, "draft", org_id, err)
            return None


def recent_turns(messages: Sequence[Message], *, before: uuid.UUID) -> list[str]:
    """The conversation's messages as the prompts show them ("customer: ...", "shop: ..."),
    oldest first, without the message being handled (the prompts show it on its own)."""
    return [
        f"{'customer' if m.direction == 'inbound' else 'shop'}: {m.content}"
        for m in messages
        if m.content and m.id != before
    ]


def _fell_back(fallbacks: dict[str, str], task: str, org_id: uuid.UUID, err: Exception) -> None:
    log.info("LLM %s unavailable for org %s, done offline: %s", task, org_id, err)
    fallbacks[task] = str(err)
