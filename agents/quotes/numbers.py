"""Quantities written in words: "五百", "两千五百", "quinientas", "five hundred".

Buyers write "五百个保温杯" or "quinientas unidades" as often as digits. The parser turns such
words into digits before reading the items, but only right in front of a unit ("个", "pcs",
"unidades") or an "x", so a product name that contains a numeral ("一次性杯子", "One-piece
lid") is never touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_ZH_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4,
    "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9,
    "玖": 9,
}  # fmt: skip
_ZH_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_ZH_LARGE = {"万": 10_000, "萬": 10_000}
ZH_NUMERAL = "[" + "".join([*_ZH_DIGITS, *_ZH_SMALL, *_ZH_LARGE]) + "]+"

_WORDS = {
    # English
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
    # Spanish (both genders: "doscientas unidades", "doscientos pares")
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13,
    "catorce": 14, "quince": 15, "dieciséis": 16, "dieciseis": 16, "diecisiete": 17,
    "dieciocho": 18, "diecinueve": 19, "veinte": 20, "treinta": 30, "cuarenta": 40,
    "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
    "cien": 100, "ciento": 100,
    "doscientos": 200, "doscientas": 200, "trescientos": 300, "trescientas": 300,
    "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500, "quinientas": 500,
    "seiscientos": 600, "seiscientas": 600, "setecientos": 700, "setecientas": 700,
    "ochocientos": 800, "ochocientas": 800, "novecientos": 900, "novecientas": 900,
}  # fmt: skip
# "a dozen" is 12 and "two dozen" 24, as "a hundred" is 100.
_MULTIPLIERS = {
    "dozen": 12, "docena": 12, "docenas": 12, "hundred": 100, "thousand": 1000, "mil": 1000,
    "million": 1_000_000,
}  # fmt: skip
_JOINERS = {"and", "y"}
# A run of number words ("two thousand five hundred", "mil quinientas", "veinte y cinco").
WORDS_NUMERAL = (
    r"(?<![\w-])(?:"
    + "|".join(sorted((re.escape(w) for w in [*_WORDS, *_MULTIPLIERS]), key=len, reverse=True))
    + r")(?:[\s-]+(?:(?:and|y)\s+)?(?:"
    + "|".join(sorted((re.escape(w) for w in [*_WORDS, *_MULTIPLIERS]), key=len, reverse=True))
    + r"))*(?![\w-])"
)


def zh_number(text: str) -> int | None:
    """五百 → 500, 两千五百 → 2500, 一万二千 → 12000, 十五 → 15; None if not a numeral."""
    total, section, digit = 0, 0, None
    for char in text:
        if char in _ZH_DIGITS:
            digit = _ZH_DIGITS[char]
        elif char in _ZH_SMALL:
            section += (1 if digit is None else digit) * _ZH_SMALL[char]
            digit = None
        elif char in _ZH_LARGE:
            total += (section + (digit or 0)) * _ZH_LARGE[char]
            section, digit = 0, None
        else:
            return None
    value = total + section + (digit or 0)
    return value or None


def word_number(text: str) -> int | None:
    """ "five hundred" → 500, "mil quinientas" → 1500, "a dozen" → 12; None otherwise."""
    total, current, seen = 0, 0, False
    for word in re.split(r"[\s-]+", text.lower().strip()):
        if word in _JOINERS:
            continue
        if word in _WORDS:
            current += _WORDS[word]
        elif word in _MULTIPLIERS:
            multiplier = _MULTIPLIERS[word]
            if multiplier >= 1000:
                total += max(current, 1) * multiplier
                current = 0
            else:
                current = max(current, 1) * multiplier
        else:
            return None
        seen = True
    value = total + current
    return value if seen and value else None


def digits_before(
    text: str, numeral: str, follows: str, convert: Callable[[str], int | None]
) -> str:
    """``text`` with each ``numeral`` written in digits where ``follows`` comes right after."""

    def replace(found: re.Match[str]) -> str:
        value = convert(found.group(1))
        return found.group(0) if value is None else f"{value}{found.group(2)}"

    return re.sub(f"({numeral})({follows})", replace, text, flags=re.I)
