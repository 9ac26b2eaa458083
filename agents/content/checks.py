"""The brand and compliance check every piece goes through before anyone sees it.

:func:`check` returns every violation (an empty list means clean): banned terms and claims,
competitor names and forbidden phrases (rules), glossary violations, over-length and
platform limits, missing disclaimers, and money the catalog never stated. The studio stores
each one in ``red_line_violations`` and decides: block severity → regenerated once, then
blocked; warn → shown with the reason. Nothing passes silently.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .models import Variant
from .platforms import Platform
from .rules import BUILTIN_RULES, Disclaimer, Rule


@dataclass(frozen=True)
class Term:
    """A glossary term (``glossary_terms``): kept as written, or rendered as ``translation``."""

    term: str
    rule: str = "keep"
    translation: str | None = None
    target_language: str | None = None
    case_sensitive: bool = True

    def applies(self, language: str) -> bool:
        return self.target_language is None or self.target_language == language


@dataclass
class Violation:
    kind: str
    rule_code: str
    severity: str
    message: str
    matched_text: str | None = None
    rule_id: uuid.UUID | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks(self) -> bool:
        return self.severity == "block"


@dataclass
class CheckContext:
    """What a piece is checked against: its platform and audience, the org's rules, the
    market's disclaimers, the glossary, and the text money may be quoted from."""

    platform: Platform
    language: str
    market: str | None = None
    rules: Sequence[Rule] = ()
    disclaimers: Sequence[Disclaimer] = ()
    glossary: Sequence[Term] = ()
    trusted_text: str = ""
    # The text a localization was made from (glossary terms in it must survive).
    source_text: str | None = None


# Money as written: "$12.50", "12,50 €", "12.50 USD", "20% off", "¥99", "99元".
_MONEY = re.compile(
    r"(?:[$€£¥]\s?(\d[\d.,]*))|(?:(\d[\d.,]*)\s?(?:%|€|usd|eur|gbp|brl|mxn|cny|rmb|元|"
    r"r\$|dollars?|euros?|reais|pesos)(?!\w))",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d[\d.,]*")


def check(variant: Variant, ctx: CheckContext) -> list[Violation]:
    """Every violation in one variant, block ones first."""
    text = variant.full_text()
    found = _rules(text, ctx)
    found += _glossary(text, ctx)
    found += _limits(variant, ctx.platform)
    if variant.kind != "hook":
        found += _disclaimers(text, ctx.disclaimers)
    found += _invented_money(text, ctx.trusted_text)
    return sorted(found, key=lambda v: not v.blocks)


def _rules(text: str, ctx: CheckContext) -> list[Violation]:
    out = []
    for rule in (*BUILTIN_RULES, *ctx.rules):
        if not rule.applies(ctx.language, ctx.market, ctx.platform.name):
            continue
        match = rule.pattern.search(text)
        if match:
            out.append(
                Violation(
                    rule.kind, rule.code, rule.severity, rule.message, match.group(0), rule.rule_id
                )
            )
    return out


def _contains(text: str, term: str, case_sensitive: bool) -> bool:
    return term in text if case_sensitive else term.casefold() in text.casefold()


def _glossary(text: str, ctx: CheckContext) -> list[Violation]:
    out = []
    for term in ctx.glossary:
        if not term.applies(ctx.language):
            continue
        source_has = ctx.source_text is not None and _contains(
            ctx.source_text, term.term, term.case_sensitive
        )
        if term.rule == "keep":
            # Written with another spelling or case ("Aquaflask" for "AquaFlask"), or lost
            # in translation.
            loose = term.term.casefold() in text.casefold()
            if (loose and not _contains(text, term.term, True) and term.case_sensitive) or (
                source_has and not loose
            ):
                out.append(_glossary_violation(term, f"keep {term.term!r} exactly as written"))
        elif (
            term.translation
            and term.translation != term.term
            and (
                _contains(text, term.term, term.case_sensitive)
                or (source_has and not _contains(text, term.translation, True))
            )
        ):
            out.append(
                _glossary_violation(
                    term, f"write {term.term!r} as {term.translation!r} in {ctx.language}"
                )
            )
    return out


def _glossary_violation(term: Term, message: str) -> Violation:
    return Violation(
        "glossary",
        "glossary_" + term.rule,
        "block",
        message,
        term.term,
        details={"term": term.term},
    )


def _limits(variant: Variant, platform: Platform) -> list[Violation]:
    out = []
    name = platform.name
    if variant.kind == "hook" and len(variant.text) > platform.hook_max_chars:
        out.append(
            Violation(
                "over_length",
                f"{name}_hook_max_{platform.hook_max_chars}",
                "warn",
                f"hook is {len(variant.text)} characters; {name} shows about "
                f"{platform.hook_max_chars} before cutting it",
            )
        )
    if variant.kind == "caption" and variant.caption_length() > platform.caption_max_chars:
        out.append(
            Violation(
                "over_length",
                f"{name}_caption_max_{platform.caption_max_chars}",
                "block",
                f"caption is {variant.caption_length()} characters; {name} allows "
                f"{platform.caption_max_chars}",
            )
        )
    if len(variant.hashtags) > platform.max_hashtags:
        out.append(
            Violation(
                "platform_limit",
                f"{name}_hashtags_max_{platform.max_hashtags}",
                "block",
                f"{len(variant.hashtags)} hashtags; {name} allows {platform.max_hashtags}",
            )
        )
    duration = variant.duration_seconds
    if duration is not None and duration > platform.video_max_seconds:
        out.append(
            Violation(
                "platform_limit",
                f"{name}_video_max_{platform.video_max_seconds}s",
                "block",
                f"script runs {duration}s; {name} allows {platform.video_max_seconds}s",
            )
        )
    return out


def _disclaimers(text: str, disclaimers: Sequence[Disclaimer]) -> list[Violation]:
    return [
        Violation(
            "missing_disclaimer",
            d.code,
            "block",
            f"required disclaimer missing: {d.text!r}",
            rule_id=d.rule_id,
            details={"disclaimer": d.text},
        )
        for d in disclaimers
        if d.text.casefold() not in text.casefold()
    ]


def _invented_money(text: str, trusted: str) -> list[Violation]:
    known = {_canon(n) for n in _NUMBER.findall(trusted)}
    invented = sorted({_canon(a or b) for a, b in _MONEY.findall(text)} - known)
    if not invented:
        return []
    return [
        Violation(
            "other",
            "invented_price",
            "block",
            f"states prices or discounts the catalog does not: {', '.join(invented)}",
            invented[0],
            details={"numbers": invented},
        )
    ]


def _canon(number: str) -> str:
    """1,500 / 1500 / 1500.00 compare equal; a trailing dot or comma is punctuation."""
    number = number.rstrip(".,").replace(",", "")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number
