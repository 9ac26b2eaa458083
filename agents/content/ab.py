"""A/B results: is one variant's rate really better, or not yet?

A two-proportion z-test (pooled, two-sided) of the best variant against every other one.
The winner is declared only when each comparison is significant at the configured
confidence; otherwise the answer is "not yet" with the numbers that would decide it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Arm:
    """One variant's counts: trials (impressions or views) and successes (clicks or
    completions)."""

    key: str
    trials: int
    successes: int

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else 0.0


@dataclass(frozen=True)
class Decision:
    winner: str | None
    confidence: float
    comparisons: list[dict[str, Any]]

    @property
    def status(self) -> str:
        return "winner" if self.winner else "not_yet"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "winner": self.winner,
            "confidence": self.confidence,
            "comparisons": self.comparisons,
        }


def z_test(a: Arm, b: Arm) -> tuple[float, float]:
    """(z, two-sided p-value) for rate(a) - rate(b); (0, 1) when there is nothing to test."""
    if a.trials == 0 or b.trials == 0:
        return 0.0, 1.0
    pooled = (a.successes + b.successes) / (a.trials + b.trials)
    se = math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials))
    if se == 0:
        return 0.0, 1.0
    z = (a.rate - b.rate) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def decide(arms: list[Arm], confidence: float) -> Decision:
    """The best arm wins only if it beats each other arm at ``confidence`` (e.g. 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    ranked = sorted(arms, key=lambda a: a.rate, reverse=True)
    if len(ranked) < 2:
        return Decision(None, confidence, [])
    best = ranked[0]
    comparisons = []
    for other in ranked[1:]:
        z, p = z_test(best, other)
        comparisons.append(
            {
                "best": best.key,
                "other": other.key,
                "best_rate": round(best.rate, 6),
                "other_rate": round(other.rate, 6),
                "z": round(z, 4),
                "p_value": round(p, 6),
                "significant": p < 1 - confidence and z > 0,
            }
        )
    won = all(c["significant"] for c in comparisons)
    return Decision(best.key if won else None, confidence, comparisons)
