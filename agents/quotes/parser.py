"""The offline item parser: explicit quantity forms in English, Chinese and Spanish.

Understood, one item per comma/semicolon/"and" separated part:

* ``500 x SKU-1``, ``500x SKU-1``, ``SKU-1 x 500``
* ``500 pcs of steel bottle``, ``500 pieces steel bottle``, ``500 units of ...``
* ``500个保温杯``, ``保温杯 500件``, ``500 套 ...``
* ``500 unidades de botella``, ``500 piezas de ...``
* quantities in words before a unit: ``五百个``, ``quinientas unidades``, ``five hundred pcs``
* in a staff's request, a bare quantity before a catalog product: ``500 bottles``

plus a currency (``USD``, ``EUR``, ``RMB``, ``美元``, ``euros``...) and an Incoterm with an
optional place (``FOB Ningbo``) anywhere in the text. Products are matched by SKU first, then
by the longest name, English name or keyword found in the part; a part that names no catalog
product becomes an unknown item (priced by nobody, flagged on the quote).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from storage.repositories.products import Product

from .numbers import WORDS_NUMERAL, ZH_NUMERAL, digits_before, word_number, zh_number

INCOTERMS = ("EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP")
CURRENCY_WORDS = {
    "usd": "USD",
    "us$": "USD",
    "dollars": "USD",
    "dólares": "USD",
    "美元": "USD",
    "美金": "USD",
    "eur": "EUR",
    "euros": "EUR",
    "欧元": "EUR",
    "cny": "CNY",
    "rmb": "CNY",
    "人民币": "CNY",
    "gbp": "GBP",
    "jpy": "JPY",
    "hkd": "HKD",
    "aud": "AUD",
    "cad": "CAD",
    "mxn": "MXN",
    "brl": "BRL",
    "pesos": "MXN",
    "reales": "BRL",
    "pounds": "GBP",
    "libras": "GBP",
    "yuan": "CNY",
    "yen": "JPY",
    "英镑": "GBP",
    "日元": "JPY",
    "港币": "HKD",
    "港元": "HKD",
}
# Currency signs, read when no currency word is ("500 x SKU-1 in €", "报价用￥").
CURRENCY_SIGNS = {"us$": "USD", "hk$": "HKD", "r$": "BRL", "€": "EUR", "£": "GBP", "¥": "CNY",
                  "￥": "CNY", "$": "USD"}  # fmt: skip
_SIGN = re.compile("|".join(re.escape(s) for s in CURRENCY_SIGNS), re.I)
_CURRENCY = re.compile(
    r"(?<![\w$])(" + "|".join(re.escape(w) for w in CURRENCY_WORDS) + r")(?![\w$])", re.I
)
# The rule in any case ("fob"), also right against Chinese text ("FOB宁波"); its named
# place when capitalised ("FOB Ningbo") or a Chinese place name of 2-4 characters ending the
# clause ("CIF 上海", "FOB宁波港"), never a word like 价格 ("FOB价格" is "the FOB price").
_INCOTERM = re.compile(
    r"(?i:(?<![A-Za-z])(" + "|".join(INCOTERMS) + r")(?![A-Za-z]))"
    r"(?:\s+(?!(?i:" + "|".join(INCOTERMS) + r")\b)([A-Z][A-Za-z]+(?:\s[A-Z][a-z]+)?)"
    r"|\s*((?:(?![价报的和要])[\u4e00-\u9fff]){2,4}?港?)(?=$|[\s，,。；;！!？?]))?"
)
_QTY = r"(?P<qty>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
_EN_UNITS = r"pcs|pc|pieces?|units?|sets?|boxes|box|cartons?|pairs?|rolls?|bags?|kgs?|meters?"
_ES_UNITS = r"unidades|unidad|uds?|piezas?|cajas?|juegos?|pares|par|rollos?|bolsas?|kilos?"
_ZH_UNITS = r"个|件|只|套|台|箱|双|条|张|把|支|瓶|包|米|公斤|千克|卷|盒"
_FORMS = (
    re.compile(_QTY + r"\s*[x×*]\s*(?P<ref>.+)", re.I),
    re.compile(r"(?P<ref>.+?)\s*[x×*]\s*" + _QTY + r"\s*$", re.I),
    re.compile(_QTY + r"\s*(?P<unit>" + _EN_UNITS + r")\.?\s+(?:of\s+)?(?P<ref>.+)", re.I),
    re.compile(_QTY + r"\s*(?P<unit>" + _ES_UNITS + r")\.?\s+(?:de\s+)?(?P<ref>.+)", re.I),
    re.compile(_QTY + r"\s*(?P<unit>" + _ZH_UNITS + r")\s*(?:的\s*)?(?P<ref>.+)"),
    re.compile(r"(?P<ref>.+?)\s*" + _QTY + r"\s*(?P<unit>" + _ZH_UNITS + r")\s*$"),
)
_DOT_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_MEASURES = re.compile(r"kgs?|meters?|kilos?|米|公斤|千克", re.I)
# Quantities in words, only right before a unit or an "x" (see numbers.py).
_BEFORE_WORD_UNIT = r"\s*(?:[x×*]\s|(?:" + _EN_UNITS + "|" + _ES_UNITS + r")\b)"
_BEFORE_ZH_UNIT = r"\s*(?:" + _ZH_UNITS + ")"
# A bare quantity before a product ("500 bottles", "500 botellas", "500保温杯"): only in a
# staff's quote request, and only when the rest names a catalog product. Not a measure
# ("500 ml bottle" is a size, not 500 bottles).
_BARE = re.compile(
    _QTY + r"(?:\s+(?!(?:ml|l|g|cm|mm|oz|lbs?|gsm|w|v)\b)|(?=[\u4e00-\u9fff]))(?P<ref>.+)", re.I
)
# A comma splits items unless it groups thousands (1,000 x SKU-1).
_SPLIT = re.compile(r"(?<!\d),|,(?!\d{3}(?!\d))|[;\n，；、。]|\s+and\s+|\s+y\s+|和|以及|还有")
_TRAILING = re.compile(r"\s+(?:en|in|de|por|for|at|a)$", re.I)
_NOISE = re.compile(
    r"^(?:please\s+)?(?:quote(?:\s+me)?|we\s+(?:need|want)|i\s+(?:need|want)|"
    r"(?:could|can)\s+you\s+quote|price\s+for|necesito|quiero|cotizaci[oó]n\s+(?:de|para)|"
    r"我们?(?:要|需要|想要)|请报价|报价)\s*[:：]?\s*",
    re.I,
)
_UNIT_NAMES = {"pc": "pcs", "piece": "pcs", "pieces": "pcs", "unit": "pcs", "units": "pcs"}


@dataclass(frozen=True)
class RequestedItem:
    description: str
    quantity: Decimal
    unit: str | None = None
    product: Product | None = None


@dataclass
class ParsedRequest:
    items: list[RequestedItem] = field(default_factory=list)
    currency: str | None = None
    incoterm: str | None = None
    incoterm_place: str | None = None
    # Questions or problems found while reading the request (shown to staff).
    notes: list[str] = field(default_factory=list)

    @property
    def matched(self) -> list[RequestedItem]:
        return [item for item in self.items if item.product is not None]


def parse_request(
    text: str, products: Sequence[Product], *, bare_quantities: bool = True
) -> ParsedRequest:
    """Items, currency and Incoterm stated in ``text`` (see the module docstring).

    ``bare_quantities``: also read "500 bottles" (a number, then a catalog product, no
    unit). Staff asking for a quote mean it; a customer's message is only quoted on the
    explicit forms (``agents.quotes.intent``), so "I got 2 bottles broken" drafts no quote."""
    request = ParsedRequest()
    rest = spelled_quantities(text)
    if found := _INCOTERM.search(rest):
        request.incoterm = found.group(1).upper()
        place = found.group(2) or found.group(3)
        end = found.end(1)
        if place and place.split()[0].lower() not in CURRENCY_WORDS:
            request.incoterm_place = place
            end = found.end()
        rest = rest[: found.start()] + " " + rest[end:]
    if found := _CURRENCY.search(rest):
        request.currency = CURRENCY_WORDS[found.group(1).lower()]
        rest = rest[: found.start()] + " " + rest[found.end() :]
    elif found := _SIGN.search(rest):
        request.currency = CURRENCY_SIGNS[found.group(0).lower()]
        rest = rest[: found.start()] + " " + rest[found.end() :]
    for part in _SPLIT.split(rest):
        item = _item(part.strip(), products, bare_quantities)
        if item is not None:
            request.items.append(item)
    return request


def spelled_quantities(text: str) -> str:
    """``text`` with quantities in words written in digits ("五百个" → "500个")."""
    text = digits_before(text, ZH_NUMERAL, _BEFORE_ZH_UNIT, zh_number)
    return digits_before(text, WORDS_NUMERAL, _BEFORE_WORD_UNIT, word_number)


def _item(part: str, products: Sequence[Product], bare: bool = False) -> RequestedItem | None:
    part = _NOISE.sub("", part).strip(" .?!:：？！")
    if not part:
        return None
    for form in _FORMS:
        found = form.fullmatch(part)
        if found is None:
            continue
        quantity = _count(found.group("qty"), found.groupdict().get("unit"))
        ref = _TRAILING.sub("", _NOISE.sub("", found.group("ref")).strip(" .?!:：？！"))
        if quantity is None or quantity <= 0 or not ref:
            return None
        unit = found.groupdict().get("unit")
        unit = _UNIT_NAMES.get(unit.lower(), unit) if unit else None
        return RequestedItem(ref, quantity, unit, match_product(ref, products))
    if bare and (found := _BARE.fullmatch(part)):
        quantity = _count(found.group("qty"), None)
        ref = _TRAILING.sub("", found.group("ref").strip(" .?!:：？！"))
        product = match_product(ref, products) if ref else None
        if quantity and quantity > 0 and product is not None:
            return RequestedItem(ref, quantity, None, product)
    return None


def _count(text: str, unit: str | None) -> Decimal | None:
    """The quantity ``text`` states. "1.000 unidades", "10.000 pcs": a thousand pieces, as
    much of Europe and Latin America writes it (pieces don't come in thousandths); a measure
    keeps its decimals ("1.500 kg" is 1.5)."""
    if _DOT_THOUSANDS.fullmatch(text) and not (unit and _MEASURES.fullmatch(unit)):
        text = text.replace(".", "")
    return _quantity(text)


def _quantity(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def match_product(ref: str, products: Sequence[Product]) -> Product | None:
    """The catalog product ``ref`` names: an exact SKU, else the longest name/keyword in it,
    else the only product whose name contains all of ``ref``."""
    needle = ref.lower()
    for product in products:
        if product.sku.lower() == needle or re.search(
            r"(?<![\w-])" + re.escape(product.sku.lower()) + r"(?![\w-])", needle
        ):
            return product
    best: tuple[int, Product] | None = None
    for product in products:
        for name in (product.name, product.name_en or "", *product.keywords):
            name = name.lower().strip()
            if len(name) >= 2 and name in needle and (best is None or len(name) > best[0]):
                best = (len(name), product)
    if best:
        return best[1]
    return _named_in_one(needle, products)


def _named_in_one(needle: str, products: Sequence[Product]) -> Product | None:
    """The one product whose name holds the whole reference ("保温杯" in "不锈钢保温杯
    500ml", "bottles" in "Steel Vacuum Bottle"); None when none or several do (a guess
    between products would price the wrong thing)."""
    needle = needle.strip()
    forms = {needle, re.sub(r"(?<=[a-z])(?:es|s)$", "", needle), re.sub(r"s$", "", needle)}
    forms = {f for f in forms if len(f) >= (2 if re.search(r"[\u4e00-\u9fff]", f) else 3)}
    if not forms:
        return None
    hits = {
        product.id: product
        for product in products
        for name in (product.name, product.name_en or "")
        if any(form in name.lower() for form in forms)
    }
    return next(iter(hits.values())) if len(hits) == 1 else None
