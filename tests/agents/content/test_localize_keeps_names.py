"""Localizing to a market converts the copy's units and prices, never a product's name.

Regression: localizing a caption for "Steel Vacuum Bottle 500ml" to the US market wrote
"Steel Vacuum Bottle 16.9 fl oz" (the name's "500ml" converted), while its hashtag kept
"#SteelVacuumBottle500ml"; a glossary "keep" term with a unit in it was converted too.
"""

from __future__ import annotations

from decimal import Decimal

from agents.content.checks import Term
from agents.content.localize import adapt
from agents.content.models import Scene, Variant
from agents.quotes.pricing import Rates

RATES = Rates("USD", {"EUR": Decimal("0.92")})


def _adapt(variant: Variant, **kwargs) -> Variant:
    defaults = {"unit_system": "imperial", "currency": "USD", "rates": RATES, "terms": []}
    return adapt(variant, language="en", **(defaults | kwargs))


def test_the_product_name_keeps_its_units_while_the_specs_convert():
    caption = Variant(
        kind="caption",
        text="New: Steel Vacuum Bottle 500ml.\ncapacity: 500 ml\nPrice: 1.93 EUR",
        template="t",
        call_to_action="Order Steel Vacuum Bottle 500ml today",
    )
    adapted = _adapt(caption, names=["Steel Vacuum Bottle 500ml"])
    assert adapted.text == (
        "New: Steel Vacuum Bottle 500ml.\ncapacity: 16.9 fl oz\nPrice: 2.10 USD"
    )
    assert adapted.call_to_action == "Order Steel Vacuum Bottle 500ml today"


def test_script_scenes_and_kept_glossary_terms_are_protected_too():
    script = Variant(
        kind="script",
        text="AquaFlask 1L holds 1 L",
        template="t",
        scenes=[Scene("hook", Decimal(5), "AquaFlask 1L on a desk", "1 L", "AquaFlask 1L")],
    )
    adapted = _adapt(script, terms=[Term("AquaFlask 1L")])
    assert adapted.text == "AquaFlask 1L holds 33.8 fl oz"
    scene = adapted.scenes[0]
    assert (scene.visual, scene.on_screen_text, scene.voiceover) == (
        "AquaFlask 1L on a desk",
        "33.8 fl oz",
        "AquaFlask 1L",
    )
