"""The challenge sets (bench/data/classifier_challenge*.jsonl) measure the classifier on
styles we have no training data for; they are only honest while no model can learn them."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from agents.classifier.base import CATEGORIES
from agents.classifier.build_corpus import read_examples
from agents.classifier.corpus import dedupe_key, fold, group_key, load_rows

CHALLENGES = sorted(
    (Path(__file__).resolve().parents[3] / "bench" / "data").glob("classifier_challenge*.jsonl")
)
every_challenge = pytest.mark.parametrize("challenge", CHALLENGES, ids=lambda p: p.name)


def test_both_challenge_sets_are_found():
    assert [p.name for p in CHALLENGES] == [
        "classifier_challenge.jsonl",
        "classifier_challenge2.jsonl",
    ]


@every_challenge
def test_challenge_set_is_never_trained_on(challenge):
    challenge = load_rows(challenge)
    corpus = load_rows()
    taught = [*corpus, *read_examples()]
    exact = {dedupe_key(r.text) for r in taught}
    near = {group_key(r.text) for r in taught}
    leaked = [r.text for r in challenge if dedupe_key(r.text) in exact or group_key(r.text) in near]
    assert leaked == []


# Words (folded, digits as 0) and, for Chinese, character pairs: single characters would
# make any two short Chinese lines look alike ("你好呀" / "好的，谢谢你呀").
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W\d_]+|\d+")
NEAR = 0.6  # Jaccard of those token sets at which two texts teach the same thing


def _tokens(text: str) -> frozenset[str]:
    folded = fold(text)
    tokens = {"0" if w.isdigit() else w for w in _WORD.findall(_CJK_RUN.sub(" ", folded))}
    for run in _CJK_RUN.findall(folded):
        tokens |= {run} if len(run) == 1 else {run[i : i + 2] for i in range(len(run) - 1)}
    return frozenset(tokens)


@every_challenge
def test_challenge_set_has_no_near_duplicate_in_training(challenge):
    """Identical word sets are caught above; a reworded copy ("I need this!! How do I
    order?" / "Need this in my life, how do I order") teaches the answer just as well. Our
    own examples only: a public dataset's row is not ours to reword (chatterbot's "Qué tal"
    is 2/3 of the challenge's "hola qué tal"; the identical-set check still covers them)."""
    taught = [_tokens(r.text) for r in read_examples()]
    close = []
    for row in load_rows(challenge):
        mine = _tokens(row.text)
        for other in taught:
            if other and len(mine & other) >= NEAR * len(mine | other):
                close.append(row.text)
                break
    assert close == []


@every_challenge
def test_challenge_set_covers_every_category_in_three_languages(challenge):
    cells = Counter((r.language, r.category) for r in load_rows(challenge))
    for language in ("en", "es", "zh"):
        assert all(cells[(language, c)] >= 5 for c in CATEGORIES), (language, cells)
