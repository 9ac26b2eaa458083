"""Language of a short message: the script decides when it can, a tiny model otherwise.

Han characters without kana are Chinese, kana is Japanese, Hangul Korean, and so on for the
other non-Latin scripts: on a chat message that is both faster and more reliable than any
statistical guess. Latin-script text goes to a multinomial naive Bayes over character
1–3-grams trained on the corpus languages (en, es, pt, fr). Anything the model is unsure of
("ok", "👍", "123") is ``"und"``, so callers fall back to the conversation's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline

from .signals import URL

UNDETERMINED = "und"
LATIN_LANGUAGES = ("en", "es", "pt", "fr")
MIN_PROBABILITY = 0.55  # below this a Latin guess is "und"

# First match wins; Han is handled separately (kana alongside Han means Japanese).
_SCRIPTS: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("ja", ((0x3040, 0x30FF), (0x31F0, 0x31FF))),
    ("ko", ((0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3130, 0x318F))),
    ("ru", ((0x0400, 0x04FF),)),
    ("ar", ((0x0600, 0x06FF), (0x0750, 0x077F))),
    ("he", ((0x0590, 0x05FF),)),
    ("th", ((0x0E00, 0x0E7F),)),
    ("hi", ((0x0900, 0x097F),)),
    ("el", ((0x0370, 0x03FF),)),
)
_HAN = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
# Short function words that belong to one of the Latin languages only (shared ones such as
# "que", "para", "la" left out). A hit adds FUNCTION_WORD_BONUS to that language's log
# probability: the naive Bayes alone has too few pt/fr rows to be sure on five words.
# fmt: off
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset((
        "the", "and", "is", "are", "you", "your", "my", "i", "it", "this", "that", "what",
        "how", "do", "does", "can", "with", "for", "have", "has", "of", "to", "in", "we",
        "please", "thanks", "thank", "not", "be", "will", "would", "was", "hi", "hello",
        "yes", "get", "just", "there", "they", "our", "from", "when", "where", "why", "want",
        "need", "i'm", "it's", "don't", "bye",
    )),
    "es": frozenset((
        "el", "los", "las", "del", "y", "usted", "ustedes", "gracias", "muy", "están", "es",
        "son", "pero", "hola", "tengo", "tiene", "tienen", "quiero", "puedo", "cuánto",
        "cuándo", "dónde", "qué", "cómo", "porque", "también", "todavía", "ya", "hoy",
        "mañana", "ahora", "buenos", "buenas", "bueno", "envío", "favor", "hay", "esto",
        "eso", "este", "mis", "yo", "nos", "les", "le", "lo", "al", "con", "sin", "una",
        "llegó", "cuesta", "vale", "adiós", "sí", "aquí", "usted", "muchas", "mucho",
    )),
    "pt": frozenset((
        "você", "vocês", "não", "obrigado", "obrigada", "muito", "muita", "estão", "é",
        "são", "mas", "olá", "oi", "tenho", "têm", "posso", "quanto", "onde", "também",
        "ainda", "já", "hoje", "amanhã", "agora", "bom", "boa", "frete", "pra", "pro", "né",
        "meu", "minha", "seu", "sua", "eu", "nós", "ao", "à", "às", "sem", "uma", "um", "do",
        "da", "dos", "das", "no", "na", "nas", "isso", "esse", "essa", "tá", "vou", "chegou",
        "tchau", "valeu", "beleza", "em", "aqui", "muitos", "tem", "pelo", "pela", "qual",
        "o", "umas", "uns", "faço", "preciso", "desculpa", "obrigadão", "vocês", "nao",
    )),
    "fr": frozenset((
        "le", "les", "des", "du", "et", "est", "sont", "vous", "votre", "vos", "je", "j'ai",
        "merci", "bonjour", "salut", "très", "pas", "ne", "mais", "ce", "cette", "ces",
        "pour", "avec", "une", "qui", "quoi", "combien", "quand", "où", "comment",
        "aujourd'hui", "demain", "maintenant", "commande", "livraison", "c'est", "il",
        "elle", "nous", "au", "aux", "ça", "oui", "non", "d'accord", "bonsoir", "s'il",
        "plaît", "suis", "avez", "êtes",
    )),
}
# fmt: on
FUNCTION_WORD_BONUS = 1.5
# Letters only one of the four languages uses (per occurrence, same bonus).
_LETTERS = {"pt": "ãõ", "es": "ñ¿¡", "fr": "èùœëî"}
# Words every language's chat uses: a message of only these has no language of its own.
_NEUTRAL_WORDS = frozenset(("ok", "okay", "k", "kk", "lol", "hmm", "xd", "ups", "wow", "hey"))
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# What no word of the four languages looks like: one letter over and over ("xxxxxxxx"),
# no vowel at all ("zzz", "hmm", "brrr"), a run of six consonants ("asdfghjkl"), or longer
# than any real word. Such tokens say nothing of a language, and 20,000 x's must not outvote
# "hola" (nor, alone, come out as French).
_VOWELS = frozenset("aeiouyáéíóúàèìòùâêîôûãõäëïöüœæ")
_CONSONANT_RUN = re.compile(r"[^\Waeiouyáéíóúàèìòùâêîôûãõäëïöüœæ\d_']{6,}")
_LONGEST_WORD = 25
# Trade acronyms ("OEM", "MOQ", "FOB CIF?"): a message of only short capitals that are
# no function word of any language has no language of its own (the n-grams of "OEM" read as
# Portuguese). "YES", "OUI", "NÃO" are function words and keep theirs; so do two letters ("SI").
_ACRONYM = re.compile(r"[A-Z]{3,5}")
_MOST_ACRONYMS = 3
# "holaaaaa", "sooooo": a stretched letter counts once, else it swamps the n-grams.
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")


def _in(ranges: tuple[tuple[int, int], ...], ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in ranges)


def _is_word(token: str) -> bool:
    """Whether a (lower-case, Latin-script) token could be a word at all. A single letter can
    ("y", "o", "à" are words), the same letter twice or more cannot; a stretched letter
    ("wowwwww") is judged once."""
    if len(token) > 1 and len(set(token) - {"'"}) < 2:
        return False
    token = _STRETCHED.sub(r"\1\1", token)
    return (
        len(token) <= _LONGEST_WORD
        and not _VOWELS.isdisjoint(token)
        and not _CONSONANT_RUN.search(token)
    )


def _words_only(text: str) -> str:
    """``text`` (lower case, Latin script) with its non-words blanked and stretched letters
    shortened."""
    text = _WORD.sub(lambda m: m.group(0) if _is_word(m.group(0)) else " ", text)
    return _STRETCHED.sub(r"\1\1", text)


def _only_acronyms(text: str) -> bool:
    words = _WORD.findall(text)
    return 0 < len(words) <= _MOST_ACRONYMS and all(
        _ACRONYM.fullmatch(w)
        and not any(w.casefold() in found for found in _FUNCTION_WORDS.values())
        for w in words
    )


def _lower(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def script_language(text: str) -> str | None:
    """The language a non-Latin script gives away, "latin" for Latin letters, None if the
    text has no letters at all."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    han = sum(_in(_HAN, ch) for ch in letters)
    for language, ranges in _SCRIPTS:
        count = sum(_in(ranges, ch) for ch in letters)
        # Kana among Han characters is Japanese; other scripts must be half the non-Han text.
        if count and count * 2 >= len(letters) - han:
            return language
    latin = sum("LATIN" in unicodedata.name(ch, "") for ch in letters)
    # "OK好的", "iPhone 15一部": a few Han characters make a mostly Latin string Chinese.
    if han and han * 4 >= latin:
        return "zh"
    return "latin" if latin else None


class LanguageDetector:
    """Script rules, then naive Bayes for Latin script. Train with ``fit(texts, languages)``
    on the corpus (rows of other languages are ignored)."""

    def __init__(self) -> None:
        self.model = Pipeline(
            [
                (
                    "ngrams",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=(1, 3),
                        # Accents kept: "ção", "ñ", "è" are the best clues there are.
                        preprocessor=_lower,
                        sublinear_tf=True,
                        use_idf=False,
                    ),
                ),
                # Uniform prior: English dominates the corpus, not the customers.
                ("nb", MultinomialNB(alpha=0.05, fit_prior=False)),
            ]
        )

    def fit(self, texts: Sequence[str], languages: Sequence[str]) -> LanguageDetector:
        pairs = [
            (t, lang)
            for t, lang in zip(texts, languages, strict=True)
            if lang in LATIN_LANGUAGES and script_language(t) == "latin"
        ]
        self.model.fit([t for t, _ in pairs], [lang for _, lang in pairs])
        return self

    def detect(self, text: str) -> str:
        return self.detect_many([text])[0]

    def detect_many(self, texts: Sequence[str]) -> list[str]:
        # A link's letters say nothing about the writer's language, nor do non-words.
        texts = [URL.sub(" ", t) for t in texts]
        results: list[str] = []
        latin: list[int] = []
        for i, text in enumerate(texts):
            original, script = text, script_language(text)
            if script == "latin":
                texts[i] = text = _words_only(_lower(text))
                script = script_language(text)
            if script == "latin" and (
                set(_WORD.findall(_lower(text))) <= _NEUTRAL_WORDS or _only_acronyms(original)
            ):
                script = None
            results.append(UNDETERMINED if script in (None, "latin") else script)
            if script == "latin":
                latin.append(i)
        if latin:
            log_probs = self.model.predict_log_proba([texts[i] for i in latin])
            classes = [str(c) for c in self.model.classes_]
            for i, row in zip(latin, log_probs, strict=True):
                lowered = _lower(texts[i])
                words = _WORD.findall(lowered)
                bonus = [
                    sum(w in _FUNCTION_WORDS.get(c, ()) for w in words)
                    + sum(lowered.count(ch) for ch in _LETTERS.get(c, ""))
                    for c in classes
                ]
                scores = row + FUNCTION_WORD_BONUS * np.asarray(bonus, dtype=float)
                probabilities = np.exp(scores - scores.max())
                probabilities /= probabilities.sum()
                best = int(np.argmax(probabilities))
                if probabilities[best] >= MIN_PROBABILITY:
                    results[i] = classes[best]
        return results
