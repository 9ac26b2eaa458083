"""Reading a customer's message for a keyword (STOP, 退订, START, alta) or a phrase.

Shared by opt-out (optout.py) and opt-in (optin.py) so both read text the same way and their
length limits stay in step. Two kinds of match, trusted differently:

- a **whole-message keyword**: the message, courtesy words aside ("STOP please", "退订 谢谢"),
  is one of the keywords — unambiguous, the carrier convention;
- a **phrase** inside a *short* message ("please stop sending me messages", "请不要再联系我"):
  likely but not certain, so callers let a person see the message as well.

A phrase is never looked for in a long message: there "stop sending these…" is more likely
about goods than about our messages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass

# A phrase counts only in a message this short (words, and characters for CJK text).
SHORT_WORDS = 10
SHORT_CHARS = 60
SHORT_CJK_CHARS = 20

# Courtesy words around a keyword ("STOP please", "BAJA por favor", "请停止"): stripped
# before the whole-message match, so the keyword lists need no polite variants.
COURTESY = re.compile(
    r"^(?:(?:please|pls|plz|por favor|请|麻烦)\s*)+|(?:\s*(?:please|pls|plz|thanks|thank you|"
    r"por favor|gracias|谢谢|謝謝|now|ya))+$"
)

_APOSTROPHES = re.compile(r"['’‘`]")
_PUNCT = re.compile(r"[\s\.\!\?。！？,，;；:：\"“”()（）\[\]【】~～…-]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Match:
    keyword: str  # the keyword, or the words of the message the phrase matched
    whole_message: bool  # True: the message is the keyword; False: a phrase in a short message


def normalize(text: str) -> str:
    """Lower case, accents stripped (más → mas), full-width folded, punctuation trimmed."""
    folded = unicodedata.normalize("NFKC", text).lower()
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch)
    )
    # NFKD splits some CJK compatibility forms; recompose what remains.
    stripped = unicodedata.normalize("NFKC", stripped)
    return " ".join(_PUNCT.sub(" ", _APOSTROPHES.sub("", stripped)).split())


def phrases(*patterns: str) -> tuple[re.Pattern[str], ...]:
    """Compile phrase patterns (over normalized text). A latin pattern matches whole words
    only ("stop messaging me" not inside "stop messaging meg"); a CJK one anywhere."""
    compiled = []
    for pattern in patterns:
        if pattern.isascii():
            pattern = rf"(?<![a-z0-9])(?:{pattern})(?![a-z0-9])"
        compiled.append(re.compile(pattern))
    return tuple(compiled)


def is_short(norm: str) -> bool:
    """Short enough for a phrase to be read as being about our messages."""
    if len(norm.split()) > SHORT_WORDS or len(norm) > SHORT_CHARS:
        return False
    return not _CJK.search(norm) or len(norm.replace(" ", "")) <= SHORT_CJK_CHARS


def find(
    text: str | None,
    keywords: Collection[str],
    patterns: Iterable[re.Pattern[str]],
    *,
    unless: re.Pattern[str] | None = None,
) -> Match | None:
    """The whole-message keyword of ``text``, else the first phrase it contains when short;
    ``unless`` (when it matches the message) rules phrases out, never a whole keyword."""
    if not text:
        return None
    norm = normalize(text)
    if not norm:
        return None
    bare = COURTESY.sub("", norm).strip()
    for candidate in (norm, bare):
        if candidate in keywords or candidate.replace(" ", "") in keywords:
            return Match(candidate, whole_message=True)
    if not is_short(norm) or (unless is not None and unless.search(norm)):
        return None
    for pattern in patterns:
        # The bare text too, so a phrase anchored at the end ("…opt out$") allows "thanks".
        for candidate in (norm, bare):
            found = pattern.search(candidate)
            if found:
                return Match(found.group(0).strip(), whole_message=False)
    return None
