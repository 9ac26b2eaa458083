"""Build ``data/corpus.jsonl``: our own examples plus the public datasets mapped onto our
categories, de-duplicated, capped per source so none dominates, and split train/test.

    python -m agents.classifier.build_corpus --shared ../shared/data/datasets \\
        --out agents/classifier/data/corpus.jsonl

Deterministic: the same inputs give the same file byte for byte (sampling and the split are
hashes of the text, never a random generator). Without ``--shared`` only the examples are
used. The output is committed, so the product never needs ``../shared``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import yaml

from .base import CATEGORIES
from .corpus import CORPUS_PATH, DATA_DIR, Row, dedupe_key, split_of, write_rows
from .language import UNDETERMINED, script_language
from .public_sources import READERS, clean
from .signals import URL

EXAMPLES_PATH = DATA_DIR / "examples.yaml"

# Most rows kept per (source, category); None keeps all. Chosen so that no public source
# outweighs the merchant-style examples by more than a few times, and the file stays ~2 MB.
CAPS: dict[tuple[str, str], int | None] = {
    ("hetpqa", "question"): 1200,
    ("bitext", "question"): 900,
    ("bitext", "complaint"): 400,
    ("bitext", "purchase_intent"): 250,
    ("banking77", "question"): 600,
    ("banking77", "complaint"): 500,
    ("crosswoz", "question"): 1000,
    ("crosswoz", "praise"): 600,
    ("restaurant8k", "purchase_intent"): 600,
}
DEFAULT_SENTIMENT = {"praise": "positive", "complaint": "negative"}


def read_examples(path: Path = EXAMPLES_PATH) -> list[Row]:
    """category → language → sub-intent ("_" = none) → texts."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = []
    for category, languages in data.items():
        if category not in CATEGORIES:
            raise ValueError(f"{path}: unknown category {category!r}")
        for language, groups in languages.items():
            for sub_intent, texts in groups.items():
                for text in texts:
                    rows.append(
                        Row(
                            clean(str(text)),
                            category,
                            language,
                            "examples",
                            sub_intent=None if sub_intent == "_" else sub_intent,
                            sentiment=DEFAULT_SENTIMENT.get(category, "neutral"),
                        )
                    )
    return rows


def _order(row: Row) -> bytes:
    return hashlib.sha1(f"{row.source}\n{row.text}".encode()).digest()


def dedupe(rows: Iterable[Row]) -> list[Row]:
    """First row wins for each normalized text; callers pass the examples first, so our
    labels beat a public dataset's weak label for the same text."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        key = dedupe_key(row.text)
        if key and key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def cap(rows: list[Row]) -> list[Row]:
    """Keep at most CAPS[(source, category)] rows of each cell, a hash-ordered sample."""
    kept = []
    cells: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        cells.setdefault((row.source, row.category), []).append(row)
    for key, cell in cells.items():
        limit = CAPS.get(key)
        kept.extend(cell if limit is None else sorted(cell, key=_order)[:limit])
    return kept


def _language(row: Row) -> str:
    """The dataset's language, except that a bare link or emoji has none ("und")."""
    return row.language if script_language(URL.sub(" ", row.text)) else UNDETERMINED


def build(shared: Path | None) -> list[Row]:
    rows = read_examples()
    if shared is not None:
        for name, reader in READERS.items():
            public = list(reader(shared))
            sys.stderr.write(f"{name}: {len(public)} mapped rows\n")
            rows.extend(public)
    rows = cap(dedupe(rows))
    rows = [replace(row, split=split_of(row.text), language=_language(row)) for row in rows]
    return sorted(rows, key=lambda r: (r.category, r.language, r.source, r.text))


def summary(rows: list[Row]) -> str:
    cells = Counter((r.category, r.language) for r in rows)
    languages = sorted({r.language for r in rows})
    lines = ["category".ljust(16) + "".join(lang.rjust(7) for lang in languages) + "  total"]
    for category in CATEGORIES:
        counts = [cells[(category, lang)] for lang in languages]
        lines.append(
            category.ljust(16)
            + "".join(str(c).rjust(7) for c in counts)
            + str(sum(counts)).rjust(7)
        )
    splits = Counter(r.split for r in rows)
    sources = Counter(r.source for r in rows)
    lines.append(f"rows {len(rows)}: train {splits['train']}, test {splits['test']}")
    lines.append("sources: " + ", ".join(f"{s} {n}" for s, n in sorted(sources.items())))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, help="../shared/data/datasets (optional)")
    parser.add_argument("--out", type=Path, default=CORPUS_PATH)
    args = parser.parse_args(argv)
    if args.shared is not None and not args.shared.is_dir():
        parser.error(f"--shared: no such directory: {args.shared}")
    rows = build(args.shared)
    write_rows(rows, args.out)
    # stderr, like the per-source counts: stdout stays free for piping.
    sys.stderr.write(summary(rows) + "\n")
    sys.stderr.write(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)\n")


if __name__ == "__main__":
    main()
