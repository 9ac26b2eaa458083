"""Red-line rules: the built-in ones every merchant gets, and compiling an org's own.

Built-in rules cover what no small merchant should publish whatever their brand book says:
absolute guarantees, medical promises, financial promises (block) and unverifiable
superlatives (warn: shown with the reason). An org adds banned terms and claims, competitor
names, forbidden phrases and required disclaimers in ``red_line_rules``; markets add
forbidden phrases and disclaimers in ``cultural_params``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Severity = str  # 'block' | 'warn'


@dataclass(frozen=True)
class Rule:
    """One pattern that must not appear. ``rule_id`` is None for built-in rules."""

    kind: str
    code: str
    pattern: re.Pattern[str]
    severity: Severity
    message: str
    rule_id: uuid.UUID | None = None
    language: str | None = None
    market: str | None = None
    platform: str | None = None

    def applies(self, language: str, market: str | None, platform: str) -> bool:
        return (
            (self.language is None or self.language == language)
            and (self.market is None or (market or "").upper() == self.market.upper())
            and (self.platform is None or self.platform == platform)
        )


@dataclass(frozen=True)
class Disclaimer:
    """Text that must appear in a caption or script (for a market, or an org's rule)."""

    text: str
    code: str
    rule_id: uuid.UUID | None = None


def literal(text: str) -> str:
    """A regex matching ``text`` as a whole word (CJK text has no word boundaries)."""
    escaped = re.escape(text.strip())
    if any(ord(ch) >= 0x2E80 for ch in text):
        return escaped
    return rf"(?<!\w){escaped}(?!\w)"


def _rule(kind: str, code: str, severity: str, message: str, *patterns: str) -> Rule:
    return Rule(kind, code, re.compile("|".join(patterns), re.IGNORECASE), severity, message)


BUILTIN_RULES: tuple[Rule, ...] = (
    _rule(
        "banned_claim",
        "absolute_guarantee",
        "block",
        "absolute guarantee: promise only what the merchant's policy states",
        r"\b(?:100\s?%\s*)?guarantee(?:d|s)?\b",
        r"\brisk[- ]free\b|\bzero risk\b|\bnever (?:fails?|breaks?)\b|\blasts? forever\b",
        r"\bgarantizad[oa]s?\b|\bgarant[ií]a total\b|\bsin riesgo\b",
        r"\bgarantid[oa]s?\b|\bsem risco\b",
        r"\bgarantiert\b|\bohne risiko\b",
        r"保证|百分之百|绝对",
    ),
    _rule(
        "banned_claim",
        "medical_claim",
        "block",
        "medical claim: a product may not promise to cure, treat or prevent illness",
        r"\b(?:cures?|heals?|treats?|prevents?|relieves?|eliminates?)\b\W+(?:\w+\W+){0,2}?"
        r"(?:cancer|diabetes|disease|illness|covid|infections?|pain|anxiety|depression|acne|"
        r"arthritis|headaches?|migraines?|flu|colds|common cold|insomnia|inflammation|"
        r"allerg(?:y|ies)|cholesterol|blood pressure|hair loss|obesity)\b",
        r"\bclinically proven\b|\bfda[- ]approved\b|\bmiracle cure\b|\bdoctor[- ]recommended\b",
        r"\b(?:cura|curar|sana|previene|previne|alivia|elimina|trata)\b\W+(?:\w+\W+){0,2}?"
        r"(?:c[aá]ncer|diabetes|enfermedad(?:es)?|doen[cç]as?|dolor(?:es)?|dor|ansiedad|"
        r"ansiedade|migrañas?|gripe|resfriados?|insomnio|inflamaci[oó]n|alergias?|"
        r"colesterol|presi[oó]n arterial|obesidad)\b",
        r"\b(?:heilt|heilen|verhindert|lindert)\b\W+(?:\w+\W+){0,2}?"
        r"(?:krebs|diabetes|krankheit(?:en)?|schmerzen)\b",
        r"\bklinisch (?:bewiesen|erwiesen)\b|\bclínicamente probado\b|\bclinicamente comprovado\b",
        r"治愈|根治|包治|药到病除|防癌|抗癌|治疗|治好|缓解疼痛|降血压|降血糖",
    ),
    _rule(
        "banned_claim",
        "financial_promise",
        "block",
        "financial promise: no promised income, returns or profit",
        r"\bguaranteed (?:income|returns?|profits?|earnings)\b|\bget rich\b",
        r"\bdouble your (?:money|investment)\b|\bpassive income\b",
        r"\bmake \$?\d[\d,.]*\s*(?:a|per) (?:day|week|month)\b",
        r"\bganancias garantizadas\b|\bhazte rico\b|\bduplica tu dinero\b",
        r"\brenda garantida\b|\blucro garantido\b|\bfique rico\b",
        r"\bgarantierte rendite\b|\bschnell reich\b",
        r"稳赚|保本|躺赚|暴富|日赚",
    ),
    _rule(
        "banned_claim",
        "unverifiable_superlative",
        "warn",
        "unverifiable superlative: say what makes it good instead",
        r"\bthe best\b|#1\b|\bnumber one\b|\bworld'?s best\b|\bbest[- ]selling\b",
        r"\bel mejor\b|\bla mejor\b|\bo melhor\b|\ba melhor\b|\b(?:der|die|das) beste\b",
        r"最好|第一|最佳",
    ),
)


def org_rule(row: Mapping[str, Any]) -> Rule | None:
    """An org's ``red_line_rules`` row as a :class:`Rule` (None for required disclaimers,
    which are checked by presence, not by match; and for a regex that doesn't compile)."""
    if row["kind"] == "required_disclaimer":
        return None
    source = row["pattern"] if row["is_regex"] else literal(row["pattern"])
    try:
        pattern = re.compile(source, re.IGNORECASE)
    except re.error:
        return None
    kind = row["kind"]
    return Rule(
        kind=kind,
        code=f"org_{kind}",
        pattern=pattern,
        severity=row["severity"],
        message=row["message"] or f"{kind.replace('_', ' ')}: {row['pattern']}",
        rule_id=row["id"],
        language=row["language"],
        market=row["market"],
        platform=row["platform"],
    )


def market_rules(market: str, phrases: Iterable[str]) -> list[Rule]:
    """A market's forbidden phrases (``cultural_params.forbidden_phrases``) as rules."""
    return [
        Rule(
            "forbidden_phrase",
            f"market_{market.lower()}_forbidden",
            re.compile(literal(p), re.IGNORECASE),
            "block",
            f"forbidden in market {market}: {p}",
            market=None,
        )
        for p in phrases
        if p.strip()
    ]
