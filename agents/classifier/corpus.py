"""The labelled corpus the offline classifier learns from: row shape, loading, and the
deterministic train/test split.

Each row of ``data/corpus.jsonl`` is one JSON object::

    {"text": ..., "category": ..., "sub_intent": ... | null, "sentiment": ...,
     "language": "en", "source": "examples" | "hetpqa" | ..., "split": "train" | "test"}

The split is a hash of the row's *group key* (its text with case, accents, digits,
punctuation and word order taken out), so near-duplicates always land on the same side and
the test split stays unseen by every model we ship or train per org.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from agents.errors import ModelError

from .base import CATEGORIES

DATA_DIR = Path(__file__).resolve().parent / "data"
CORPUS_PATH = DATA_DIR / "corpus.jsonl"
TEST_PERCENT = 20  # share of groups held out as the test split
VALIDATION_PERCENT = 20  # share of *train* groups a tuning run may hold out (never test)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W\d_]+|\d+", re.UNICODE)


@dataclass(frozen=True)
class Row:
    """One labelled message. ``weight`` only lives in memory (corrections are weighted up)."""

    text: str
    category: str
    language: str
    source: str
    sub_intent: str | None = None
    sentiment: str = "neutral"
    split: str = "train"
    weight: float = 1.0

    def to_json(self) -> str:
        data = asdict(self)
        del data["weight"]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


def fold(text: str) -> str:
    """Lower-case, NFKC, accents stripped: 'Cómo' and 'como' compare equal."""
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def dedupe_key(text: str) -> str:
    """Exact-duplicate key: folded tokens in order, every number as 0. A text without
    words or numbers ("👍", "😂😂") is its own key."""
    folded = fold(text)
    tokens = _TOKEN.findall(folded)
    if not tokens:
        return "".join(folded.split())
    return " ".join("0" if tok.isdigit() else tok for tok in tokens)


def group_key(text: str) -> str:
    """Near-duplicate key: the *set* of folded tokens, so reworded templates
    ("where is my order" / "my order, where is it") share one side of the split."""
    return " ".join(sorted(set(dedupe_key(text).split())))


def bucket(text: str, salt: str = "") -> int:
    """A stable 0..99 bucket of the text's group (sha1, independent of PYTHONHASHSEED)."""
    digest = hashlib.sha1((salt + group_key(text)).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100


def split_of(text: str) -> str:
    return "test" if bucket(text) < TEST_PERCENT else "train"


def is_validation(text: str) -> bool:
    """True for the train rows a tuning run holds out (a different hash, same grouping)."""
    return bucket(text, salt="validation:") < VALIDATION_PERCENT


def load_rows(path: Path = CORPUS_PATH) -> list[Row]:
    """Read a corpus file; a missing or malformed file is a :class:`ModelError`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise ModelError(f"cannot read the classifier corpus {path}: {err}") from err
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            row = Row(**data)
        except (ValueError, TypeError) as err:
            raise ModelError(f"{path}:{number}: not a corpus row: {err}") from err
        if row.category not in CATEGORIES:
            raise ModelError(f"{path}:{number}: unknown category {row.category!r}")
        rows.append(row)
    return rows


def write_rows(rows: Iterable[Row], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(row.to_json() + "\n")
            count += 1
    return count


def file_digest(path: Path = CORPUS_PATH) -> str:
    """sha256 of the corpus file: a cached default model is stale when this changes."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as err:
        raise ModelError(f"cannot read the classifier corpus {path}: {err}") from err


def train_rows(rows: Iterable[Row]) -> Iterator[Row]:
    return (row for row in rows if row.split == "train")


def test_rows(rows: Iterable[Row]) -> Iterator[Row]:
    return (row for row in rows if row.split == "test")
