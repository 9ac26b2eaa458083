"""Reading an A/B results export (``trademate content results FILE``).

Each row names a variant (the id printed by ``content generate``) and its counts:
impressions and clicks, or views and completions. Exports come from ad managers and
spreadsheets, so the reader takes what they write: any header case and spacing ("Variant
ID", "Impressions"), comma, semicolon or tab separated, counts with thousands separators
("1,000", "1.000", "1 000"), blank lines. A variant on several rows (one row per day, say)
counts the sum of its rows: the file holds the totals that replace what was stored before.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path
from typing import Any

from .errors import ContentError

COUNTS = ("impressions", "clicks", "views", "completions")
PAIRS = (("impressions", "clicks"), ("views", "completions"))
_ALIASES = {
    "variant_id": "variant_id", "variant": "variant_id", "id": "variant_id",
    "piece_id": "variant_id", "hook_id": "variant_id",
    "impressions": "impressions", "impr": "impressions", "reach": "impressions",
    "clicks": "clicks", "link_clicks": "clicks",
    "views": "views", "plays": "views", "video_views": "views",
    "completions": "completions", "completed_views": "completions",
    "complete_views": "completions", "video_completions": "completions",
}  # fmt: skip


def _column(header: str) -> str | None:
    return _ALIASES.get(re.sub(r"[\s\-.]+", "_", header.strip().lower()).strip("_"))


def _count(text: str) -> int:
    """1000, "1,000", "1.000", "1 000" → 1000; "" → 0."""
    text = text.strip()
    if not text:
        return 0
    if re.fullmatch(r"\d{1,3}(?:([,. \u00a0])\d{3})(?:\1\d{3})*", text):
        text = re.sub(r"[,. \u00a0]", "", text)
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a whole, non-negative count")
    return int(text)


def read_results(path: Path) -> list[dict[str, Any]]:
    """``[{"variant_id": UUID, "counts": {...}}]``, one per variant, in file order."""
    text = path.read_bytes().decode("utf-8-sig")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise ContentError(f"{path}: no rows")
    # The separator under which the header names the most of our columns.
    delimiter = max(
        ",;\t",
        key=lambda d: sum(
            _column(c) is not None for c in next(csv.reader([lines[0]], delimiter=d))
        ),
    )
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    columns = [_column(c) for c in rows[0]]
    if "variant_id" not in columns or not any(set(p) <= set(columns) for p in PAIRS):
        raise ContentError(
            f"{path}: needs a variant_id column and impressions,clicks or views,completions"
        )
    totals: dict[uuid.UUID, dict[str, int]] = {}
    for line, cells in enumerate(rows[1:], start=2):
        row = {c: v.strip() for c, v in zip(columns, cells, strict=False) if c}
        try:
            variant_id = uuid.UUID(row.get("variant_id", ""))
        except ValueError as err:
            raise ContentError(
                f"{path}, line {line}: {row.get('variant_id')!r} is not a variant id"
            ) from err
        try:
            counts = {k: _count(row[k]) for k in COUNTS if k in row}
        except ValueError as err:
            raise ContentError(f"{path}, line {line}: {err}") from err
        summed = totals.setdefault(variant_id, dict.fromkeys(counts, 0))
        for key, value in counts.items():
            summed[key] = summed.get(key, 0) + value
    for variant_id, counts in totals.items():
        for trials, successes in PAIRS:
            if counts.get(successes, 0) > counts.get(trials, 0) and trials in counts:
                raise ContentError(
                    f"{path}: variant {variant_id} has more {successes} ({counts[successes]}) "
                    f"than {trials} ({counts[trials]})"
                )
    return [{"variant_id": v, "counts": c} for v, c in totals.items()]
