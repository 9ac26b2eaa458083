"""The offline drafter: a reply from the merchant's own knowledge, catalog and templates.

In order: spam gets no draft; a confident FAQ (or approved past reply) answers the question
itself — a past reply that states a price never answers a price question and is never
auto-sent (``_learned_price``); a price or purchase question is answered from the catalog —
the price, the MOQ, an offer to quote — and never with a number the catalog doesn't have;
complaints get an apology (and are escalated by policy); praise a thank-you; greetings a
greeting; otherwise a relevant knowledge excerpt if one is close enough, or a polite
hand-off. Every draft lists its sources.

Recalled memories (``DraftContext.memories``) fill what the message leaves out: a price
question that states no quantity at all is answered for the newest quantity the customer
mentioned before (catalog price × that quantity when its unit is the product's, said to be
based on it), and the memory is cited.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from storage.repositories.products import Product

from ..classifier.base import Classification
from ..retrieval.base import Hit
from ..retrieval.confidence import answer_confidence
from ..retrieval.retriever import CONFIDENT_COSINE, KNOWLEDGE_COSINE
from .money import states_money
from .product_names import loose_product_matches
from .quantities import (
    Remembered,
    memory_source,
    memory_texts,
    message_quantity,
    other_numbers,
    remembered_quantity,
    same_unit,
    unpriced_quantity,
)
from .templates import name_part, render

_PRICE_INTENTS = frozenset({"price_inquiry", "moq", "quote", "bulk_order", "purchase"})
# A buyer's question about something other than the price ("I need 200 units, do you offer
# samples?" is purchase_intent/sample_request): the catalog price template would not answer
# it, so it goes to the knowledge excerpts or a person instead.
_NOT_PRICE_QUESTIONS = frozenset(
    {
        "sample_request",
        "lead_time",
        "trade_terms",
        "customization",
        "shipping",
        "payment",
        "refund",
        "order_status",
    }
)


_CENT = Decimal("0.01")
# A knowledge excerpt's confidence is the calibrated chance for a FAQ answer of its cosine
# (agents/retrieval/confidence.py), discounted: an excerpt is a passage about the topic, not
# an answer written for the question, and no benchmark measures excerpts. Autopilot never
# sends one alone (agents/policy.py); the figure only ranks it below a FAQ answer on cards.
KNOWLEDGE_DISCOUNT = 0.8
# A learned reply that states a price is at most this confident: well under autopilot's
# default bar (0.92), so a card shows it as "check me" even before its kind keeps it unsent.
LEARNED_PRICE_MAX_CONFIDENCE = 0.5
# A letter or digit of a script written with spaces (CJK characters are \w to re, but a
# Chinese word right after a SKU does not make it a longer SKU).
_WORD = r"[^\W\u3400-\u9fff\uf900-\ufaff]"


@dataclass(frozen=True)
class DraftContext:
    text: str
    classification: Classification
    hits: Sequence[Hit] = ()
    products: Sequence[Product] = ()
    customer_name: str | None = None
    # What the customer writes in, from their profile: the reply language when this message
    # has no words to tell by ("🔥🔥🔥", "ok").
    customer_language: str | None = None
    shop_name: str = "our shop"
    overrides: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # The customer's recalled memories, most relevant first: Memory rows / facts, or their
    # plain texts ("Needs 500 pcs").
    memories: Sequence[Remembered | str] = ()


@dataclass(frozen=True)
class Draft:
    text: str
    language: str
    kind: str  # faq | learned_price | catalog | template | knowledge | handoff
    confidence: float
    sources: list[dict[str, Any]]


@dataclass(frozen=True)
class Thresholds:
    """On the retriever's language-centered dense cosine (agents.retrieval.centering: ~0-0.2
    unrelated, 0.6-0.8 a FAQ asked word for word); the FAQ bar is the retrieval benchmark's
    precision point (agents.retrieval.retriever), the same values as config.yaml's defaults."""

    faq: float = CONFIDENT_COSINE
    knowledge: float = KNOWLEDGE_COSINE


# The categories whose offline draft reads retrieval hits: an FAQ answer, a knowledge excerpt,
# or (for "other" without hits) a greeting. Praise and complaints get a template whatever the
# hits, so the pipeline skips retrieval, and the query embedding it needs, for them offline.
HIT_CATEGORIES = frozenset({"question", "purchase_intent", "other"})


class OfflineDrafter:
    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()

    def draft(self, ctx: DraftContext) -> Draft | None:
        c = ctx.classification
        if c.category == "spam":
            return None
        language = c.language if c.language not in ("und", "") else ctx.customer_language or "en"
        fields = {"shop": ctx.shop_name, "name_part": name_part(ctx.customer_name, language)}

        asks_price = c.sub_intent in _PRICE_INTENTS or (
            c.category == "purchase_intent" and c.sub_intent not in _NOT_PRICE_QUESTIONS
        )
        answer = self._faq(ctx, language, asks_price=asks_price)
        if answer is not None and c.category in HIT_CATEGORIES:
            return answer
        if asks_price:
            return self._catalog(ctx, language, fields)
        simple = {"complaint": "apology", "praise": "thanks"}.get(c.category)
        if simple is None and c.category == "other" and not ctx.hits:
            simple = "greeting"
        if simple is not None:
            text, used = render(simple, language, fields, ctx.overrides)
            return Draft(text, used, "template", 0.7, [{"kind": "template", "id": simple}])
        knowledge = self._knowledge(ctx, language)
        if knowledge is not None:
            return knowledge
        text, used = render("handoff", language, fields, ctx.overrides)
        return Draft(text, used, "handoff", 0.3, [{"kind": "template", "id": "handoff"}])

    def _faq(self, ctx: DraftContext, language: str, *, asks_price: bool = False) -> Draft | None:
        confident = [
            h
            for h in ctx.hits
            if h.kind in ("faq", "corpus")
            and _dense(h) >= self.thresholds.faq
            # A learned price answers no price question: the catalog does (see _learned_price).
            and not (asks_price and is_learned_price(h))
        ]
        if not confident:
            return None
        # Prefer an answer already in the customer's language among the confident ones.
        best = max(confident, key=lambda h: (h.language == language, _dense(h)))
        # The calibrated chance that this answer is right, not the cosine: autopilot compares
        # it with auto_send_min_confidence and cards show it as a percentage.
        confidence = round(answer_confidence(_dense(best)), 3)
        if is_learned_price(best):
            return self._learned_price(ctx, best, language, confidence)
        return Draft(
            best.text.strip(), best.language or language, "faq", confidence, [hit_source(best)]
        )

    @staticmethod
    def _learned_price(ctx: DraftContext, hit: Hit, language: str, confidence: float) -> Draft:
        """A past reply that states an amount ("500 bottles cost 1,200 EUR in total") was
        written for one customer, one quantity and that day's catalog. Prices come from the
        catalog only, so such a reply is never reused for a price question (``_faq`` leaves
        it out) and, for any other question, is drafted as kind ``learned_price``: autopilot
        sends only kind ``faq`` (agents/policy.py) whatever an org's threshold, the confidence
        is capped under the default bar as well, and the text says the price was quoted before
        and will be confirmed."""
        used = hit.language or language
        note, used = render("earlier_price_note", used, {}, ctx.overrides)
        source = {**hit_source(hit), "states_price": True}
        return Draft(
            f"{hit.text.strip()} {note}",
            used,
            "learned_price",
            min(confidence, LEARNED_PRICE_MAX_CONFIDENCE),
            [source],
        )

    def _catalog(self, ctx: DraftContext, language: str, fields: dict) -> Draft:
        matched = match_products(ctx.text, ctx.products)
        named_before = None
        if not matched:
            # "How much are they?" after "we need 200 vacuum flasks": the product the
            # customer told us about earlier (recalled memories, most relevant first).
            for memory in ctx.memories:
                matched = match_products(memory_texts([memory])[0], ctx.products)
                if matched:
                    named_before = memory
                    break
        if not matched:
            text, used = render("price_unknown", language, fields, ctx.overrides)
            return Draft(text, used, "template", 0.4, [{"kind": "template", "id": "price_unknown"}])
        quantity = message_quantity(ctx.text)
        remembered = None
        if quantity is None:
            # The message's own quantity in a unit we don't price ("20 cartons") is offered a
            # quote; a memory only fills a message that states no quantity at all.
            quantity = unpriced_quantity(ctx.text)
            if quantity is None and not other_numbers(ctx.text, matched):
                remembered = remembered_quantity(ctx.memories)
                quantity = remembered[0] if remembered else None
        lines, sources = [], []
        used = language
        for product in matched[:3]:
            product_fields = {**fields, **_product_fields(product)}
            if product.price is None:
                line, used = render("no_price", language, product_fields, ctx.overrides)
            else:
                moq = ""
                if product.moq:
                    moq, _ = render("moq_part", language, product_fields, ctx.overrides)
                line, used = render(
                    "price", language, {**product_fields, "moq_part": moq}, ctx.overrides
                )
                if (
                    quantity
                    and product.moq
                    and same_unit(quantity, product)
                    and (quantity[0] < product.moq)
                ):
                    extra, _ = render("below_moq", language, product_fields, ctx.overrides)
                    line = f"{line} {extra}"
            lines.append(line)
            sources.append(product_source(product))
        if named_before is not None and (remembered is None or remembered[1] is not named_before):
            sources.append(memory_source(named_before))
        if remembered is not None:
            lines.extend(self._remembered(ctx, language, fields, matched, remembered))
            sources.append(memory_source(remembered[1]))
        elif quantity:
            offer, _ = render(
                "quote_offer", language, {**fields, "quantity": quantity[1]}, ctx.overrides
            )
            lines.append(offer)
        return Draft(" ".join(lines), used, "catalog", 0.75, sources)

    @staticmethod
    def _remembered(
        ctx: DraftContext,
        language: str,
        fields: dict,
        matched: Sequence[Product],
        remembered: tuple[tuple[int, str], Remembered | str],
    ) -> list[str]:
        """The lines for a quantity the customer mentioned before: a total at the catalog
        price when one priced product is in question, the quantity is in the product's unit
        and meets its MOQ (the quote math: price × quantity, half-up to the cent), and the
        offer to quote."""
        (amount, said), _ = remembered
        lines = []
        only = matched[0] if len(matched) == 1 else None
        if (
            only is not None
            and only.price is not None
            and same_unit((amount, said), only)
            and amount > 0
            and amount >= (only.moq or 0)
        ):
            total = (only.price * amount).quantize(_CENT, rounding=ROUND_HALF_UP)
            line, _ = render(
                "remembered_total",
                language,
                {**fields, "quantity": said, "total": f"{total:,}", "currency": only.currency},
                ctx.overrides,
            )
            lines.append(line)
        offer, _ = render(
            "quote_offer_remembered", language, {**fields, "quantity": said}, ctx.overrides
        )
        lines.append(offer)
        return lines

    def _knowledge(self, ctx: DraftContext, language: str) -> Draft | None:
        chunks = [h for h in ctx.hits if _dense(h) >= self.thresholds.knowledge]
        if not chunks:
            return None
        best = max(chunks, key=_dense)
        excerpt = _excerpt(best.text)
        text, used = render("knowledge", language, {"excerpt": excerpt}, ctx.overrides)
        confidence = round(answer_confidence(_dense(best)) * KNOWLEDGE_DISCOUNT, 3)
        return Draft(text, used, "knowledge", confidence, [hit_source(best)])


def is_learned_price(hit: Hit) -> bool:
    """An approved past reply (not the merchant's own FAQ) that states an amount of money."""
    return hit.kind == "corpus" and states_money(hit.text)


def match_products(text: str, products: Sequence[Product]) -> list[Product]:
    """Catalog products the message names: by SKU, name, English name or keyword; failing
    that, the products whose name it names in part (see :func:`loose_product_matches`)."""
    exact = _exact_product_matches(text, products)
    return exact or loose_product_matches(text, products)


def _exact_product_matches(text: str, products: Sequence[Product]) -> list[Product]:
    lowered = text.lower()
    scored = []
    for product in products:
        names = [product.sku, product.name, product.name_en or "", *product.keywords]
        best = 0
        for name in filter(None, names):
            needle = name.lower().strip()
            if len(needle) < 2:
                continue
            # Word boundaries that CJK does not break: "btl-500多少钱" names BTL-500.
            if re.search(rf"(?<!{_WORD})(?<!-){re.escape(needle)}(?!{_WORD})(?!-)", lowered) or (
                not needle.isascii() and needle in lowered
            ):
                best = max(best, len(needle) + (100 if name == product.sku else 0))
        if best:
            scored.append((best, product))
    return [p for _, p in sorted(scored, key=lambda s: -s[0])]


def _product_fields(product: Product) -> dict[str, object]:
    return {
        "product": product.name,
        "price": _money(product.price),
        "currency": product.currency,
        "unit": product.unit,
        "moq": product.moq or "",
    }


def _money(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.quantize(Decimal('0.01')):,}"


def _dense(hit: Hit) -> float:
    """The hit's cosine (stable scale); hits without one never count as confident."""
    return -1.0 if hit.dense_score is None else float(hit.dense_score)


def product_source(product: Product) -> dict[str, Any]:
    """How a draft cites a catalog product (the price it quoted travels with it)."""
    return {
        "kind": "product",
        "id": str(product.id),
        "sku": product.sku,
        "price": None if product.price is None else str(product.price),
        "currency": product.currency,
    }


def hit_source(hit: Hit) -> dict[str, Any]:
    """How a draft cites a retrieved FAQ, chunk or past reply."""
    return {
        "kind": hit.kind,
        "id": str(hit.id),
        "score": round(_dense(hit), 4),
        "title": hit.title,
    }


def _excerpt(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
