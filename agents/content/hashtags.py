"""Hashtags from the catalog's own words (keywords, category, name) — never trending tags
the product has nothing to do with."""

from __future__ import annotations

import re

from .models import Facts

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def to_hashtag(text: str) -> str | None:
    """ "stainless steel" → "#StainlessSteel"; Chinese stays as written; None when empty."""
    words = [w for w in _NOT_WORD.split(text) if w]
    if not words:
        return None
    joined = "".join(w if not w.isascii() else w[:1].upper() + w[1:] for w in words)
    return f"#{joined}"


def hashtags_for(facts: Facts, count: int, *, offset: int = 0) -> list[str]:
    """Up to ``count`` distinct tags, rotated by ``offset`` so variants differ."""
    if count <= 0:
        return []
    sources = [*facts.keywords, facts.category or "", facts.name]
    tags = list(dict.fromkeys(t for t in map(to_hashtag, sources) if t))
    if not tags:
        return []
    k = offset % len(tags)
    return (tags[k:] + tags[:k])[:count]
