"""Drafting with an LLM, when one is configured — and falling back to the offline drafter.

The model sees the conversation, the customer's memories, the retrieved knowledge and the
catalog as labelled data (prompts/draft_reply.md), and answers with a ``DraftOut``. Its
answer is then checked, not trusted: every number it writes must appear in what it was given
(a price or a discount it made up, or one the customer talked it into, fails the check), a
promise with no amount ("free shipping", "half price", "打九折") must be one its sources make,
and its cited sources must be ones it was shown. A draft that fails — or any model error, timeout
or budget stop (``LLMUnavailable``) — makes the caller use the offline draft instead.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..errors import LLMUnavailable
from .offline import Draft, DraftContext, hit_source, is_learned_price, product_source
from .promises import promises, quantities
from .quantities import memory_texts

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A number that is money or a discount: what the model must never make up.
_MONEY = re.compile(
    r"(?:[$€¥£]\s?(\d[\d.,]*))|(?:(\d[\d.,]*)\s?(?:%|usd|eur|rmb|cny|gbp|元|美元|欧元|"
    r"dollars?|euros?|d[oó]lares|off\b|de descuento|percent|per cent|por ciento|pour cent|"
    r"por cento))",
    re.IGNORECASE,
)


class LLMDrafter:
    """Wraps an ``agents.llm.LLMGateway`` (anything with ``available`` and ``run``)."""

    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway

    @property
    def available(self) -> bool:
        return bool(getattr(self.gateway, "available", False))

    async def draft(
        self,
        org_id: uuid.UUID,
        ctx: DraftContext,
        *,
        recent_turns: Sequence[str] = (),
    ) -> Draft:
        """A checked LLM draft; raises LLMUnavailable when there is none to use. The
        customer's memories come with the context (``ctx.memories``), as for the offline
        drafter."""
        from ..llm.schemas import DraftOut  # langchain loads only where an LLM is used

        memories = memory_texts(ctx.memories)

        # A past reply that states a price (one customer's deal, one day's catalog) is not
        # shown: the model would repeat it as if it were the catalog's, and the money check
        # below would trust it (agents/drafting/offline.py, _learned_price).
        hits = [hit for hit in ctx.hits if not is_learned_price(hit)]
        knowledge = [f"[{hit.kind}:{hit.id}] {hit.title or ''}\n{hit.text}".strip() for hit in hits]
        catalog = [
            f"[product:{p.id}] {p.name} ({p.sku}) — "
            + (
                f"{_plain(p.price)} {p.currency} per {p.unit}"
                if p.price is not None
                else "no price"
            )
            + (f", minimum order {p.moq} {p.unit}" if p.moq else "")
            for p in ctx.products
        ]
        variables = {
            "shop_name": ctx.shop_name,
            "customer_language": ctx.classification.language,
            "recent_turns": "\n".join(recent_turns),
            "memories": "\n".join(memories),
            "knowledge": "\n\n".join(knowledge),
            "catalog": "\n".join(catalog),
            "customer_message": ctx.text,
        }
        result = await self.gateway.run(
            org_id, "draft_reply", variables, purpose="draft", schema=DraftOut
        )
        out = result.value
        # Money may only come from what the merchant said (knowledge, catalog) — not from the
        # message itself, where "it's 0.10 USD now" lives, nor from the customer's memories:
        # their counted quantities ("Needs 500 pcs") are facts, but any other number there is
        # the customer's own figure (a budget, "was quoted 0.10 per bottle"), never a price.
        sources = "\n".join([*knowledge, *catalog])
        trusted = _numbers(sources) | {_canon(n) for n in quantities("\n".join(memories))}
        invented = _money(out.reply) - trusted
        if invented:
            raise LLMUnavailable(
                f"the draft states prices or discounts it was not given: {invented}"
            )
        # "Free shipping", "half price", "envío gratis": promises with no amount to check.
        promised = promises(out.reply) - promises(sources)
        if promised:
            raise LLMUnavailable(f"the draft makes promises it was not given: {promised}")
        cited = _sources(out.source_ids, ctx)
        kind = "llm_handoff" if out.needs_human else "llm"
        metadata = result.as_metadata() if hasattr(result, "as_metadata") else {}
        log.debug("llm draft for org %s: %s (%s)", org_id, kind, metadata)
        return Draft(
            out.reply.strip(),
            out.language or ctx.classification.language,
            kind,
            round(float(out.confidence), 3),
            cited,
        )


def _numbers(text: str) -> set[str]:
    return {_canon(n) for n in _NUMBER.findall(text)}


def _money(text: str) -> set[str]:
    return {_canon(a or b) for a, b in _MONEY.findall(text)}


def _canon(number: str) -> str:
    """1,500 / 1500 / 1500.00 compare equal; a trailing dot or comma is punctuation."""
    number = number.rstrip(".,").replace(",", "")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number


def _plain(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _sources(ids: Sequence[str], ctx: DraftContext) -> list[dict[str, Any]]:
    """The cited ids the model was actually shown; anything else is dropped."""
    shown = {f"{h.kind}:{h.id}": h for h in ctx.hits if not is_learned_price(h)}
    products = {f"product:{p.id}": p for p in ctx.products}
    sources: list[dict[str, Any]] = []
    for raw in ids:
        key = raw.strip().strip("[]")
        if key in shown:
            sources.append(hit_source(shown[key]))
        elif key in products:
            sources.append(product_source(products[key]))
    return sources
