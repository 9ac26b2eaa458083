"""The challenge set (bench/data/classifier_challenge.jsonl) measures the classifier on
styles we have no training data for; it is only honest while no model can learn it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from agents.classifier.base import CATEGORIES
from agents.classifier.build_corpus import read_examples
from agents.classifier.corpus import dedupe_key, group_key, load_rows

CHALLENGE = Path(__file__).resolve().parents[3] / "bench" / "data" / "classifier_challenge.jsonl"


def test_challenge_set_is_never_trained_on():
    challenge = load_rows(CHALLENGE)
    corpus = load_rows()
    taught = [*corpus, *read_examples()]
    exact = {dedupe_key(r.text) for r in taught}
    near = {group_key(r.text) for r in taught}
    leaked = [r.text for r in challenge if dedupe_key(r.text) in exact or group_key(r.text) in near]
    assert leaked == []


def test_challenge_set_covers_every_category_in_three_languages():
    cells = Counter((r.language, r.category) for r in load_rows(CHALLENGE))
    for language in ("en", "es", "zh"):
        assert all(cells[(language, c)] >= 5 for c in CATEGORIES), (language, cells)
