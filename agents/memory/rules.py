"""Offline memory extraction: explicit facts a customer states, in English, Spanish and Chinese.

Rules catch what people say plainly — "we are in Madrid", "need 500 pcs", "我们在上海",
"necesitamos 300 unidades", "budget is 2000 USD", an e-mail address — and nothing they merely
imply; the LLM extractor covers the rest when one is configured. Each fact has a category;
``SINGLE_VALUED`` categories replace the previous fact of that kind (a customer has one
location), the others accumulate (several needs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

SINGLE_VALUED = frozenset({"location", "ship_to", "budget", "company", "email", "phone"})


@dataclass(frozen=True)
class Fact:
    category: str
    content: str
    importance: float


_UNITS = (
    r"pcs|pieces?|units?|sets?|pairs?|boxes|cartons?|dozens?|kg|tons?|meters?|m|rolls?|bags?"
    r"|unidades|piezas|cajas|pares|juegos|metros|kilos"
)
_CJK_UNITS = r"个|件|套|双|箱|盒|只|台|米|公斤|吨|条|包|张"
_NAME = r"[A-Z][\w'\-]+(?:[ \-][A-Z][\w'\-]+){0,3}"
_CJK_PLACE = r"[\u4e00-\u9fff]{2,8}"

_QUANTITY = [
    re.compile(rf"(?<![\w.,])(\d{{1,3}}(?:[,.]\d{{3}})+|\d+)\s*({_UNITS})\b", re.IGNORECASE),
    re.compile(rf"(\d+)\s*({_CJK_UNITS})"),
]
_LOCATION = [
    re.compile(
        rf"\b(?i:we are|we're|i am|i'm|based|located|live)\s+(?i:based\s+|located\s+)?"
        rf"(?i:in)\s+({_NAME})"
    ),
    re.compile(rf"\b(?i:from|desde)\s+({_NAME})\b(?=[,.!?]|\s*$)"),
    re.compile(
        rf"\b(?:estamos|estoy|somos de|soy de|vivimos|vivo)\s+(?:en\s+)?({_NAME})", re.IGNORECASE
    ),
    re.compile(rf"(?:我们在|我在|我们是|来自|位于)({_CJK_PLACE}?)(?:的|，|,|。|$|\s)"),
]
_SHIP_TO = [
    re.compile(rf"\b(?i:ship(?:ping)?|deliver(?:y)?|send(?: it)?)\s+(?i:to)\s+({_NAME})"),
    re.compile(rf"\b(?:envío|envio|enviar|entrega)\s+a\s+({_NAME})", re.IGNORECASE),
    re.compile(rf"(?:发到|发往|寄到|运到|送到)({_CJK_PLACE}?)(?:的|，|,|。|$|\s|要|需要)"),
]
_BUDGET = [
    re.compile(
        r"\b(?:budget|presupuesto|target price|precio objetivo)\b[^\d$€¥]{0,15}"
        r"([$€¥]?\s?\d[\d,.]*\s?(?:usd|eur|rmb|cny|dollars?|euros?|yuan)?)",
        re.IGNORECASE,
    ),
    re.compile(r"(?:预算|目标价)[^\d]{0,6}(\d[\d,.]*\s?(?:元|美元|欧元|usd|rmb)?)", re.IGNORECASE),
]
_MONTHS = (
    r"january|february|march|april|may|june|july|august|september|october|november|december"
    r"|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
)
_DEADLINE = [
    re.compile(
        r"\b(?:need(?:ed)? (?:it|them|the goods)?\s*(?:by|before)|deadline(?: is)?|before|"
        r"para (?:el|antes de)|antes de)\s+((?:the\s+)?(?:end of\s+)?[A-Za-zÀ-ÿ]+(?:\s\d{1,2})?)",
        re.IGNORECASE,
    ),
    re.compile(r"((?:下个?月|月底|年底|春节|圣诞节?|\d{1,2}月(?:\d{1,2}[日号])?))(?:之前|前|以前)"),
    re.compile(
        rf"\b(?:by|before|para|antes de)\s+({_MONTHS}|christmas|navidad|next week|"
        r"next month|end of the month)\b",
        re.IGNORECASE,
    ),
]
_PREFERENCE = [
    re.compile(r"\b(?:we|i) (?:prefer|like|want|need)\s+([^.!?\n]{3,60})", re.IGNORECASE),
    re.compile(r"\b(?:prefiero|preferimos|queremos|necesitamos)\s+([^.!?\n]{3,60})", re.IGNORECASE),
    re.compile(r"(?:我们?(?:喜欢|偏好|想要|需要))([^。！？\n]{2,30})"),
]
_COMPANY = [
    re.compile(
        rf"\b(?:our company|my company|we are|nuestra empresa(?: es)?)\s+({_NAME}"
        r"(?:\s(?:Ltd|LLC|Inc|GmbH|S\.?L\.?|S\.?A\.?|Co\.?))?)"
    ),
    re.compile(
        r"(?:我们公司(?:是|叫)?|公司名(?:是|叫)?)([\u4e00-\u9fff\w]{2,20}(?:公司|有限公司)?)"
    ),
]
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?<!\w)\+\d[\d\s-]{7,16}\d")
_PHONE_NOISE = re.compile(r"[\s-]")

# Words that look like a place after "from"/"in" but are not one.
_NOT_PLACES = frozenset(
    {"The", "A", "An", "Our", "My", "This", "That", "Monday", "Friday", "Amazon", "Alibaba"}
)


def extract_facts(text: str) -> list[Fact]:
    """Every explicit fact in ``text``, deduplicated, most important first."""
    found: dict[tuple[str, str], Fact] = {}
    for fact in _all_facts(text):
        found.setdefault((fact.category, fact.content.lower()), fact)
    return sorted(found.values(), key=lambda f: -f.importance)


def _all_facts(text: str) -> Iterator[Fact]:
    for extractor in _EXTRACTORS:
        yield from extractor(text)


# "need 200 vacuum flasks": a wanted number of a product named by its words, not a unit.
_WANTED_ITEMS = re.compile(
    r"\b(?:need|want|order|buy|looking for|require|quote for|necesitamos|necesito|queremos|"
    r"quiero|comprar)\s+(\d{1,3}(?:,\d{3})+|\d+)\s+((?:[^\W\d_]+\s?){1,3})",
    re.IGNORECASE,
)
# Words that end the product's name ("200 bottles by May", "300 mugs for our cafe").
_ITEM_STOP = frozenset(
    (  # noqa: SIM905 - a word list reads better as words
        "by for to in and before with within per each please asap of de para con antes y en"
    ).split()
)
# A number of days or weeks is a time, not a quantity ("we need 2 weeks").
_TIME_WORDS = frozenset(
    (  # noqa: SIM905
        "more day days week weeks month months year years hour hours minute minutes "
        "dia dias día días semana semanas mes meses"
    ).split()
)


def _quantities(text: str) -> Iterator[Fact]:
    counted = set()
    for pattern in _QUANTITY:
        for match in pattern.finditer(text):
            amount, unit = match.group(1), match.group(2)
            counted.add(match.start(1))
            yield Fact("quantity", f"Needs {amount} {unit}", 0.8)
    for match in _WANTED_ITEMS.finditer(text):
        if match.start(1) in counted:
            continue  # "need 500 pcs" is already kept with its unit
        words = []
        for word in match.group(2).split():
            if word.lower() in _ITEM_STOP:
                break
            words.append(word)
        if words and words[0].lower() not in _TIME_WORDS:
            yield Fact("quantity", f"Needs {match.group(1)} {' '.join(words)}", 0.8)


def _preferences(text: str) -> Iterator[Fact]:
    for pattern in _PREFERENCE:
        for match in pattern.finditer(text):
            value = match.group(1).strip(" ,.;:")
            # "we need 500 pcs" is a quantity, already kept; only non-numeric wants here.
            if value and not value[0].isdigit():
                yield Fact("preference", f"Wants: {value}", 0.5)


def _places(text: str) -> Iterator[Fact]:
    for pattern in _LOCATION:
        for match in pattern.finditer(text):
            place = match.group(1).strip()
            if place and place.split()[0] not in _NOT_PLACES:
                yield Fact("location", f"Based in {place}", 0.7)
    for pattern in _SHIP_TO:
        for match in pattern.finditer(text):
            place = match.group(1).strip()
            if place and place.split()[0] not in _NOT_PLACES:
                yield Fact("ship_to", f"Ships to {place}", 0.6)


def _simple(category: str, patterns: list[re.Pattern], template: str, importance: float):
    def extract(text: str) -> Iterator[Fact]:
        for pattern in patterns:
            for match in pattern.finditer(text):
                value = match.group(1).strip(" ,.;:")
                if value:
                    yield Fact(category, template.format(value), importance)

    return extract


def _contacts(text: str) -> Iterator[Fact]:
    for match in _EMAIL.finditer(text):
        yield Fact("email", f"E-mail: {match.group(0)}", 0.6)
    for match in _PHONE.finditer(text):
        number = _PHONE_NOISE.sub("", match.group(0))
        yield Fact("phone", f"Phone: {number}", 0.6)


_EXTRACTORS: tuple[Callable[[str], Iterator[Fact]], ...] = (
    _quantities,
    _places,
    _simple("budget", _BUDGET, "Budget / target price: {}", 0.75),
    _simple("event", _DEADLINE, "Needs it before {}", 0.7),
    _preferences,
    _simple("company", _COMPANY, "Company: {}", 0.6),
    _contacts,
)
