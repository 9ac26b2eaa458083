"""What the studio makes: hooks, captions and scripts (with scenes), and the facts behind them.

:class:`Facts` is the only thing generators read about a product: the catalog row reduced to
what may be said. Nothing else may reach a piece's text — no invented spec, price or claim.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from .units import quantity

Kind = Literal["hook", "caption", "script"]
HookType = Literal["question", "threat", "fact", "curiosity", "urgency"]
HOOK_TYPES: tuple[HookType, ...] = ("question", "threat", "fact", "curiosity", "urgency")
NARRATIVES = ("PAS", "AIDA", "4U")
# The feeling each hook type plays on (hooks.emotion).
EMOTIONS: dict[str, str] = {
    "question": "intrigue",
    "threat": "fear_of_missing_out",
    "fact": "trust",
    "curiosity": "curiosity",
    "urgency": "excitement",
}


@dataclass(frozen=True)
class Facts:
    """A product as the catalog states it. ``price`` is None when the merchant published none."""

    sku: str
    name: str
    category: str | None = None
    description: str | None = None
    specs: tuple[tuple[str, str], ...] = ()
    # Free-text sentences the catalog gives without a feature name ("80% organic cotton").
    notes: tuple[str, ...] = ()
    selling_points: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    price: Decimal | None = None
    currency: str = "USD"
    unit: str = "pcs"
    moq: int | None = None
    product_id: uuid.UUID | None = None

    @property
    def price_text(self) -> str | None:
        if self.price is None:
            return None
        # Cents at least, and every further digit the catalog has (0.085 stays 0.085).
        exact = self.price.normalize()
        shown = exact if exact.as_tuple().exponent < -2 else self.price.quantize(Decimal("0.01"))
        return f"{shown:f} {self.currency}"

    def as_prompt_data(self) -> dict[str, Any]:
        """The facts as the LLM sees them (a data block): nothing more, nothing less."""
        return {
            "sku": self.sku,
            "name": self.name,
            "category": self.category,
            "description": self.description,
            "specs": dict(self.specs),
            "notes": list(self.notes),
            "selling_points": list(self.selling_points),
            "keywords": list(self.keywords),
            "price": self.price_text,
            "minimum_order": quantity(self.moq, self.unit, "en") if self.moq else None,
        }

    def corpus(self) -> str:
        """All the text the facts contain (what a number or a term may be taken from)."""
        parts = [self.sku, self.name, self.category or "", self.description or ""]
        parts += [f"{k} {v}" for k, v in self.specs]
        parts += self.notes
        parts += [*self.selling_points, *self.keywords, self.price_text or ""]
        if self.moq:
            parts.append(str(self.moq))
        return "\n".join(parts)


@dataclass
class Scene:
    purpose: Literal["hook", "body", "cta", "testimonial"]
    duration_seconds: Decimal
    visual: str
    on_screen_text: str
    voiceover: str


@dataclass
class Variant:
    """One generated hook, caption or script, before and after checking.

    ``text`` is the hook, or the caption/script body. ``template`` names what made it (an
    offline template key, or "llm").
    """

    kind: Kind
    text: str
    template: str
    score: float = 0.0
    hook_type: str | None = None
    emotion: str | None = None
    length_category: str | None = None
    title: str | None = None
    call_to_action: str | None = None
    hashtags: list[str] = field(default_factory=list)
    narrative_template: str | None = None
    scenes: list[Scene] = field(default_factory=list)

    @property
    def duration_seconds(self) -> Decimal | None:
        if not self.scenes:
            return None
        return sum((s.duration_seconds for s in self.scenes), Decimal(0))

    def visible_texts(self) -> list[str]:
        """Everything a viewer reads or hears (what the checks scan)."""
        texts = [self.title or "", self.text, self.call_to_action or "", " ".join(self.hashtags)]
        for s in self.scenes:
            texts += [s.on_screen_text, s.voiceover]
        return [t for t in texts if t]

    def full_text(self) -> str:
        return "\n".join(self.visible_texts())

    def caption_length(self) -> int:
        """Characters as posted: body, call to action and hashtags on their own lines."""
        parts = [self.text, self.call_to_action or "", " ".join(self.hashtags)]
        return len("\n\n".join(p for p in parts if p))


def length_category(text: str, language: str) -> str:
    """short / mid / long, by what a viewer takes in (characters for Chinese, words else)."""
    size = len(text) if language == "zh" else len(text.split())
    short, mid = (15, 30) if language == "zh" else (7, 14)
    if size <= short:
        return "short"
    return "mid" if size <= mid else "long"
