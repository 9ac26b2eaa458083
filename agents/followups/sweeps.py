"""The sweeps the scheduler can run, by the name config.yaml uses for them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from . import daily_stats, due, memory_decay, quota, quotes, silent
from .config import SweepResult


@dataclass(frozen=True)
class Sweep:
    name: str
    run: Callable[..., Awaitable[SweepResult]]
    # Gets the vector store (or None) as ``vectors=``.
    uses_vectors: bool = False


SWEEPS: dict[str, Sweep] = {
    s.name: s
    for s in (
        Sweep("silent_customers", silent.sweep),
        Sweep("due_followups", due.sweep),
        Sweep("quotes", quotes.sweep),
        Sweep("memory_decay", memory_decay.sweep, uses_vectors=True),
        Sweep("daily_stats", daily_stats.sweep),
        Sweep("quota_reset", quota.sweep),
    )
}
