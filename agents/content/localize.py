"""Adapting a piece to a market: units, prices, glossary, emoji density, disclaimers.

Translation itself needs an LLM (prompts/content_localize.md); everything here is
deterministic code and runs after it (or alone, when the language doesn't change), so the
numbers and the glossary are right whatever the model wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from agents.quotes.pricing import Rates

from .checks import Term
from .errors import ContentError
from .models import Scene, Variant

# (pattern of the unit after a number, target unit, factor); first match wins.
_TO_IMPERIAL = (
    (r"ml|mL", "fl oz", Decimal("0.033814")),
    (r"(?:l|L|liters?|litres?)", "fl oz", Decimal("33.814")),
    (r"mm", "in", Decimal("0.0393701")),
    (r"cm", "in", Decimal("0.393701")),
    (r"m|meters?|metres?", "ft", Decimal("3.28084")),
    (r"kg", "lb", Decimal("2.20462")),
    (r"g|grams?", "oz", Decimal("0.035274")),
)
_TO_METRIC = (
    (r"fl\.? ?oz", "ml", Decimal("29.5735")),
    (r"oz", "g", Decimal("28.3495")),
    (r"lbs?", "kg", Decimal("0.453592")),
    (r"inch(?:es)?|in\.|″", "cm", Decimal("2.54")),
    (r"ft|feet|foot", "m", Decimal("0.3048")),
    (r"gal(?:lons?)?", "L", Decimal("3.78541")),
)
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_SYMBOLS = {"R$": "BRL", "$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY"}
_CODES = r"USD|EUR|GBP|BRL|MXN|CNY|JPY|CAD|AUD|INR"
_PRICE = re.compile(rf"(?:(R\$|[$€£¥])\s?{_NUMBER})|(?:{_NUMBER}\s?({_CODES})\b)", re.IGNORECASE)
# Currencies quoted without decimals.
_ZERO_DECIMALS = {"JPY", "KRW"}
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u26ff\u2b50\u2728]\ufe0f?")
EMOJI_LIMITS = {"none": 0, "low": 1, "medium": 3, "high": None}


def _plain(value: Decimal, places: str = "0.1") -> str:
    text = f"{value.quantize(Decimal(places), ROUND_HALF_UP)}"
    return text[:-2] if text.endswith(".0") else text


def convert_units(text: str, system: str) -> str:
    """Every "500 ml" / "16 oz" in ``text`` in the other system, rounded to one decimal."""
    table = _TO_IMPERIAL if system == "imperial" else _TO_METRIC
    for unit, target, factor in table:
        pattern = re.compile(rf"{_NUMBER}\s?(?:{unit})(?![\w])")

        def swap(m: re.Match[str], target: str = target, factor: Decimal = factor) -> str:
            value = Decimal(m.group(1).replace(",", ".")) * factor
            return f"{_plain(value)} {target}"

        text = pattern.sub(swap, text)
    return text


def convert_price(amount: Decimal, source: str, target: str, rates: Rates) -> str:
    """``amount`` in ``target`` currency at the org's rates: the quotes' conversion (one rate
    at 6 decimals), rounded half up to the currency's precision."""
    source, target = source.upper(), target.upper()
    rate = rates.rate(source, target)
    if rate is None:
        missing = [c for c in (source, target) if c != rates.base and c not in rates.per_base]
        raise ContentError(
            f"no exchange rate for {', '.join(missing)}: add it to quotes.rates in config.yaml "
            "(or the organization's quotes settings)"
        )
    places = Decimal("1") if target in _ZERO_DECIMALS else Decimal("0.01")
    return f"{(amount * rate).quantize(places, ROUND_HALF_UP)} {target}"


def convert_prices(text: str, target: str, rates: Rates) -> str:
    """Every price in ``text`` ("12.50 USD", "$12.50") in the ``target`` currency."""

    def swap(m: re.Match[str]) -> str:
        symbol, number_a, number_b, code = m.groups()
        source = _SYMBOLS[symbol.upper()] if symbol else code.upper()
        number = (number_a or number_b).replace(",", ".")
        return convert_price(Decimal(number), source, target, rates)

    return _PRICE.sub(swap, text)


def apply_glossary(text: str, terms: Sequence[Term], language: str) -> str:
    """Terms written exactly as the glossary says: translations put in, kept terms restored
    to their exact spelling and case."""
    for term in terms:
        if not term.applies(language):
            continue
        flags = 0 if term.case_sensitive else re.IGNORECASE
        if term.rule == "translate" and term.translation:
            pattern = re.compile(re.escape(term.term), flags)
            text = pattern.sub(lambda _m, t=term.translation: t, text)
        elif term.rule == "keep":
            pattern = re.compile(re.escape(term.term), re.IGNORECASE)
            text = pattern.sub(lambda _m, t=term.term: t, text)
    return text


def limit_emoji(text: str, density: str) -> str:
    """Drop emoji past the market's density (none 0, low 1, medium 3, high any)."""
    limit = EMOJI_LIMITS.get(density)
    if limit is None:
        return text
    seen = 0

    def keep(m: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return m.group(0) if seen <= limit else ""

    return re.sub(r"  +", " ", _EMOJI.sub(keep, text))


def adapt(
    variant: Variant,
    *,
    unit_system: str | None,
    currency: str | None,
    rates: Rates,
    terms: Sequence[Term],
    language: str,
    emoji_density: str | None = None,
    disclaimers: Sequence[str] = (),
    names: Sequence[str] = (),
) -> Variant:
    """A copy of ``variant`` with every visible text adapted to the market. ``names``
    (the product's) and the glossary's kept terms are left exactly as written: the units
    and prices inside them are part of a name."""
    kept = sorted(
        {n for n in names if n} | {t.term for t in terms if t.rule == "keep" and t.term},
        key=len,
        reverse=True,
    )

    def fix(text: str | None) -> str | None:
        if not text:
            return text
        text, hidden = _hide(text, kept)
        if unit_system:
            text = convert_units(text, unit_system)
        if currency:
            text = convert_prices(text, currency, rates)
        text = _unhide(text, hidden)
        text = apply_glossary(text, terms, language)
        if emoji_density:
            text = limit_emoji(text, emoji_density)
        return text

    scenes = [
        Scene(
            s.purpose,
            s.duration_seconds,
            fix(s.visual) or "",
            fix(s.on_screen_text) or "",
            fix(s.voiceover) or "",
        )
        for s in variant.scenes
    ]
    adapted = replace(
        variant,
        text=fix(variant.text) or "",
        title=fix(variant.title),
        call_to_action=fix(variant.call_to_action),
        hashtags=list(variant.hashtags),
        scenes=scenes,
    )
    return add_disclaimers(adapted, disclaimers)


def _hide(text: str, kept: Sequence[str]) -> tuple[str, list[str]]:
    """``text`` with each kept name replaced by a marker no conversion touches."""
    hidden: list[str] = []
    for name in kept:
        if name in text:
            # Private-use characters, no digits: no unit or price pattern can match them.
            text = text.replace(name, f"\ue000{chr(0xE001 + len(hidden))}\ue000")
            hidden.append(name)
    return text, hidden


def _unhide(text: str, hidden: Sequence[str]) -> str:
    return re.sub("\ue000(.)\ue000", lambda m: hidden[ord(m.group(1)) - 0xE001], text)


def add_disclaimers(variant: Variant, disclaimers: Sequence[str]) -> Variant:
    """Captions and scripts get each missing disclaimer as a last line (hooks don't carry
    disclaimers: the post they open does)."""
    if variant.kind == "hook":
        return variant
    missing = [d for d in disclaimers if d.casefold() not in variant.full_text().casefold()]
    if not missing:
        return variant
    if variant.scenes:
        last = variant.scenes[-1]
        lines = "\n".join([last.on_screen_text, *missing]).strip()
        variant.scenes[-1] = replace(last, on_screen_text=lines)
    else:
        variant.text = "\n".join([variant.text, *missing])
    return variant
