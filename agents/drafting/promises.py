"""What an LLM draft may not state unless its sources do: money-free promises and which of a
customer's remembered numbers it may repeat.

The draft's money check (agents/drafting/llm.py) compares numbers, so it cannot see "free
shipping", "half price", "ten percent off", "envío gratis", "包邮" or "打九折": promises with no
amount. :func:`promises` names the kinds of promise a text makes; a draft making a kind its
sources (FAQ, chunks, catalog) never make was talked into it, or made it up.

:func:`quantities` is the other half of that check: from a customer's memories only counted
amounts ("Needs 500 pcs", "300 cajas") are facts the draft may repeat. A bare number there
("Was quoted 0.10 per bottle") is the customer's claim, never a price we may state.
"""

from __future__ import annotations

import re

# Free delivery in every wording we serve. Matched first and blanked out, so "envío gratis"
# is a shipping promise only, not also a "free" one.
_SHIPPING = re.compile(
    r"\bfree (?:shipping|delivery|freight)\b|\bships? (?:for )?free\b"
    r"|\b(?:shipping|delivery) (?:is |is always |will be )?free\b"
    r"|\b(?:env[ií]o|entrega|despacho|frete|livraison|port) (?:gratis|gratuit[oae]?|gr[aá]tis)"
    r"|\bsin (?:costo|cargo|gastos) de env[ií]o|包邮|免运费|免邮|运费全免",
    re.IGNORECASE,
)
# Something given away.
_FREE = re.compile(
    r"\bfree (?:of charge|samples?|gifts?|units?|pieces?|pcs)\b|\bfor free\b"
    r"|\bat no (?:extra )?(?:cost|charge)\b|\bno charge\b|\bcomplimentary\b"
    r"|\bgratis\b|\bgratuit[oae]?s?\b|\bgr[aá]tis\b|\bsin (?:costo|cargo)\b|免费|赠送",
    re.IGNORECASE,
)
# A lower price: words, "percent off" spelled out, fractions, and Chinese 折 ("打九折" = 10%
# off, "八五折" = 15% off). Amounts with digits ("10% off") are also the money check's.
_DISCOUNT = re.compile(
    r"\bdiscount(?:s|ed)?\b|\bhalf[- ](?:price|off)\b|\b(?:percent|per cent|%) off\b"
    r"|\b(?:dollars?|euros?|bucks) off\b|\b(?:on sale|price cut|markdown|rebate)\b"
    r"|\bdescuentos?\b|\brebajas?\b|\bmitad de precio\b|\bmedio precio\b|\bpor ciento\b"
    r"|\bdescontos?\b|\bremises?\b|\brabais\b|\bpour cent\b"
    r"|折扣|优惠|打折|半价|减价|降价|[一二三四五六七八九十\d]{1,3}\s?折(?!叠)",
    re.IGNORECASE,
)

# A counted amount: a number right before a unit of goods (English, Spanish, Portuguese,
# French, Chinese). "0.10 per bottle" is no quantity: "per" stands between.
_QUANTITY = re.compile(
    r"(\d+(?:[.,]\d+)*)\s?(?:"
    r"(?:pcs?|pieces?|units?|items?|boxes|box|cartons?|ctns?|bottles?|pairs?|sets?|dozens?"
    r"|bags?|rolls?|pallets?|containers?|kgs?|kilos?|kilograms?|tons?|tonnes?|lbs?"
    r"|meters?|metres?|m|cans?|packs?|cases?|sheets?"
    r"|unidades|unidad|cajas?|piezas?|botellas?|pares|juegos|bolsas|rollos|kilos"
    r"|peças|caixas|garrafas|unités|pièces|bouteilles|cartons)(?![a-zà-ÿ])"
    r"|个|件|箱|只|套|瓶|双|包|吨|公斤|千克|米)",
    re.IGNORECASE,
)


def promises(text: str) -> set[str]:
    """The kinds of promise ``text`` makes: "free_shipping", "free", "discount"."""
    found: set[str] = set()
    if _SHIPPING.search(text):
        found.add("free_shipping")
        text = _SHIPPING.sub(" ", text)
    if _FREE.search(text):
        found.add("free")
    if _DISCOUNT.search(text):
        found.add("discount")
    return found


def quantities(text: str) -> list[str]:
    """The numbers of ``text`` that count goods ("500 pcs" gives "500")."""
    return _QUANTITY.findall(text)
