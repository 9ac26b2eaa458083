"""Each red-line rule fires on a sample and stays quiet on a clean piece."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest

from agents.content.checks import CheckContext, Term, check
from agents.content.models import Scene, Variant
from agents.content.platforms import platform
from agents.content.rules import Disclaimer, market_rules, org_rule

CATALOG = "AquaFlask 500\ncapacity 500 ml\nKeeps drinks cold for 24 hours\n12.50 USD"
CLEAN = "AquaFlask 500 keeps drinks cold for 24 hours. 12.50 USD per piece."


def caption(text: str, hashtags=(), cta="Message us to order.") -> Variant:
    return Variant("caption", text, "test", call_to_action=cta, hashtags=list(hashtags))


def ctx(**kw) -> CheckContext:
    values = {"platform": platform("instagram"), "language": "en", "trusted_text": CATALOG}
    return CheckContext(**(values | kw))


def codes(variant: Variant, context: CheckContext) -> set[str]:
    return {v.rule_code for v in check(variant, context)}


def org_row(kind: str, pattern: str, **kw) -> dict:
    row = {
        "id": uuid.uuid4(),
        "kind": kind,
        "pattern": pattern,
        "is_regex": False,
        "severity": "block",
        "message": None,
        "language": None,
        "market": None,
        "platform": None,
    }
    return row | kw


def test_a_clean_piece_has_no_violations():
    assert check(caption(CLEAN, ["#AquaFlask"]), ctx()) == []


@pytest.mark.parametrize(
    ("code", "sample", "language"),
    [
        ("absolute_guarantee", "AquaFlask 500: 100% guaranteed to keep drinks cold.", "en"),
        ("absolute_guarantee", "Frío garantizado todo el día.", "es"),
        ("absolute_guarantee", "保证24小时保冷。", "zh"),
        ("medical_claim", "Cures joint pain while you drink.", "en"),
        ("medical_claim", "Heilt Krankheiten im Schlaf.", "de"),
        ("medical_claim", "可以治愈失眠。", "zh"),
        ("financial_promise", "Resell it: guaranteed income every month.", "en"),
        ("financial_promise", "Revenda e tenha lucro garantido.", "pt"),
        ("unverifiable_superlative", "The best bottle money can buy.", "en"),
    ],
)
def test_each_builtin_rule_fires_on_its_sample(code, sample, language):
    found = {v.rule_code: v for v in check(caption(sample), ctx(language=language))}
    assert code in found
    assert found[code].matched_text and found[code].matched_text.lower() in sample.lower()


def test_a_superlative_warns_but_a_guarantee_blocks():
    [warn] = check(caption("The best bottle for hikes."), ctx())
    assert warn.severity == "warn"
    [block] = check(caption("Guaranteed cold for hikes."), ctx())
    assert block.severity == "block"


@pytest.mark.parametrize(
    ("kind", "pattern", "sample"),
    [
        ("banned_term", "cheap", "A cheap bottle that keeps drinks cold."),
        ("banned_claim", "eco-friendly", "An eco-friendly bottle."),
        ("competitor", "HydroFlask", "Better than a hydroflask."),
        ("forbidden_phrase", "Black Friday", "Black Friday is here."),
    ],
)
def test_each_org_rule_kind_fires_on_a_sample_and_not_on_clean(kind, pattern, sample):
    rule = org_rule(org_row(kind, pattern))
    context = ctx(rules=[rule])
    [hit] = check(caption(sample), context)
    assert hit.kind == kind and hit.rule_id == rule.rule_id
    assert check(caption(CLEAN), context) == []


def test_an_org_rule_matches_whole_words_only_and_respects_its_scope():
    rule = org_rule(org_row("banned_term", "cheap", platform="tiktok"))
    assert check(caption("A cheap bottle."), ctx(rules=[rule])) == []  # instagram: out of scope
    assert codes(caption("A cheap bottle."), ctx(rules=[rule], platform=platform("tiktok")))
    word = org_rule(org_row("banned_term", "cheap"))
    assert check(caption("Cheapside market stall."), ctx(rules=[word])) == []


def test_a_regex_rule():
    rule = org_rule(org_row("banned_claim", r"\bno\.? ?1\b", is_regex=True))
    assert codes(caption("The No. 1 flask."), ctx(rules=[rule])) == {"org_banned_claim"}


def test_a_market_forbidden_phrase_blocks_in_that_market():
    rules = market_rules("CN", ["最佳"])
    hit = check(caption("最佳保温杯"), ctx(language="zh", market="CN", rules=rules))
    assert "market_cn_forbidden" in {v.rule_code for v in hit}
    assert check(caption("保温杯，24小时保冷"), ctx(language="zh", market="CN", rules=rules)) == []


def test_missing_disclaimer():
    need = [Disclaimer("Imagens meramente ilustrativas.", "market_br_disclaimer")]
    assert codes(caption("Garrafa AquaFlask 500."), ctx(disclaimers=need)) == {
        "market_br_disclaimer"
    }
    ok = caption("Garrafa AquaFlask 500.\nImagens meramente ilustrativas.")
    assert check(ok, ctx(disclaimers=need)) == []


def test_glossary_keep_term_with_wrong_case_or_lost_in_translation():
    terms = [Term("AquaFlask")]
    assert codes(caption("The Aquaflask 500."), ctx(glossary=terms)) == {"glossary_keep"}
    lost = ctx(glossary=terms, source_text="AquaFlask 500 keeps drinks cold", language="es")
    assert codes(caption("La botella 500 mantiene el frío."), lost) == {"glossary_keep"}
    assert check(caption("La AquaFlask 500 mantiene el frío."), lost) == []


def test_glossary_translate_term():
    terms = [Term("Leak-proof lid", "translate", "Tapa antigoteo", "es")]
    context = ctx(glossary=terms, language="es", source_text="Leak-proof lid")
    assert codes(caption("Con Leak-proof lid."), context) == {"glossary_translate"}
    assert check(caption("Con Tapa antigoteo."), context) == []


def test_over_length_and_hashtag_limits():
    plat = platform("instagram")
    long_caption = caption("x " * 1200)
    assert codes(long_caption, ctx()) == {"instagram_caption_max_2200"}
    tags = [f"#tag{i}" for i in range(31)]
    assert codes(caption(CLEAN, tags), ctx()) == {"instagram_hashtags_max_30"}
    assert check(caption(CLEAN, tags[:30]), ctx()) == []
    status = caption(CLEAN, ["#one"])
    assert codes(status, ctx(platform=platform("whatsapp_status"))) == {
        "whatsapp_status_hashtags_max_0"
    }
    hook = Variant("hook", "y" * (plat.hook_max_chars + 1), "test")
    [warn] = check(hook, ctx())
    assert warn.kind == "over_length" and warn.severity == "warn"


def test_a_script_over_the_platform_duration():
    scenes = [
        Scene("hook", Decimal(40), "v", "AquaFlask 500", "AquaFlask 500"),
        Scene("cta", Decimal(30), "v", "Message us", "Message us"),
    ]
    script = Variant("script", "AquaFlask 500", "test", scenes=scenes)
    assert codes(script, ctx(platform=platform("tiktok"))) == {"tiktok_video_max_60s"}
    assert check(script, ctx(platform=platform("instagram"))) == []  # 70s <= 90s


def test_money_the_catalog_never_stated_is_caught():
    [hit] = check(caption("AquaFlask 500 now 9.99 USD, 20% off!"), ctx())
    assert hit.rule_code == "invented_price" and set(hit.details["numbers"]) == {"9.99", "20"}
    assert check(caption("AquaFlask 500 for $12.50."), ctx()) == []


def test_every_builtin_rule_is_quiet_on_ordinary_copy():
    ordinary = [
        "Keeps drinks cold for 24 hours.",
        "Mantiene el frío durante 24 horas.",
        "Hält Getränke 24 Stunden kalt.",
        "保冷24小时，防漏杯盖。",
        "Treats you to cold water all day.",  # "treats" without an illness
    ]
    for text in ordinary:
        assert check(caption(text), ctx(trusted_text=CATALOG + "\n24")) == [], text
        assert not re.search("guarantee", text)
