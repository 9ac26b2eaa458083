"""The A/B decision on known numbers."""

from __future__ import annotations

import pytest

from agents.content.ab import Arm, decide, z_test


def test_z_test_on_known_numbers():
    # p1 = 0.10, p2 = 0.06, pooled 0.08: z = 0.04 / sqrt(0.08 * 0.92 * 0.002) = 3.2969
    z, p = z_test(Arm("a", 1000, 100), Arm("b", 1000, 60))
    assert z == pytest.approx(3.2969, abs=1e-4)
    assert p == pytest.approx(0.000978, abs=1e-5)


def test_a_clear_difference_declares_a_winner():
    decision = decide([Arm("a", 1000, 60), Arm("b", 1000, 100)], 0.95)
    assert decision.winner == "b" and decision.status == "winner"


def test_a_small_difference_is_not_yet():
    # 10% vs 9% on 1,000 each: z = 0.763, p = 0.446.
    decision = decide([Arm("a", 1000, 100), Arm("b", 1000, 90)], 0.95)
    assert decision.winner is None and decision.status == "not_yet"
    assert decision.comparisons[0]["p_value"] == pytest.approx(0.4457, abs=1e-3)


def test_the_confidence_level_decides():
    # 10% vs 7.6% on 1,000 each: p = 0.058: a winner at 90%, not yet at 95%.
    arms = [Arm("a", 1000, 100), Arm("b", 1000, 76)]
    assert decide(arms, 0.90).winner == "a"
    assert decide(arms, 0.95).winner is None


def test_the_best_must_beat_every_other_variant():
    arms = [Arm("a", 1000, 100), Arm("b", 1000, 95), Arm("c", 1000, 40)]
    assert decide(arms, 0.95).winner is None  # beats c, not b


def test_no_data_is_not_yet():
    assert decide([Arm("a", 0, 0), Arm("b", 0, 0)], 0.95).winner is None
    assert decide([Arm("a", 10, 1)], 0.95).winner is None
