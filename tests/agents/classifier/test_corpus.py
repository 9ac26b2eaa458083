"""The shipped corpus: every category in every main language, an honest split, small."""

from __future__ import annotations

from collections import Counter

import pytest

from agents.classifier.base import CATEGORIES
from agents.classifier.build_corpus import EXAMPLES_PATH, build, read_examples
from agents.classifier.corpus import CORPUS_PATH, dedupe_key, group_key, load_rows, split_of


@pytest.fixture(scope="module")
def rows():
    return load_rows()


def test_the_corpus_is_shipped_and_small():
    assert CORPUS_PATH.exists()
    assert CORPUS_PATH.stat().st_size < 5_000_000


@pytest.mark.parametrize("language", ["en", "zh", "es"])
def test_every_category_in_every_main_language_on_both_sides(rows, language):
    cells = Counter((r.category, r.split) for r in rows if r.language == language)
    for category in CATEGORIES:
        assert cells[(category, "train")] >= 30, (category, language)
        assert cells[(category, "test")] >= 5, (category, language)


def test_about_a_fifth_is_held_out(rows):
    share = sum(r.split == "test" for r in rows) / len(rows)
    assert 0.15 < share < 0.25


def test_no_near_duplicates_straddle_the_split(rows):
    sides: dict[str, set[str]] = {}
    for row in rows:
        sides.setdefault(group_key(row.text), set()).add(row.split)
    assert all(len(s) == 1 for s in sides.values())
    assert all(row.split == split_of(row.text) for row in rows)


def test_no_duplicate_texts(rows):
    keys = Counter(dedupe_key(r.text) for r in rows)
    assert keys.most_common(1)[0][1] == 1


def test_rows_are_well_formed(rows):
    for row in rows:
        assert row.text.strip() and row.category in CATEGORIES
        assert row.sentiment in {"positive", "neutral", "negative"}
        assert row.split in {"train", "test"} and row.source


def test_near_duplicate_keys_ignore_case_accents_digits_and_order():
    assert group_key("¿Cuánto cuesta 500 piezas?") == group_key("piezas 300, cuanto CUESTA")
    assert dedupe_key("Hola!!") == dedupe_key("hola")


def test_examples_cover_the_merchant_gaps():
    examples = read_examples(EXAMPLES_PATH)
    cells = Counter((r.category, r.language) for r in examples)
    for category in CATEGORIES:
        for language in ("en", "zh", "es"):
            assert cells[(category, language)] >= 25, (category, language)
    spam = {r.sub_intent for r in examples if r.category == "spam"}
    assert {"phishing", "crypto_scam", "prize_scam", "follow_spam", "seo_offer"} <= spam


def test_building_from_the_examples_alone_is_deterministic():
    first, second = build(None), build(None)
    assert first == second
    assert {r.source for r in first} == {"examples"}


def test_the_shipped_corpus_contains_every_example(rows):
    shipped = {dedupe_key(r.text) for r in rows}
    assert {dedupe_key(r.text) for r in read_examples(EXAMPLES_PATH)} <= shipped
