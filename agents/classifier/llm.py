"""Classifying with an LLM, when one is configured, on top of the offline classifier.

The offline classifier always runs first: it is cheap, it is the spam gate and it is the
fallback. A message it calls spam with at least :data:`CONFIDENT_SPAM` confidence never
reaches the model (each call costs money, and scam text is exactly what tries to steer a
model). Everything else is classified again by the ``classify`` prompt, whose
``ClassificationOut`` is mapped onto our :class:`Classification` by :func:`from_llm`; any
failure (``LLMUnavailable``) leaves the caller with the offline result.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import CATEGORIES, Classification

if TYPE_CHECKING:
    from agents.llm.schemas import ClassificationOut

# Offline spam at least this sure is final. The offline model's own spam scores sit at
# 0.93-1.0 for scams, links and follow-for-follow; a doubtful one (a trader's link, a
# promotion-like order) is what the model is there to settle.
CONFIDENT_SPAM = 0.8

# A language code the model may answer: "en", "zh-CN", "es_419", "PT"; kept as its primary
# subtag, lower-case. Anything else ("English", "und", "") keeps the offline detector's.
_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{2,8})*$")
# A sub-intent is a short slug (our own are price_inquiry, crypto_scam, ...); free text from
# the model is not one.
_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def is_confident_spam(c: Classification) -> bool:
    return c.category == "spam" and c.confidence >= CONFIDENT_SPAM


def from_llm(out: ClassificationOut, offline: Classification) -> Classification:
    """The model's classification in our terms, completed from the offline one where the
    model has nothing to say (no language, no sub-intent for the same category)."""
    category = out.category if out.category in CATEGORIES else offline.category
    sub_intent = _slug(out.sub_intent)
    if sub_intent is None and category == offline.category:
        sub_intent = offline.sub_intent
    spam = category == "spam"
    confidence = round(float(out.confidence), 4)
    return Classification(
        category=category,
        confidence=confidence,
        language=_language(out.language) or offline.language,
        sentiment=out.sentiment,
        sub_intent=sub_intent,
        urgency=out.urgency,
        # Spam is never a lead, whatever the model was talked into.
        is_hot_lead=bool(out.is_hot_lead) and not spam,
        lead_score=0 if spam else int(out.lead_score),
        # The model gives one probability, for its own answer.
        scores={category: confidence},
        engine="llm",
    )


@dataclass(frozen=True)
class LLMClassification:
    classification: Classification
    model_version: str  # "llm:<model>": the model that answered (the cheap one past budget)


class LLMClassifier:
    """Wraps an ``agents.llm.LLMGateway`` (anything with ``run``)."""

    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway

    async def classify(
        self,
        org_id: uuid.UUID,
        text: str,
        offline: Classification,
        *,
        shop_name: str,
        recent_turns: Sequence[str] = (),
        message_id: uuid.UUID | None = None,
    ) -> LLMClassification:
        """The model's classification; raises ``LLMUnavailable`` when there is none."""
        from agents.llm.schemas import ClassificationOut  # langchain loads only when used

        result = await self.gateway.run(
            org_id,
            "classify",
            {
                "shop_name": shop_name,
                "recent_turns": "\n".join(recent_turns),
                "customer_message": text,
            },
            purpose="classify",
            schema=ClassificationOut,
            entity_type=None if message_id is None else "message",
            entity_id=message_id,
        )
        return LLMClassification(from_llm(result.value, offline), f"llm:{result.model}")


def _language(code: str | None) -> str | None:
    match = _LANGUAGE.match((code or "").strip())
    if match is None:
        return None
    primary = match.group(1).lower()
    return None if primary in ("und", "zxx", "mul") else primary


def _slug(value: str | None) -> str | None:
    value = (value or "").strip().lower().replace("-", "_").replace(" ", "_")
    return value if _SLUG.match(value) else None
