"""The offline engine as a product: catalog facts only, deterministic, varied, in limits."""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import islice

import pytest

from agents.content import offline
from agents.content.bank_copy import CAPTION, SCRIPT
from agents.content.bank_hooks import HOOKS
from agents.content.facts import slots_of
from agents.content.models import Facts
from agents.content.platforms import LANGUAGES, PLATFORMS, platform

FLASK = Facts(
    sku="BTL-500",
    name="AquaFlask 500",
    category="water bottle",
    specs=(("capacity", "500 ml"), ("material", "304 stainless steel")),
    selling_points=("Keeps drinks cold for 24 hours", "Leak-proof lid"),
    keywords=("water bottle", "insulated"),
    price=Decimal("12.50"),
    moq=100,
)
MUG = Facts(sku="MUG-1", name="Terra Mug", specs=(("volume", "350 ml"),), keywords=("mug",))


def take(kind: str, facts: Facts, plat: str, lang: str, seed: int, n: int = 6):
    make = {"hook": offline.hooks, "caption": offline.captions, "script": offline.scripts}
    return list(islice(make[kind](facts, platform(plat), lang, seed), n))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind", ["hook", "caption", "script"])
def test_a_product_without_a_price_never_gets_one(kind, lang):
    for variant in take(kind, MUG, "instagram", lang, seed=3, n=20):
        text = variant.full_text()
        assert not re.search(r"\d+\.\d\d|USD|\$|€|价格|Price|Precio|Preço|Preis", text), text
        # Every number in the piece is one the catalog gave (350 ml).
        assert set(re.findall(r"\d+", text)) <= {"350"}, text


def test_slots_are_filled_from_catalog_facts_only():
    hooks = take("hook", FLASK, "instagram", "en", seed=1, n=40)
    catalog_numbers = {"500", "304", "24", "12.50", "100"}
    for hook in hooks:
        assert set(re.findall(r"\d+(?:\.\d+)?", hook.text)) <= catalog_numbers, hook.text
        assert "{" not in hook.text
    captions = take("caption", FLASK, "instagram", "en", seed=1, n=3)
    assert all("12.50 USD" in c.text for c in captions)  # the real price, as the catalog has it
    assert all("Keeps drinks cold for 24 hours" in c.text for c in captions)


def test_prices_are_shown_exactly_as_the_catalog_has_them():
    assert FLASK.price_text == "12.50 USD"
    assert Facts(sku="S", name="Screw", price=Decimal("0.0850")).price_text == "0.085 USD"
    assert Facts(sku="S", name="Crate", price=Decimal("120")).price_text == "120.00 USD"


def test_same_seed_same_variants_and_another_seed_others():
    a = [v.full_text() for v in take("caption", FLASK, "tiktok", "es", seed=42)]
    b = [v.full_text() for v in take("caption", FLASK, "tiktok", "es", seed=42)]
    c = [v.full_text() for v in take("caption", FLASK, "tiktok", "es", seed=43)]
    assert a == b and a != c


def test_variants_differ_in_type_and_text():
    hooks = take("hook", FLASK, "instagram", "en", seed=5, n=5)
    assert len({h.text for h in hooks}) == 5
    assert {h.hook_type for h in hooks} == {"question", "threat", "fact", "curiosity", "urgency"}
    scripts = take("script", FLASK, "tiktok", "en", seed=5, n=3)
    assert {s.narrative_template for s in scripts} == {"PAS", "AIDA", "4U"}


@pytest.mark.parametrize("plat", sorted(PLATFORMS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_platform_limits_hold_for_every_variant(plat, lang):
    limits = platform(plat)
    for hook in take("hook", FLASK, plat, lang, seed=9, n=30):
        assert len(hook.text) <= limits.hook_max_chars
    for caption in take("caption", FLASK, plat, lang, seed=9, n=10):
        assert caption.caption_length() <= limits.caption_max_chars
        assert len(caption.hashtags) <= limits.max_hashtags
    for script in take("script", FLASK, plat, lang, seed=9, n=6):
        assert script.duration_seconds <= limits.video_max_seconds
        assert script.scenes[0].purpose == "hook" and script.scenes[-1].purpose == "cta"


def test_script_duration_is_what_was_asked_capped_at_the_platform():
    [script] = take("script", FLASK, "tiktok", "en", seed=1, n=1)
    assert script.duration_seconds == 30
    long = next(offline.scripts(FLASK, platform("tiktok"), "en", 1, seconds=300))
    assert long.duration_seconds == platform("tiktok").video_max_seconds


def test_every_language_has_the_same_templates_with_the_same_slots():
    for lang in LANGUAGES:
        for hook_type, templates in HOOKS["en"].items():
            theirs = HOOKS[lang][hook_type]
            assert [set(slots_of(t)) for t in theirs] == [set(slots_of(t)) for t in templates]
        assert CAPTION[lang].keys() == CAPTION["en"].keys()
        assert SCRIPT[lang].keys() == SCRIPT["en"].keys()
