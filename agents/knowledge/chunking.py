"""Splitting document sections into retrievable chunks.

Sizes are counted in characters, not tokens or words, so Chinese (no spaces) and Spanish or
English are measured alike: a chunk holds at most ``max_chars`` (800) and is cut at a sentence
end (``。！？.!?``) or a paragraph break, preferring a paragraph break once it holds
``min_chars`` (500). Consecutive chunks of one section share a small overlap (up to ``overlap``
characters of whole trailing sentences) so an answer that straddles a cut is still found. A
chunk never spans two sections, and carries its section's heading. The output depends only on
the input: re-chunking an unchanged file gives the same chunks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .parsed import Section

MAX_CHARS = 800
MIN_CHARS = 500
OVERLAP = 120


@dataclass(frozen=True)
class Chunk:
    """One chunk: its position in the document, text, and the heading of its section."""

    ord: int
    text: str
    heading: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Unit:
    """A sentence (or a hard-cut piece of an over-long one) and whether it opens a paragraph."""

    text: str
    opens_paragraph: bool
    paragraph_chars: int  # length of the whole paragraph it opens (0 when it doesn't open one)


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# CJK sentence marks end a sentence wherever they are, and so do ASCII "!?" typed right after a
# CJK character; otherwise a Latin mark ends one only before a space, a CJK character or the end
# (so "3.5 kg" and "example.com" stay whole). Closing quotes and brackets stay with the sentence
# they close.
_CLOSERS = r"”’」』》）)\"'\]"
_SENTENCE_END = re.compile(
    rf"[。！？]+[{_CLOSERS}]*"
    rf"|(?<=[{_CJK}])[!?]+[{_CLOSERS}]*"
    rf"|[.!?]+[{_CLOSERS}]*(?=\s|[{_CJK}]|$)"
)
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_SOFT_BREAK = re.compile(r"[\s,，、;；:：]")


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, stripped, in order; text without marks is one sentence."""
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.end()].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def chunk_sections(
    sections: Iterable[Section],
    *,
    max_chars: int = MAX_CHARS,
    min_chars: int = MIN_CHARS,
    overlap: int = OVERLAP,
) -> list[Chunk]:
    """Chunks of every section, numbered from 0 across the whole document."""
    if not 0 <= overlap < min_chars <= max_chars:
        raise ValueError("need 0 <= overlap < min_chars <= max_chars")
    chunks: list[Chunk] = []
    for section in sections:
        for text in _chunk_texts(_units(section.text, max_chars), max_chars, min_chars, overlap):
            chunks.append(Chunk(len(chunks), text, section.heading, dict(section.metadata)))
    return chunks


def _units(text: str, max_chars: int) -> list[_Unit]:
    units: list[_Unit] = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        pieces = [p for s in split_sentences(paragraph) for p in _hard_split(s, max_chars)]
        size = len(_join(pieces))
        units.extend(_Unit(p, i == 0, size if i == 0 else 0) for i, p in enumerate(pieces))
    return units


def _hard_split(sentence: str, max_chars: int) -> list[str]:
    """Cut a sentence longer than ``max_chars`` at the last space or comma that leaves at least
    half a chunk, else exactly at the limit (a run-on table row, a CJK text without marks)."""
    pieces = []
    while len(sentence) > max_chars:
        window = sentence[:max_chars]
        soft = [m.end() for m in _SOFT_BREAK.finditer(window) if m.end() >= max_chars // 2]
        cut = soft[-1] if soft else max_chars
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        pieces.append(sentence)
    return pieces


def _chunk_texts(units: list[_Unit], max_chars: int, min_chars: int, overlap: int) -> list[str]:
    texts: list[str] = []
    current: list[_Unit] = []
    for unit in units:
        size = len(_render(current))
        # A paragraph that fits in a chunk of its own is not cut in two once this chunk is big
        # enough; otherwise the chunk fills up to max_chars.
        paragraph_would_split = (
            unit.opens_paragraph
            and size >= min_chars
            and size + 2 + unit.paragraph_chars > max_chars
        )
        if current and (len(_render([*current, unit])) > max_chars or paragraph_would_split):
            texts.append(_render(current))
            current = _tail(current, overlap)
            if len(_render([*current, unit])) > max_chars:
                current = []  # overlap and the next sentence don't fit together: drop the overlap
        current.append(unit)
    if current:
        texts.append(_render(current))
    return texts


def _tail(units: list[_Unit], overlap: int) -> list[_Unit]:
    """The overlap carried into the next chunk: whole trailing sentences of at most ``overlap``
    characters, or, when the last sentence alone is longer, its end from a space or comma on.

    Carried units no longer open paragraphs, so the next chunk reads as a continuation."""
    kept: list[_Unit] = []
    for unit in reversed(units):
        if len(_render([unit, *kept])) > overlap:
            break
        kept.insert(0, _Unit(unit.text, False, 0))
    if kept or not units or overlap == 0:
        return kept
    window = units[-1].text[-overlap:]
    soft = _SOFT_BREAK.search(window)
    piece = window[soft.end() :].strip() if soft else window
    return [_Unit(piece, False, 0)] if piece else []


def _render(units: list[_Unit]) -> str:
    out = ""
    for unit in units:
        if out:
            out += "\n\n" if unit.opens_paragraph else _glue(out, unit.text)
        out += unit.text
    return out


def _join(pieces: list[str]) -> str:
    out = ""
    for piece in pieces:
        out += (_glue(out, piece) if out else "") + piece
    return out


def _glue(before: str, after: str) -> str:
    # Chinese sentences follow each other without a space; Latin ones need one.
    if _CJK_CHAR.match(before[-1]) or _CJK_CHAR.match(after[0]):
        return ""
    return " "
