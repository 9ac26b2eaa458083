"""Quantities in messages and memories, for the offline drafter's catalog answers.

A quantity is priced only in a unit we can read as the product's own (pcs/个/piezas, sets/套);
a memory stands in only for a message that states no quantity at all, and the newest quantity
the customer mentioned is the one that counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from storage.repositories.products import Product

from ..memory.rules import extract_facts

# A quantity in a unit we can price: not the "5" of "1.5 pcs", not the "10 set" of
# "10 settings" (a letter after the unit makes it another word; a Chinese one does not).
_QUANTITY = re.compile(
    r"(?<![\d.,a-z])(\d{1,3}(?:[,.]\d{3})+|\d+)\s*(pcs|pieces?|units?|sets?|unidades|piezas|个|件|套)"
    r"(?![^\W\d_\u3400-\u9fff\uf900-\ufaff])",
    re.IGNORECASE,
)
# What a unit counts, so a total is only ever price × quantity of the same thing.
_UNIT_KINDS = {
    **dict.fromkeys(
        ("pc", "pcs", "piece", "pieces", "unit", "units", "个", "件")
        + ("unidad", "unidades", "pieza", "piezas"),
        "pcs",
    ),
    **dict.fromkeys(("set", "sets", "套"), "set"),
}
_DIGIT = re.compile(r"\d")


class Remembered(Protocol):
    """What the drafter reads of a recalled memory: ``storage.repositories.memories.Memory``
    rows and ``agents.memory.rules.Fact`` both fit."""

    @property
    def category(self) -> str | None: ...

    @property
    def content(self) -> str: ...


def message_quantity(text: str) -> tuple[int, str] | None:
    """The first quantity in a unit we price: (500, "500 pcs")."""
    match = _QUANTITY.search(text)
    if not match:
        return None
    amount = int(re.sub(r"[,.]", "", match.group(1)))
    return amount, f"{match.group(1)} {match.group(2)}"


def unpriced_quantity(text: str) -> tuple[int, str] | None:
    """A quantity the message states in a unit ``_QUANTITY`` doesn't price ("20 cartons",
    "200 箱"): (amount, "20 cartons")."""
    for fact in extract_facts(text):
        if fact.category == "quantity":
            said = fact.content.removeprefix("Needs ").strip()
            digits = re.sub(r"[,.]", "", said.split()[0])
            return (int(digits), said) if digits.isdigit() else (0, said)
    return None


def other_numbers(text: str, products: Sequence[Product]) -> bool:
    """A number left in the message once the named products are taken out ("how much for
    300 of BTL-500?"): some quantity we can't read, so no memory should stand in for it."""
    lowered = text.lower()
    for product in products:
        for name in filter(None, (product.sku, product.name, product.name_en, *product.keywords)):
            lowered = lowered.replace(name.lower(), " ")
    return bool(_DIGIT.search(lowered))


def _unit_kind(unit: str | None) -> str | None:
    return _UNIT_KINDS.get((unit or "").strip().lower().rstrip("."))


def same_unit(quantity: tuple[int, str], product: Product) -> bool:
    """The quantity counts what the product is priced per (pcs/个/piezas = pcs, sets/套 =
    set); an unknown unit on either side is never the same."""
    kind = _unit_kind(quantity[1].split()[-1])
    return kind is not None and kind == _unit_kind(product.unit)


def _updated(memory: Remembered | str) -> datetime | None:
    """When a memory was last changed (Memory rows); strings and facts have no time."""
    return getattr(memory, "updated_at", None) or getattr(memory, "created_at", None)


def remembered_quantity(
    memories: Sequence[Remembered | str],
) -> tuple[tuple[int, str], Remembered | str] | None:
    """The newest remembered quantity, when it is in a unit we quote in, with the memory it
    came from: ((500, "500 pcs"), <Needs 500 pcs>).

    Newest by the memory's ``updated_at`` (recall orders by relevance, and "Needs 500 pcs"
    can outrank the later "Needs 800 pcs"); memories without a time keep their given order,
    after the timed ones. The newest quantity memory decides even when its unit can't be
    priced ("Needs 20 cartons" is not a reason to quote an older "500 pcs"). Memories of
    another category never count ("Budget: 500 pcs worth" is not a quantity)."""
    candidates = []
    for memory in memories:
        if isinstance(memory, str):
            category, content = None, memory
        else:
            category, content = memory.category, memory.content
        if category == "quantity" or (
            category is None
            and (
                message_quantity(content)
                or any(f.category == "quantity" for f in extract_facts(content))
            )
        ):
            candidates.append((_updated(memory), memory))
    if not candidates:
        return None
    timed = sorted((c for c in candidates if c[0] is not None), key=lambda c: c[0], reverse=True)
    untimed = [c for c in candidates if c[0] is None]
    newest = (timed or untimed)[0][1]
    found = message_quantity(newest if isinstance(newest, str) else newest.content)
    # "Needs 0 pcs" is nothing to quote for.
    return (found, newest) if found is not None and found[0] > 0 else None


def memory_texts(memories: Sequence[Remembered | str]) -> list[str]:
    """The memories as the plain sentences a prompt shows."""
    return [m if isinstance(m, str) else m.content for m in memories]


def memory_source(memory: Remembered | str) -> dict[str, Any]:
    """How a draft cites a memory it used (cards show ``memory: Needs 500 pcs``)."""
    text = memory if isinstance(memory, str) else memory.content
    memory_id = getattr(memory, "id", None)
    return {"kind": "memory", "id": None if memory_id is None else str(memory_id), "title": text}
