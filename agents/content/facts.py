"""Catalog row → :class:`Facts`, and filling template slots from them (never from elsewhere)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from itertools import product as cartesian

from storage.repositories.products import Product

from .models import Facts
from .units import quantity, unit_word

_SLOT = re.compile(r"\{([a-z_]+)\}")
# Spec keys that hold free text, not a feature: the catalog import files every spec part
# without "key:" under "notes". Their text is stated as a fact ("80% organic cotton"); the
# key itself must never reach the copy as if it were a feature name.
_FREE_TEXT_KEYS = frozenset(
    {"notes", "note", "remarks", "remark", "comments", "comment", "备注", "说明"}
)
_SENTENCES = re.compile(r"[;；\n]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def from_product(product: Product, language: str) -> Facts:
    """The facts of one product; English copy uses ``name_en`` when the catalog has one,
    and so does copy in any other language but Chinese when the name is written in Chinese
    (a Spanish caption read "Nuevo en la tienda: 不锈钢保温杯 500ml")."""
    name = product.name
    if product.name_en and (language == "en" or (language != "zh" and _CJK.search(product.name))):
        name = product.name_en
    specs: list[tuple[str, str]] = []
    notes: list[str] = []
    for key, value in product.specs.items():
        text = str(value).strip()
        if not text:
            continue
        if str(key).strip().casefold() in _FREE_TEXT_KEYS:
            notes += [n.strip().rstrip(".") for n in _SENTENCES.split(text) if n.strip()]
        else:
            specs.append((str(key).replace("_", " "), text))
    return Facts(
        sku=product.sku,
        name=name,
        category=product.category,
        description=product.description,
        specs=tuple(specs),
        notes=tuple(dict.fromkeys(notes)),
        selling_points=tuple(p.strip().rstrip(".") for p in product.selling_points if p.strip()),
        keywords=tuple(k.strip() for k in product.keywords if k.strip()),
        price=product.price,
        currency=product.currency,
        unit=product.unit,
        moq=product.moq,
        product_id=product.id,
    )


def slot_options(facts: Facts, language: str) -> dict[str, list[str]]:
    """Every value each slot may take in ``language``; a slot with no values can't be used.
    Free-text notes fill the same slot as selling points: both are sentences the catalog
    states. ``unit`` is the word after "per"; ``moq`` is the count with its (plural) unit."""
    options: dict[str, list[str]] = {
        "name": [facts.name],
        "point": list(dict.fromkeys(facts.selling_points + facts.notes)),
        "category": [facts.category] if facts.category else [],
        "price": [facts.price_text] if facts.price_text else [],
        "unit": [unit_word(facts.unit, language)],
        "moq": [quantity(facts.moq, facts.unit, language)] if facts.moq else [],
    }
    options["spec_key"] = [k for k, _ in facts.specs]
    options["spec_value"] = [v for _, v in facts.specs]
    return options


def slots_of(template: str) -> list[str]:
    return list(dict.fromkeys(_SLOT.findall(template)))


def fillings(template: str, options: Mapping[str, list[str]]) -> Iterator[dict[str, str]]:
    """Every way to fill the template (spec key and value always come as a pair)."""
    names = slots_of(template)
    if any(not options.get(n) for n in names):
        return
    paired = "spec_key" in names or "spec_value" in names
    free = [n for n in names if n not in ("spec_key", "spec_value")]
    specs = list(zip(options["spec_key"], options["spec_value"], strict=True)) if paired else [()]
    for spec in specs:
        for values in cartesian(*(options[n] for n in free)):
            filled = dict(zip(free, values, strict=True))
            if spec:
                filled.update(spec_key=spec[0], spec_value=spec[1])
            yield filled


def render(template: str, values: Mapping[str, str]) -> str | None:
    """The template with its slots filled, or None when a slot has no value."""
    missing = [n for n in slots_of(template) if not values.get(n)]
    if missing:
        return None
    return _SLOT.sub(lambda m: values[m.group(1)], template)
