"""What the classifier says about one message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Category = Literal["question", "praise", "complaint", "spam", "purchase_intent", "other"]
CATEGORIES: tuple[Category, ...] = (
    "question",
    "praise",
    "complaint",
    "spam",
    "purchase_intent",
    "other",
)
Sentiment = Literal["positive", "neutral", "negative"]
Urgency = Literal["low", "normal", "high"]


@dataclass(frozen=True)
class Classification:
    category: Category
    confidence: float  # probability of ``category``, 0..1
    language: str  # ISO 639-1: en, zh, es, ... ("und" when unsure)
    sentiment: Sentiment
    sub_intent: str | None = None  # price_inquiry, shipping, availability, order_status, refund...
    urgency: Urgency = "normal"
    is_hot_lead: bool = False
    lead_score: int = 0  # 0..100
    scores: Mapping[str, float] = field(default_factory=dict)  # every category's probability
    engine: str = "offline"
