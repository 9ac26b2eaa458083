"""The sparse lexical encoder: words → hashed term indices with term-frequency weights.

One tokenizer serves every language the merchants write in, without guessing the language first
(a guess on a five-word message is often wrong, and the document side and the query side must
tokenize the same way):

* text is NFKC-normalised (full-width forms, ligatures) and case-folded;
* runs of Han characters are segmented by jieba into words, and every pair of adjacent Han
  characters is added as a bigram term too — segmentation of a short query and of a long FAQ
  often disagree ("转账" vs "转账失败"), and bigrams still match where the words do not;
* everything else is split into letter/digit words, accent-folded ("transferência" and
  "transferencia" are one term) and filtered through a small English + Spanish stop-word list;
  words longer than four letters lose a plural "s" ("transfers" / "transfer", "tarjetas" /
  "tarjeta").

Terms become indices through an unkeyed 31-bit BLAKE2b hash — stable across processes and
machines, unlike ``hash()`` which is salted per process — so documents indexed by one process
match queries encoded by another. Documents carry BM25-saturated term frequencies; queries carry
binary weights. Qdrant multiplies both by IDF (the collection's ``Modifier.IDF``), which makes the
score a BM25 variant.

Measured with ``bench/retrieval.py --tune`` (dev split, lexical-only hit@3 / MRR): BM25
saturation beats raw counts on English (0.697/0.621 vs 0.684/0.584); jieba words and Han bigrams
each add MRR on Chinese (0.608 with both, 0.583 without jieba words, 0.550 without bigrams —
30 queries, so a weak signal); the plural strip helps Spanish (0.633 vs 0.600) and leaves English
level. Hybrid results move by less than a point with any of them: on paraphrase questions the
dense vector carries retrieval, and the lexical vector earns its place on exact words — product
names, codes, places — that a small embedding model blurs.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable

from storage.vectors import SparseVector

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A Han run, or a run of letters/digits that are not Han (so "pin码" splits into "pin" + "码").
_TOKEN = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<word>[^\W_{_HAN}]+)")
_INDEX_MASK = 0x7FFF_FFFF  # 31 bits: a valid index for Qdrant (u32) and for any int32 consumer

_STOP_EN = (
    "a an and are as at be been but by can could did do does doing for from had has have how i "
    "i'm if in into is it its me my of on or our so than that the their them then there these "
    "they this to was we were what when where which who why will with would you your"
)
_STOP_ES = (
    "a al algo como con cual de del el ella en es esta este esto fue ha hay la las le les lo los "
    "me mi mis muy no nos o para pero por que se si sin su sus te tu un una uno unos y ya yo"
)
_STOP_ZH = (
    "的 了 吗 呢 吧 啊 呀 我 你 您 他 她 是 在 和 与 就 都 也 还 这 那 个 么 请 要 想 能 "
    "可以 怎么 什么"
)
STOPWORDS = frozenset(
    unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode()
    for w in f"{_STOP_EN} {_STOP_ES}".split()
) | frozenset(_STOP_ZH.split())

_logger = logging.getLogger(__name__)


def term_index(term: str) -> int:
    """The stable sparse index of ``term`` (31-bit BLAKE2b; identical in every process)."""
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & _INDEX_MASK


def fold_accents(word: str) -> str:
    """``"transferência"`` → ``"transferencia"``: drop combining marks after decomposition."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class LexicalEncoder:
    """Text → :class:`SparseVector` for the ``lexical`` vector (implements ``SparseEncoder``).

    ``han_bigrams`` adds adjacent Han character pairs besides jieba's words; ``stem`` strips a
    plural ``s`` from long Latin-script words; ``k1``/``b``/``avg_terms`` are the BM25
    saturation applied to document term frequencies (``k1=None`` keeps raw counts). The
    defaults are the measured best; the switches exist for the benchmark.

    Thread-safe: the only shared state is jieba's dictionary, loaded once under a lock.
    """

    def __init__(
        self,
        *,
        han_bigrams: bool = True,
        han_words: bool = True,
        stem: bool = True,
        k1: float | None = 1.2,
        b: float = 0.75,
        avg_terms: float = 12.0,
    ) -> None:
        self.han_bigrams = han_bigrams
        self.han_words = han_words
        self.stem = stem
        self.k1, self.b, self.avg_terms = k1, b, avg_terms
        self._jieba = None
        self._jieba_lock = threading.Lock()

    # -- the SparseEncoder contract ---------------------------------------------------------

    def encode_document(self, text: str) -> SparseVector:
        """Term frequencies (BM25-saturated by document length) of ``text``'s terms."""
        counts = Counter(term_index(t) for t in self.tokens(text))
        length = sum(counts.values())
        indices = sorted(counts)
        return SparseVector(indices, [self._weight(counts[i], length) for i in indices])

    def encode_query(self, text: str) -> SparseVector:
        """Binary weights: a word repeated in a short question is rarely meant twice as much."""
        indices = sorted({term_index(t) for t in self.tokens(text)})
        return SparseVector(indices, [1.0] * len(indices))

    def load(self) -> None:
        """Load jieba's dictionary now (~1 s, blocking) rather than on the first Chinese text."""
        if self.han_words and self._jieba is None:
            self._load_jieba()

    # -- tokenization --------------------------------------------------------------------------

    def tokens(self, text: str) -> list[str]:
        """The terms of ``text`` in order (with repeats), before hashing."""
        normalized = unicodedata.normalize("NFKC", text).casefold()
        terms: list[str] = []
        for match in _TOKEN.finditer(normalized):
            han = match.group("han")
            if han:
                terms.extend(self._han_terms(han))
            else:
                terms.extend(self._word_terms(match.group("word")))
        return terms

    def _word_terms(self, word: str) -> Iterable[str]:
        folded = fold_accents(word)
        if folded in STOPWORDS:
            return ()
        if self.stem and len(folded) > 4 and folded.endswith("s") and not folded.endswith("ss"):
            folded = folded[:-1]
        return (folded,)

    def _han_terms(self, run: str) -> list[str]:
        terms: list[str] = []
        if self.han_words:
            terms.extend(w for w in self._segment(run) if w not in STOPWORDS)
        if self.han_bigrams and len(run) > 1:
            # A separate namespace: the bigram "转账" and the word "转账" are different evidence.
            terms.extend("\u2016" + run[i : i + 2] for i in range(len(run) - 1))
        elif not terms:  # a single character that is not a stop word still counts
            terms.extend(ch for ch in run if ch not in STOPWORDS)
        return terms

    def _segment(self, run: str) -> list[str]:
        if self._jieba is None:
            self._load_jieba()
        return [w for w in self._jieba.lcut(run, HMM=True) if w.strip()]

    def _load_jieba(self) -> None:
        with self._jieba_lock:
            if self._jieba is not None:
                return
            import jieba  # deferred: its dictionary takes ~1 s to load, and only Chinese needs it

            jieba.setLogLevel(logging.WARNING)
            # Our own Tokenizer, not jieba's global one: another module calling jieba.add_word
            # must not change how our index was built.
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            self._jieba = tokenizer
            _logger.debug("jieba dictionary loaded for the lexical encoder")

    def _weight(self, tf: int, length: int) -> float:
        if self.k1 is None:
            return float(tf)
        norm = 1.0 - self.b + self.b * length / self.avg_terms
        return tf * (self.k1 + 1.0) / (tf + self.k1 * norm)
