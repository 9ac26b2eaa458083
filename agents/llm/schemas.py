"""Structured outputs of the shipped prompts, one pydantic model per prompt.

The class docstrings and field descriptions are sent to the model as the function (or JSON
schema) description, so they are written for it. Every field is required, with ``None``
where a value may be absent: OpenAI's strict structured outputs refuse optional fields, and
a required-but-nullable field keeps one schema valid for every method and provider. Ranges
are clamped in validators rather than declared as ``minimum``/``maximum``, which some
OpenAI-compatible servers reject.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

Category = Literal["question", "praise", "complaint", "spam", "purchase_intent", "other"]


def _unit(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


class ClassificationOut(BaseModel):
    """The classification of one inbound customer message."""

    category: Category
    sub_intent: str | None = Field(
        description="price_inquiry, shipping, availability, order_status, refund, "
        "product_info, customization, payment, greeting, other; null when none fits"
    )
    confidence: float = Field(description="Probability that category is right, 0 to 1")
    sentiment: Literal["positive", "neutral", "negative"]
    language: str = Field(description="ISO 639-1 code of the customer's message, e.g. en, zh, es")
    urgency: Literal["low", "normal", "high"]
    is_hot_lead: bool = Field(description="True when the customer shows clear intent to buy soon")
    lead_score: int = Field(description="Purchase likelihood, 0 to 100")

    _clamp_confidence = field_validator("confidence")(_unit)

    @field_validator("lead_score")
    @classmethod
    def _clamp_score(cls, value: int) -> int:
        return min(100, max(0, int(value)))


class DraftOut(BaseModel):
    """A reply draft for a support agent to approve, with the sources it rests on."""

    reply: str = Field(description="The reply to send, in the customer's language")
    language: str = Field(description="ISO 639-1 code of the reply")
    source_ids: list[str] = Field(
        description="Ids of the knowledge and catalog entries the reply uses, e.g. faq:..."
    )
    needs_human: bool = Field(
        description="True when a person must answer: missing facts, a price or policy not in "
        "the context, a complaint needing judgement, or a request to change terms"
    )
    reason: str | None = Field(description="Why a person is needed; null otherwise")
    confidence: float = Field(description="How well the context supports the reply, 0 to 1")

    _clamp_confidence = field_validator("confidence")(_unit)


class MemoryOut(BaseModel):
    """One durable fact about the customer."""

    # The offline rules' categories (agents/memory/rules.py) plus need, language and other;
    # location, ship_to, budget, company, email and phone hold one value per customer.
    category: Literal[
        "preference",
        "need",
        "quantity",
        "location",
        "ship_to",
        "budget",
        "event",
        "company",
        "email",
        "phone",
        "language",
        "other",
    ]
    content: str = Field(description="The fact as one short sentence in English")
    importance: float = Field(description="How useful for future replies, 0 to 1")

    _clamp_importance = field_validator("importance")(_unit)


class MemoriesOut(BaseModel):
    """Facts worth remembering about the customer from this exchange (may be empty)."""

    memories: list[MemoryOut]


class QuoteItemOut(BaseModel):
    """One line the customer wants quoted. Never carries a price: prices come from the
    catalog, looked up by our code."""

    product_ref: str | None = Field(
        description="The catalog id (product:...) the customer means; null when not in the "
        "catalog or ambiguous"
    )
    description: str = Field(description="What the customer asked for, in their words")
    quantity: float | None = Field(description="Requested quantity; null when not stated")
    unit: str | None = Field(description="Unit of the quantity (pcs, kg, boxes, ...)")
    notes: str | None = Field(description="Customisation, colour, size or deadline, if any")


class QuoteItemsOut(BaseModel):
    """The items a customer asked to be quoted, and what is still missing to quote them."""

    items: list[QuoteItemOut]
    missing_info: list[str] = Field(
        description="Questions to ask the customer before quoting (quantities, variants, ...)"
    )
    destination_country: str | None = Field(
        description="ISO 3166-1 alpha-2 country to ship to, when stated"
    )
