"""What a knowledge-file reader returns: prose sections and question/answer pairs.

Readers (``readers.py``, ``tables.py``) turn file bytes into a :class:`ParsedFile`; the chunker
turns its sections into retrievable chunks and the ingestor stores its FAQs as they are. Nothing
here touches the database or the vector store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.errors import IngestError


@dataclass(frozen=True)
class Section:
    """A run of prose under one heading (a markdown section, a PDF page, a sheet)."""

    text: str
    heading: str | None = None  # heading path ("Shipping > Rates"), "page 3", a sheet name
    metadata: Mapping[str, Any] = field(default_factory=dict)  # e.g. {"page": 3}


@dataclass(frozen=True)
class FaqEntry:
    """One question/answer row of an FAQ table."""

    question: str
    answer: str
    language: str | None = None
    category: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)  # e.g. {"sheet": "FAQ", "row": 4}


@dataclass(frozen=True)
class ParsedFile:
    """Everything a reader found in one file. A file may hold both (an FAQ sheet beside a
    price-list sheet); it must hold at least one non-empty section or FAQ."""

    title: str
    mime_type: str
    sections: tuple[Section, ...] = ()
    faqs: tuple[FaqEntry, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.faqs and not any(s.text.strip() for s in self.sections)


# -- text decoding ---------------------------------------------------------------------------

# Order matters: a BOM is decisive; then strict UTF-8, which rarely decodes non-UTF-8 bytes by
# accident; GB18030 last because it accepts most byte sequences (it is the superset of GBK and
# GB2312 that Chinese Windows tools write).
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_FALLBACKS = ("utf-8", "gb18030")


def decode_text(data: bytes) -> str:
    """Decode a text file: BOM (UTF-8/UTF-16), else UTF-8, else GB18030.

    Raises :class:`IngestError` when none fits. Line endings become ``\\n``.
    """
    encodings = [enc for bom, enc in _BOMS if data.startswith(bom)] or list(_FALLBACKS)
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise IngestError(f"not valid text in {', '.join(encodings)}")


# -- language hints --------------------------------------------------------------------------

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Marks no English sentence carries ("Los Angeles" is why plain articles are not on the list).
_SPANISH = re.compile(
    r"[¿¡ñÑ]|\b(?:qué|cómo|cuánto|cuándo|dónde|envío|está|también|pedido)\b", re.I
)
_LANGUAGE_NAMES = {
    "english": "en",
    "inglés": "en",
    "ingles": "en",
    "英语": "en",
    "英文": "en",
    "chinese": "zh",
    "中文": "zh",
    "汉语": "zh",
    "简体中文": "zh",
    "繁體中文": "zh",
    "chino": "zh",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "西班牙语": "es",
}


def normalize_language(value: str | None) -> str | None:
    """``"zh-CN"`` → ``"zh"``, ``"Español"`` → ``"es"``; unknown values pass through lowered."""
    if value is None or not value.strip():
        return None
    lowered = value.strip().lower()
    if lowered in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[lowered]
    primary = re.split(r"[-_]", lowered, maxsplit=1)[0]
    return primary if 2 <= len(primary) <= 3 and primary.isascii() else lowered[:16]


def guess_language(text: str) -> str | None:
    """A deliberately conservative hint: ``zh`` for Han text, ``es`` for clear Spanish marks,
    else None (the classifier owns real language detection; a wrong hint is worse than none)."""
    if _KANA.search(text):
        return None  # Japanese shares Han characters; don't call it Chinese
    if len(_HAN.findall(text)) * 3 >= len(text.strip()) > 0:
        return "zh"
    if _SPANISH.search(text):
        return "es"
    return None
