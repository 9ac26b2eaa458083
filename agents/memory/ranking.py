"""Relevance of a customer's memories to a message without a model: shared words.

A customer has a handful of memories ("Needs 500 pcs", "Based in Madrid", "Ships to 西班牙").
Ranking five of a dozen is mostly their importance; what relevance adds is noticing that the
message talks about one of them, and plain word overlap does that without an embedding (the
multilingual e5 cosine of two short unrelated texts is ~0.75 and of related ones ~0.9, a weak
signal at this size anyway). The service uses dense recall only beyond a few memories.

Terms: NFKC + case-folded words, accent-folded, minus the retrieval tokenizer's stop words and
a plural ``s`` on long words (so "we need" meets "Needs"); Han text as single characters and
adjacent pairs (no segmenter: memories are short and jieba costs a dictionary load).
"""

from __future__ import annotations

import re
import unicodedata

from ..retrieval.lexical import STOPWORDS, fold_accents

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<word>[^\W_{_HAN}]+)")


def terms(text: str) -> frozenset[str]:
    found: set[str] = set()
    for match in _TOKEN.finditer(unicodedata.normalize("NFKC", text).casefold()):
        han = match.group("han")
        if han:
            found.update(ch for ch in han if ch not in STOPWORDS)
            found.update(han[i : i + 2] for i in range(len(han) - 1))
            continue
        word = fold_accents(match.group("word"))
        if word in STOPWORDS:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.add(word)
    return frozenset(found)


def overlap(query_terms: frozenset[str], content: str) -> float:
    """The share of the memory's terms that the message mentions, 0..1."""
    memory_terms = terms(content)
    if not memory_terms:
        return 0.0
    return len(memory_terms & query_terms) / len(memory_terms)
