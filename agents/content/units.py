"""Sales units in the copy's language: "50 pairs", "pro Paar", "每盒 18.00 EUR".

The catalog keeps the unit as the merchant typed it (``pcs`` by default, ``pair``, ``ctn``,
``盒``...). The common ones are known in every studio language, with their plural; any other
unit is shown as written, because a guessed plural or translation is wrong more often than
an untranslated unit is unclear. Only the unit word changes: counts and prices stay exactly
the catalog's.
"""

from __future__ import annotations

# canonical unit -> language -> (singular, plural)
_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "pcs": {
        "en": ("piece", "pieces"),
        "es": ("pieza", "piezas"),
        "pt": ("peça", "peças"),
        "de": ("Stück", "Stück"),
        "zh": ("件", "件"),
    },
    "pair": {
        "en": ("pair", "pairs"),
        "es": ("par", "pares"),
        "pt": ("par", "pares"),
        "de": ("Paar", "Paar"),
        "zh": ("双", "双"),
    },
    "set": {
        "en": ("set", "sets"),
        "es": ("juego", "juegos"),
        "pt": ("conjunto", "conjuntos"),
        "de": ("Set", "Sets"),
        "zh": ("套", "套"),
    },
    "box": {
        "en": ("box", "boxes"),
        "es": ("caja", "cajas"),
        "pt": ("caixa", "caixas"),
        "de": ("Box", "Boxen"),
        "zh": ("盒", "盒"),
    },
    # The shipping carton: "caja/caixa master" in Latin American and Brazilian trade, so it
    # is not read as the retail box.
    "carton": {
        "en": ("carton", "cartons"),
        "es": ("caja master", "cajas master"),
        "pt": ("caixa master", "caixas master"),
        "de": ("Karton", "Kartons"),
        "zh": ("箱", "箱"),
    },
    # Symbols have no plural; Chinese copy says 公斤 / 米 per unit ("每公斤").
    "kg": {lang: ("kg", "kg") for lang in ("en", "es", "pt", "de")} | {"zh": ("公斤", "公斤")},
    "m": {lang: ("m", "m") for lang in ("en", "es", "pt", "de")} | {"zh": ("米", "米")},
}

_ALIASES: dict[str, str] = {
    alias: unit
    for unit, aliases in {
        "pcs": ("pcs", "pc", "pce", "piece", "pieces", "件", "个", "個"),
        "pair": ("pair", "pairs", "双", "雙"),
        "set": ("set", "sets", "套"),
        "box": ("box", "boxes", "bx", "盒"),
        "carton": ("carton", "cartons", "ctn", "ctns", "箱"),
        "kg": ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "公斤", "千克"),
        "m": ("m", "meter", "meters", "metre", "metres", "米"),
    }.items()
    for alias in aliases
}


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def unit_word(unit: str, language: str, count: int = 1) -> str:
    """The unit's word in ``language`` for ``count`` of it (singular for "per ...")."""
    raw = unit.strip()
    if language == "zh" and _is_cjk(raw):
        return raw  # the merchant's own measure word (个, 只, 卷...) is kept
    words = _WORDS.get(_ALIASES.get(raw.casefold(), ""), {}).get(language)
    if words is None:
        return raw
    return words[0] if count == 1 else words[1]


def quantity(count: int, unit: str, language: str) -> str:
    """ "50 pairs", "50 Paar", "50双": Chinese writes a measure word right after the number,
    a Latin unit (an untranslated one) after a space."""
    word = unit_word(unit, language, count)
    if language == "zh" and _is_cjk(word):
        return f"{count}{word}"
    return f"{count} {word}"
