"""Finding the catalog product a customer names in part.

Catalog names are long ("Stainless Steel Bottle 500ml", "Bamboo Toothbrush (pack of 4)"); a
customer asks for "the stainless steel bottle" or "1000 toothbrushes". When no SKU, full name
or keyword is in the message, a product still counts as named when the message has the head
of its name (the last word before any variant part: "bottle", "toothbrush"; the end of a
Chinese name: "保温杯") or most of its words. Only the best-scoring products are kept, so
"steel bottle" picks the bottle over a "Steel Lunch Box" when both are in the catalog, and a
message that only shares a word like "steel" with a name names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from storage.repositories.products import Product

# What merchants append to a name: a variant, size or pack after a dash, bracket or comma.
_VARIANT = re.compile(r"\s[-–—|/]\s|[(（\[【,，;；]")
_LATIN_WORD = re.compile(r"[^\W\d_\u3400-\u9fff\uf900-\ufaff]+")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# Words that never identify a product on their own.
_FILLER = frozenset(
    (  # noqa: SIM905 - a word list reads better as words
        "the and with for new set pack pcs piece pieces unit units size color colour custom "
        "del los las con para por una uno"
    ).split()
)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [
        _singular(w) for w in _LATIN_WORD.findall(text.lower()) if len(w) >= 3 and w not in _FILLER
    ]


def _name_score(name: str, message_words: set[str], message: str) -> tuple[int, int]:
    """(evidence, 1 if the name's head is in the message) for one catalog name; (0, 0) when
    the message does not name it."""
    core = _VARIANT.split(name, maxsplit=1)[0]
    words = list(dict.fromkeys(_words(core)))
    if words:
        shared = sum(w in message_words for w in words)
        head = words[-1] in message_words
        if head or (shared >= 2 and shared * 2 > len(words)):
            return shared, int(head)
    for run in _CJK_RUN.findall(core):
        # The longest tail of the Chinese name that the message contains ("保温杯" of
        # "不锈钢保温杯"), at least two characters.
        for start in range(len(run) - 1):
            if run[start:] in message:
                return len(run) - start, 1
    return 0, 0


def loose_product_matches(text: str, products: Sequence[Product]) -> list[Product]:
    """The products ``text`` names in part, best first (ties kept, in catalog order)."""
    message_words = set(_words(text))
    lowered = text.lower()
    scored = []
    for product in products:
        score = max(
            _name_score(name, message_words, lowered)
            for name in (product.name, product.name_en or "")
        )
        if score[0]:
            scored.append((score, product))
    if not scored:
        return []
    best = max(score for score, _ in scored)
    return [product for score, product in scored if score == best]
