"""Hand-made signals of a message: cue-word hits, links, quantities and money.

They feed the category model as extra features (``CueFeatures``) and drive the rules that
fill in the rest of a :class:`~agents.classifier.base.Classification`: sub-intent,
sentiment, urgency and the hot-lead score (see ``rules.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from .corpus import fold
from .lexicon import CUES, RULE_CUES

_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# A link ends at a space, Chinese text or full-width punctuation: in "官网 www.vn-distri.com，
# 想采购一批保温杯" the words after the comma are the customer's, not part of the link.
_URL_CHAR = r"[^\s\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]"
URL = re.compile(
    rf"https?://{_URL_CHAR}+|www\.{_URL_CHAR}+|\b[\w-]+(?:\.[\w-]+)*\."
    r"(?:com|net|org|info|xyz|top|shop|store|club|io|co|biz|online|site|vip|cc|to|bet|ly|cn"
    rf"|es|link|at|me|app|live|pro|fr|br)\b(?:/{_URL_CHAR}*)?",
    re.IGNORECASE,
)
HANDLE = re.compile(r"(?<![\w.])@[A-Za-z0-9_.]{3,}")
PHONE = re.compile(r"\+\d[\d\s-]{7,}\d")
MONEY = re.compile(
    r"[$€£¥₹]\s?\d|\d\s?(?:usd|eur|euros?|dollars?|dólares|dolares|pesos|reais|r\$|yuan|rmb"
    r"|元|块|美元|欧元)|\b(?:usd|eur|r\$)\s?\d",
    re.IGNORECASE,
)
_NUMBER = r"\d[\d,.\s]*\d|\d|[零一二两三四五六七八九十百千万]+"
_NUMBER_WORDS = (
    r"two|three|four|five|six|ten|twenty|fifty|hundred|thousand|dos|tres|cuatro|cinco|seis"
    r"|diez|cien|mil|dois|duas|trois|deux|cinq"
)
_UNITS = (
    r"pcs?|pieces?|units?|sets?|boxes|box|cartons?|pallets?|containers?|kgs?|kilos?|tons?"
    r"|tonnes?|toneladas?|meters?|metros?|bottles?|botellas?|garrafas?|pairs?|pares|dozens?"
    r"|docenas?|unidades?|unidad|piezas?|pecas?|cajas?|juegos?|jars?|frascos?|bags?|bolsas?"
    r"|lots?|chairs?|sillas?|mugs?|tazas?|playeras|camisetas|t-shirts|pieces|lots|kits?"
)
# After a count: not a span of time, an amount of money or a share ("I need 15 minutes",
# "we need 30 days to pay", "want 50% off"), also with up to two words between the count and
# the unit: "we need 10 more days to pay", "15 working days", "10 dias habiles" is no order.
_TIME_QUALIFIERS = (
    r"more|extra|working|business|additional|calendar|further|other|full|whole|habiles|mas"
    r"|adicionales|uteis|de plus|supplementaires"
)
_TIME_UNITS = (
    r"minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|seconds?"
    r"|dias|semanas|meses|anos|horas|minutos|jours|semaines|mois"
)
_NOT_TIME_OR_MONEY = (
    rf"(?!\d)(?!\s*%|\s*(?:(?:{_TIME_QUALIFIERS})\s+){{0,2}}(?:{_TIME_UNITS}|usd|eur|euros?"
    r"|dollars?|dolares|pesos|reais|percent|por ?ciento)\b)"
)
# Someone asking for time, not goods: "we need 10 more days to pay", "necesitamos 15 dias
# habiles", "我们需要15个工作日". The model reads "need 10 ... pay" as an order.
ASKS_FOR_TIME = re.compile(
    r"\b(?:need|needs|needed|want|require|requires|necesito|necesitamos|preciso|precisamos"
    r"|il nous faut|besoin de)\s+(?:another|about|around|some|otros|otras|unos|unas)?\s*"
    rf"\d+\s*(?:(?:{_TIME_QUALIFIERS})\s+){{0,2}}(?:{_TIME_UNITS})\b"
    r"|(?:需要|要|再给|宽限)\s*\d+\s*个?(?:工作日|工作天|天|周|星期|礼拜|个月|月|小时)",
    re.IGNORECASE,
)
QUANTITY = re.compile(
    rf"(?:\b(?:{_NUMBER}|{_NUMBER_WORDS})\s?(?:{_UNITS})\b)"
    # 个 counts goods, except in a span of time ("10个工作日", "3个月", "2个小时").
    rf"|(?:(?:{_NUMBER})\s?(?:个(?!工作|月|小时|钟头|星期|礼拜)|件|台|套|箱|吨|只|双|条|包|盒|把|瓶"
    r"|斤|公斤|米|张|托|柜|打|份|支))"
    rf"|(?:\b(?:i want|i need|we need|quiero|necesito|necesitamos|quero|je voudrais)\s\d{{2,}}"
    rf"{_NOT_TIME_OR_MONEY})",
    re.IGNORECASE,
)
# A buying verb and a count of two digits or more, whatever the goods are called ("need 200
# vacuum flasks", "looking for a supplier of 300 mugs", "necesitamos 150 termos", "I want
# 500"): the unit list cannot name every product.
ORDERED = re.compile(
    r"\b(?:need|needs|needed|want|wants|order|ordering|buy|buying|require|requires|source"
    r"|sourcing|looking for|supplier of|suppliers of|quote for|price for|necesito|necesitamos"
    r"|quiero|queremos|busco|buscamos|compramos|comprar|preciso|precisamos|quero"
    r"|il nous faut|je voudrais|nous voulons|besoin de|besoin d'environ|preciso de|precisamos de"
    r"|hacen falta|hace falta)"
    r"\s+(?:about|around|approx\.?|approximately|roughly|some|at least|unos|unas|cerca de"
    r"|alrededor de|mais de|environ)?\s*\d[\d,.]*\d" + _NOT_TIME_OR_MONEY,
    re.IGNORECASE,
)
_BIG_NUMBER = re.compile(r"\d[\d,.]{2,}|[百千万]")
# Chinese "A-not-A" questions: 支不支持, 能不能, 有没有, 大不大, 是不是. They ask without a
# question particle or mark, and the cue table cannot list every verb and adjective.
A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")


_LATIN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Negation of a sentiment cue: "not worth it", "no lo recomiendo", "不满意" say the opposite
# of their cue word, and "no tengo queja", "you never disappoint", "不差" say nothing bad.
# A negated positive counts as negative; a negated negative does not count (nor does a
# negator that is itself a negative cue, like "never"). Latin: a negator among the two
# tokens before the cue, in the same clause: "No problem, great service" and "no complaints
# but great price" do not negate "great" (a comma, a full stop or a "but" ends the
# negator's reach). Chinese: 不/没 just before it, or before an adverb just before it
# ("不太满意"); a comma between them is not either of those.
# fmt: off
_NEGATORS = frozenset((
    "no", "not", "never", "nunca", "ni", "sin", "jamas", "without", "don't", "doesn't",
    "didn't", "isn't", "wasn't", "won't", "can't", "dont", "doesnt", "didnt", "isnt", "wasnt",
    "cannot", "nao", "pas", "ningun", "ninguna", "ninguno",
))
# fmt: on
# Where a negator's reach ends: punctuation between two words, or a word that turns the
# sentence ("but", "pero", "mais"...). Chinese "但是" needs no entry: 不/没 reach one or two
# characters only.
_CLAUSE_PUNCTUATION = re.compile(r"[,.!?;:，。！？；：、]")
_CLAUSE_WORDS = frozenset(
    ("but", "however", "though", "although", "pero", "sino", "aunque", "mais", "mas")
)
_CJK_NEGATED = re.compile(r"(?:[不没]|[不没][太很够怎是大])$")
_SENTIMENT = ("positive", "negative")


class _CueIndex:
    """All cue terms in three lookups, so one pass over a text finds every cue: whole
    Latin words and phrases (a dict of token tuples), Latin prefixes ("decepcion*"), and
    Chinese terms (substring counts). Well under 0.1 ms per short message."""

    def __init__(self, cues: dict[str, tuple[str, ...]]) -> None:
        self.phrases: dict[tuple[str, ...], list[str]] = {}
        self.prefixes: dict[str, list[tuple[str, str]]] = {}  # first 2 letters -> (prefix, cue)
        cjk: dict[str, list[str]] = {}
        for name, terms in cues.items():
            for term in terms:
                if _CJK_CHAR.search(term):
                    cjk.setdefault(term, []).append(name)
                elif term.endswith("*"):
                    stem = term[:-1]
                    self.prefixes.setdefault(stem[:2], []).append((stem, name))
                else:
                    key = tuple(_LATIN_TOKEN.findall(term))
                    self.phrases.setdefault(key, []).append(name)
        self.longest = max((len(k) for k in self.phrases), default=1)
        self.cjk_terms = cjk

    def count(self, folded: str) -> dict[str, int]:
        hits: dict[str, int] = {}
        matches = list(_LATIN_TOKEN.finditer(folded))
        tokens = [m.group(0) for m in matches]
        clauses = _clause_numbers(folded, matches)
        for i, token in enumerate(tokens):
            negator = next(
                (
                    tokens[j]
                    for j in range(max(0, i - 2), i)
                    if tokens[j] in _NEGATORS and clauses[j] == clauses[i]
                ),
                None,
            )
            for size in range(1, min(self.longest, len(tokens) - i) + 1):
                for name in self.phrases.get(tuple(tokens[i : i + size]), ()):
                    _add(hits, name, negator)
            for stem, name in self.prefixes.get(token[:2], ()):
                if token.startswith(stem):
                    _add(hits, name, negator)
        if _CJK_CHAR.search(folded):
            # Substring counts, overlapping on purpose: "发货了吗" is both an order-status
            # phrase and a question ("吗").
            for term, names in self.cjk_terms.items():
                start = folded.find(term)
                while start >= 0:
                    negated = bool(_CJK_NEGATED.search(folded[max(0, start - 2) : start]))
                    for name in names:
                        _add(hits, name, "不" if negated else None)
                    start = folded.find(term, start + 1)
        return hits


def _clause_numbers(folded: str, matches: list[re.Match[str]]) -> list[int]:
    """For each token, the number of its clause: a new clause starts after punctuation
    between two tokens or at a turning word ("but", "pero")."""
    numbers: list[int] = []
    clause, end = 0, 0
    for match in matches:
        if (
            _CLAUSE_PUNCTUATION.search(folded, end, match.start())
            or match.group(0) in _CLAUSE_WORDS
        ):
            clause += 1
        numbers.append(clause)
        end = match.end()
    return numbers


def _add(hits: dict[str, int], name: str, negator: str | None) -> None:
    if negator is None or name not in _SENTIMENT:
        hits[name] = hits.get(name, 0) + 1
    elif name == "positive":
        hits["negative"] = hits.get("negative", 0) + 1
    elif negator in _NEGATIVE_NEGATORS and hits.get("negative"):
        hits["negative"] -= 1  # "never disappoints": the "never" counted a moment ago


_INDEX = _CueIndex({**CUES, **RULE_CUES})
_NEGATIVE_NEGATORS = frozenset(t for t in _NEGATORS if _INDEX.count(t).get("negative"))
# The model's cue columns; RULE_CUES are counted too, but only the rules read them.
CUE_NAMES: tuple[str, ...] = tuple(CUES)
SHAPE_NAMES: tuple[str, ...] = (
    "url",
    "handle",
    "phone",
    "quantity",
    "big_quantity",
    "money",
    "question_mark",
    "exclamations",
    "shouting",
    "short",
    "no_letters",
)


@dataclass(frozen=True)
class Signals:
    """What the cue tables and patterns found in one text."""

    cues: dict[str, int] = field(default_factory=dict)  # cue name -> number of hits
    shape: dict[str, bool] = field(default_factory=dict)

    def has(self, *names: str) -> bool:
        return any(self.cues.get(n) or self.shape.get(n) for n in names)

    def count(self, name: str) -> int:
        return self.cues.get(name, 0)


@lru_cache(maxsize=4096)
def signals(text: str) -> Signals:
    """Cue hits and shape flags of ``text`` (cached: the model and the rules both ask)."""
    folded = fold(text)
    stripped = URL.sub(" ", folded)  # words inside a link are not the customer's words
    cues = _INDEX.count(stripped)
    asked = len(A_NOT_A.findall(stripped))
    if asked:
        cues["question_word"] = cues.get("question_word", 0) + asked
    if ORDERED.search(stripped):
        # Read by the rules only: as a model column it would make "buy 10,000 followers"
        # look like an order to the model (and change its input width, see RULE_CUES).
        cues["ordered"] = 1
    if ASKS_FOR_TIME.search(stripped):
        cues["asks_for_time"] = 1  # read by the rules only, like "ordered"
    quantity = QUANTITY.search(stripped)
    letters = [ch for ch in text if ch.isalpha()]
    upper = sum(ch.isupper() for ch in letters)
    shape = {
        "url": bool(URL.search(folded)),
        "handle": bool(HANDLE.search(text)),
        "phone": bool(PHONE.search(text)),
        "quantity": quantity is not None,
        "big_quantity": bool(quantity and _BIG_NUMBER.search(quantity.group(0))),
        "money": bool(MONEY.search(folded)),
        "question_mark": "?" in text or "？" in text,
        "exclamations": text.count("!") + text.count("！") >= 2,
        "shouting": len(letters) >= 8 and upper / len(letters) > 0.6,
        "short": len(stripped.split()) <= 2 and len(_CJK_CHAR.findall(text)) <= 4,
        "no_letters": not letters,
    }
    return Signals(cues, shape)


class CueFeatures(BaseEstimator, TransformerMixin):
    """sklearn transformer: one column per cue (hits, capped at 2, scaled 0..1) and per
    shape flag. Stateless; ``fit`` only exists for the pipeline."""

    def fit(self, texts, y=None):
        return self

    def transform(self, texts) -> sparse.csr_matrix:
        data = np.zeros((len(texts), len(CUE_NAMES) + len(SHAPE_NAMES)), dtype=np.float64)
        for i, text in enumerate(texts):
            found = signals(text)
            for j, name in enumerate(CUE_NAMES):
                data[i, j] = min(found.cues.get(name, 0), 2) / 2
            for j, name in enumerate(SHAPE_NAMES, len(CUE_NAMES)):
                data[i, j] = float(found.shape[name])
        return sparse.csr_matrix(data)

    def get_feature_names_out(self, input_features=None):
        return np.array([f"cue:{n}" for n in CUE_NAMES] + [f"shape:{n}" for n in SHAPE_NAMES])
