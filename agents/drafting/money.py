"""Does a text state an amount of money? ("1,200 EUR", "€12,50", "US$3", "2.10美元", "500元")

Used on learned answers (approved replies kept in ``corpus_entries``): a price a person once
wrote for one customer, one quantity and one day's catalog must not be reused as if it were the
catalog's (agents/drafting/offline.py). A number counts only right next to a currency sign,
code or word, so "500 pcs", "7-10 days" or "SKU-1200" state no money.
"""

from __future__ import annotations

import re

_SIGNS = r"(?:us\$|hk\$|r\$|\$|€|£|¥|￥)"
_WORDS = (
    r"(?:usd|eur|gbp|cny|rmb|jpy|hkd|aud|cad|mxn|brl|dollars?|d[oó]lares|euros?|pounds?|"
    r"libras|pesos|reales|yuan|yen)"
)
_ZH_WORDS = r"(?:美元|美金|欧元|歐元|人民币|人民幣|英镑|日元|港币|港元|元|块|塊)"
_NUMBER = r"\d[\d.,\s]*\d|\d"
_MONEY = re.compile(
    rf"{_SIGNS}\s?(?:{_NUMBER})"  # €12,50  US$ 1,200
    rf"|(?:{_NUMBER})\s?{_SIGNS}"  # 12,50 €
    rf"|(?<![a-z])(?:usd|eur|gbp|cny|rmb|jpy|hkd|mxn)\s?(?:{_NUMBER})"  # EUR 1,200
    rf"|(?:{_NUMBER})\s?{_WORDS}(?![a-z])"  # 1,200 EUR, 3 dólares
    rf"|(?:{_NUMBER})\s?{_ZH_WORDS}",  # 2.10美元, 500元
    re.IGNORECASE,
)


def states_money(text: str | None) -> bool:
    """True when ``text`` names an amount with its currency."""
    return bool(text) and _MONEY.search(text) is not None
