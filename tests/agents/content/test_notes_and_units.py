"""Regressions from a black-box walkthrough of `content generate` on a new merchant's catalog:
free-text notes were shown as a feature called "notes", and units were neither plural nor
translated ("Minimum order: 50 pair", "2.50 EUR pro pair", "每box18.00 EUR")."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice

import pytest

from agents.content import offline
from agents.content.facts import from_product
from agents.content.platforms import LANGUAGES, platform
from agents.content.units import quantity, unit_word
from storage.repositories.products import Product

MAKE = {"hook": offline.hooks, "caption": offline.captions, "script": offline.scripts}


def product(**values) -> Product:
    row = {
        "id": uuid.uuid4(),
        "org_id": uuid.uuid4(),
        "sku": "SOCK-STR",
        "name": "Striped Socks",
        "name_en": None,
        "description": "Organic cotton striped crew socks",
        "category": None,
        "price": Decimal("3.20"),
        "currency": "EUR",
        "moq": 50,
        "unit": "pair",
        "lead_time_days": None,
        "specs": {},
        "keywords": ["striped"],
        "selling_points": [],
        "is_active": True,
        "created_at": datetime.now(UTC),
    }
    return Product(**(row | values))


def pieces(facts, lang: str, n: int = 12) -> list[str]:
    return [
        v.full_text()
        for kind, make in MAKE.items()
        for v in islice(make(facts, platform("instagram"), lang, 7), n)
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_free_text_notes_are_stated_as_facts_never_as_a_feature_called_notes(lang):
    socks = product(specs={"notes": "80% organic cotton; sizes S/M/L", "weave": "rib knit"})
    facts = from_product(socks, lang)
    assert facts.specs == (("weave", "rib knit"),)
    assert facts.notes == ("80% organic cotton", "sizes S/M/L")
    texts = pieces(facts, lang)
    assert not [t for t in texts if re.search(r"\bnotes?\b", t, re.IGNORECASE)]
    joined = "\n".join(texts)
    assert "80% organic cotton" in joined and "sizes S/M/L" in joined
    assert "rib knit" in joined  # a real spec still reads as one


def test_notes_alone_still_give_every_kind_and_feed_the_llm_as_notes():
    facts = from_product(product(specs={"Notes": "80% organic cotton."}), "en")
    assert facts.specs == () and facts.notes == ("80% organic cotton",)
    caption = next(offline.captions(facts, platform("instagram"), "en", 1))
    assert "✓ 80% organic cotton" in caption.text
    data = facts.as_prompt_data()
    assert data["specs"] == {} and data["notes"] == ["80% organic cotton"]
    assert data["minimum_order"] == "50 pairs"


@pytest.mark.parametrize(
    ("unit", "lang", "count", "expected"),
    [
        ("pair", "en", 50, "50 pairs"),
        ("pair", "en", 1, "1 pair"),
        ("pcs", "en", 100, "100 pieces"),
        ("box", "en", 10, "10 boxes"),
        ("ctn", "en", 5, "5 cartons"),
        ("pair", "es", 50, "50 pares"),
        ("set", "es", 3, "3 juegos"),
        ("pcs", "pt", 100, "100 peças"),
        ("box", "pt", 10, "10 caixas"),
        ("pair", "de", 50, "50 Paar"),
        ("box", "de", 10, "10 Boxen"),
        ("carton", "de", 2, "2 Kartons"),
        ("kg", "de", 20, "20 kg"),
        ("box", "zh", 10, "10盒"),
        ("pcs", "zh", 100, "100件"),
        ("kg", "zh", 20, "20公斤"),
        ("个", "zh", 100, "100个"),  # the merchant's own measure word is kept
        ("双", "en", 50, "50 pairs"),
        ("roll", "en", 4, "4 roll"),  # unknown: as written, no guessed plural
        ("roll", "zh", 4, "4 roll"),
    ],
)
def test_quantities_in_the_copy_language(unit, lang, count, expected):
    assert quantity(count, unit, lang) == expected


def test_per_unit_words_are_singular_and_translated():
    assert [unit_word("pair", lang) for lang in ("en", "es", "pt", "de", "zh")] == [
        "pair",
        "par",
        "par",
        "Paar",
        "双",
    ]
    assert unit_word("Boxes", "en") == "box"


@pytest.mark.parametrize(
    ("lang", "price_line", "moq_line"),
    [
        ("en", "Price: 2.50 EUR per pair", "Minimum order: 100 pairs"),
        ("es", "Precio: 2.50 EUR por par", "Pedido mínimo: 100 pares"),
        ("pt", "Preço: 2.50 EUR por par", "Pedido mínimo: 100 pares"),
        ("de", "Preis: 2.50 EUR pro Paar", "Mindestbestellmenge: 100 Paar"),
        ("zh", "价格：2.50 EUR/双", "起订量：100双"),
    ],
)
def test_caption_price_and_minimum_order_lines(lang, price_line, moq_line):
    socks = product(name="Ankle Socks", price=Decimal("2.50"), moq=100)
    caption = next(offline.captions(from_product(socks, lang), platform("instagram"), lang, 7))
    assert price_line in caption.text.splitlines()
    assert moq_line in caption.text.splitlines()


def test_chinese_script_says_per_box_with_a_space_before_the_catalog_price():
    box = product(sku="GIFT-BOX", name="Gift Box", price=Decimal("18.00"), moq=10, unit="box")
    texts = pieces(from_product(box, "zh"), "zh", n=20)
    voice = [line for t in texts for line in t.splitlines() if "每" in line]
    assert voice and all("每盒 18.00 EUR" in line for line in voice), voice
    assert not [t for t in texts if "box" in t]
