"""Finding the catalog product a customer names in part.

Catalog names are long ("Stainless Steel Bottle 500ml", "Bamboo Toothbrush (pack of 4)"); a
customer asks for "the stainless steel bottle" or "1000 toothbrushes". When no SKU, full name
or keyword is in the message, a product still counts as named when the message has the head
of its name (the last word before any variant part: "bottle", "toothbrush"; the end of a
Chinese name: "保温杯") or most of its words. Only the best-scoring products are kept, so
"steel bottle" picks the bottle over a "Steel Lunch Box" when both are in the catalog, and a
message that only shares a word like "steel" with a name names nothing.

A head must not be contradicted: the words the customer puts right before it describe the
thing ("electric toothbrush", "电动牙刷"), so each must be in the product's name (variant
part included: "white mugs" is "Ceramic Mug - White"). "electric toothbrush" is not "Bamboo
Toothbrush" and "电动牙刷" is not "儿童牙刷": the customer is asked which product instead of
being quoted another one's price. Words that only frame the noun ("the", "500", "want",
"的", "个", "要") or rate it ("cheapest", "big", "best", "便宜", "barato") are not
descriptions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from storage.repositories.products import Product

# What merchants append to a name: a variant, size or pack after a dash, bracket or comma.
_VARIANT = re.compile(r"\s[-–—|/]\s|[(（\[【,，;；]")
_LATIN_WORD = re.compile(r"[^\W\d_\u3400-\u9fff\uf900-\ufaff]+")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# Words before a head that do not describe the product ("how much are the bottles", "we
# need toothbrushes", "precio de las botellas"): articles, pronouns, quantities, prepositions
# and the verbs of asking and ordering. Any other word there is a description the name must
# hold. Shorter than three letters never counts (a, of, my, de, la).
_FRAMING = frozenset(
    (  # noqa: SIM905 - a word list reads better as words
        "the this that these those your you our his her their its some any all each every "
        "other another same such both few many much more most less few lot lots "
        "for per from about with without into onto than and but nor "
        "are was were been being have has had does did can could would will shall should may "
        "might must want wants wanted need needs needed buy buying order ordering ordered get "
        "getting like love interested looking look send sending ship shipping quote quoting "
        "price prices pricing cost costs how what which who when where why please pls thanks "
        "hello hey also just only still again here there about around approx approximately "
        "dozen hundred thousand million "
        # evaluative and size words: "your cheapest toothbrush", "big mugs", "the best bottle"
        # ask about the catalog's product, they do not name another one
        "cheap cheaper cheapest affordable budget economical best better good great nice "
        "top quality popular favourite favorite usual regular standard normal basic newest "
        "latest big bigger biggest small smaller smallest large larger largest little tiny "
        "huge mini soft softer "
        "barato barata baratos baratas economico económico mejor mejores bueno buena buenos "
        "buenas nuevo nueva nuevos nuevas grande grandes pequeño pequeña pequeños pequeñas "
        "más mas "
        "una uno unos unas los las del con para por precio precios cuánto cuanto cuánta "
        "cuanta cuesta cuestan quiero queremos necesito necesitamos tiene tienen hay sus "
        "mis tus esta este estos estas ese esa esos esas"
    ).split()
)
# Characters before a Chinese head that frame rather than describe it: measure words,
# demonstratives, pronouns and the verbs of asking and ordering ("我想要保温杯", "1000个保温杯").
_CJK_FRAMING = frozenset(
    "的个只支把件套款种批箱盒瓶些这那该此要买订购想需问找请和与及或跟您你我他她们了是有卖报询下几多少么啥呢吗给"
)
# Evaluative or size words right before a Chinese head ("最便宜的" ends in 的 already; "便宜
# 牙刷", "最好保温杯", "大号杯" do not): they ask about the product, not name another one.
_CJK_EVALUATIVE = (
    "便宜", "实惠", "划算", "最好", "好", "新款", "新", "最新", "大", "小", "软", "热销", "畅销",
    "大号", "小号", "中号", "普通", "标准",
)  # fmt: skip
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


def _tokens(text: str) -> list[str]:
    """The message's words in order, numbers and Chinese runs included (they break a run of
    descriptions: "500 steel bottles")."""
    return re.findall(r"[^\W_]+", text.lower())


def _head_uncontradicted(head: str, name_words: set[str], tokens: list[str]) -> bool:
    """Whether, at some place the message says ``head``, every word describing it is in
    the product's name ("stainless steel bottle": yes; "electric toothbrush": no)."""
    return any(
        _singular(token) == head and _descriptions_in_name(tokens[:index], name_words)
        for index, token in enumerate(tokens)
    )


def _descriptions_in_name(before: list[str], name_words: set[str]) -> bool:
    """Walking back from the head over the words describing it, until a framing word, a
    number or the start: are they all in the name?"""
    for word in reversed(before):
        if not _LATIN_WORD.fullmatch(word) or len(word) < 3 or word in _FRAMING:
            return True
        if word not in _FILLER and _singular(word) not in name_words:
            return False
    return True


def _cjk_tail(run: str, name: str, message: str) -> int:
    """Length of the longest tail of the Chinese name ``run`` that the message says without
    a contradicting description right before it ("保温杯" of "不锈钢保温杯" in "我想要保温杯";
    not "牙刷" of "儿童牙刷" in "电动牙刷"); 0 when there is none (at least two characters)."""
    for start in range(len(run) - 1):
        tail = run[start:]
        if tail not in message:
            continue
        for found in re.finditer(re.escape(tail), message):
            before = message[found.start() - 1] if found.start() else ""
            if (
                not _CJK_RUN.fullmatch(before)
                or before in _CJK_FRAMING
                or before in name
                or message[: found.start()].endswith(_CJK_EVALUATIVE)
            ):
                return len(tail)
        return 0  # the longest tail said is described otherwise: a shorter one would be too
    return 0


def _name_score(name: str, message_words: set[str], message: str) -> tuple[int, int]:
    """(evidence, 1 if the name's head is in the message) for one catalog name; (0, 0) when
    the message does not name it, or names its head with a description the name lacks."""
    core = _VARIANT.split(name, maxsplit=1)[0]
    words = list(dict.fromkeys(_words(core)))
    if words:
        shared = sum(w in message_words for w in words)
        head = words[-1] in message_words
        if head and not _head_uncontradicted(words[-1], set(_words(name)), _tokens(message)):
            return 0, 0
        if head or (shared >= 2 and shared * 2 > len(words)):
            return shared, int(head)
    for run in _CJK_RUN.findall(core):
        if length := _cjk_tail(run, name, message):
            return length, 1
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
