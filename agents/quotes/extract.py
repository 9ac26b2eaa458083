"""Which items a request asks for: the LLM's structured output when one is configured, the
offline parser otherwise or whenever the model fails.

The model only points at catalog entries (``product:<id>``) and states quantities; it never
prices. Currency and Incoterm always come from the offline parser, which reads them as
written. Items the model could not tie to the catalog stay unknown items, and items without
a quantity become notes for staff, never lines.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from storage.repositories.products import Product

from ..errors import LLMUnavailable
from .parser import ParsedRequest, RequestedItem, parse_request

log = logging.getLogger(__name__)


class StructuredModel(Protocol):
    """The part of :class:`agents.llm.gateway.LLMGateway` extraction uses."""

    @property
    def available(self) -> bool: ...

    async def structured(
        self, org_id: uuid.UUID, prompt_name: str, variables, schema, *, purpose: str
    ) -> Any: ...


async def extract_items(
    org_id: uuid.UUID,
    text: str,
    products: Sequence[Product],
    *,
    gateway: StructuredModel | None = None,
    recent_turns: Sequence[str] = (),
) -> tuple[ParsedRequest, str]:
    """The parsed request and the engine that produced its items ('llm' or 'offline')."""
    offline = parse_request(text, products)
    if gateway is None or not getattr(gateway, "available", False):
        return offline, "offline"
    from ..llm.schemas import QuoteItemsOut  # langchain loads only where an LLM is used

    catalog = "\n".join(
        f"[product:{p.id}] {p.name} ({p.sku})" + (f" / {p.name_en}" if p.name_en else "")
        for p in products
    )
    try:
        out = await gateway.structured(
            org_id,
            "extract_quote_items",
            {"catalog": catalog, "recent_turns": "\n".join(recent_turns), "customer_message": text},
            QuoteItemsOut,
            purpose="quote",
        )
    except LLMUnavailable as err:
        log.info("quote items for org %s from the offline parser: %s", org_id, err)
        return offline, "offline"
    by_ref = {f"product:{p.id}": p for p in products}
    request = ParsedRequest(
        currency=offline.currency,
        incoterm=offline.incoterm,
        incoterm_place=offline.incoterm_place,
        notes=list(out.missing_info),
    )
    for item in out.items:
        quantity = _decimal(item.quantity)
        if quantity is None or quantity <= 0:
            request.notes.append(f"{item.description}: quantity not stated")
            continue
        product = by_ref.get(item.product_ref or "")
        request.items.append(RequestedItem(item.description, quantity, item.unit, product))
    if not request.items and offline.items:
        return offline, "offline"
    return request, "llm"


def _decimal(value: float | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
