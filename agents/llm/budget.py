"""The per-org daily LLM budget: which model a call may use, given today's spend.

Spend is read from ``usage_logs`` (see :mod:`storage.repositories.usage`), so every process
sees the same total. The check happens before the call and the cost is known only after it,
so calls already in flight when the budget runs out can overshoot it by at most their own
cost (bounded by ``worker.concurrency`` × one call) — an accepted trade against reserving
spend up front, which would need a guess of the completion length.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import asyncpg

from agents.errors import LLMUnavailable
from storage.repositories import usage

from .config import LLMConfig

log = logging.getLogger(__name__)

Decision = Literal["unlimited", "within", "cheap_model"]


@dataclass(frozen=True)
class BudgetDecision:
    """The model to use and why; kept in the usage row's metadata."""

    model: str
    decision: Decision
    spent_usd: Decimal | None = None
    budget_usd: Decimal | None = None

    def as_metadata(self) -> dict[str, str | None]:
        return {
            "decision": self.decision,
            "spent_usd": None if self.spent_usd is None else str(self.spent_usd),
            "budget_usd": None if self.budget_usd is None else str(self.budget_usd),
        }


async def decide(
    pool: asyncpg.Pool, config: LLMConfig, org_id: uuid.UUID, *, purpose: str
) -> BudgetDecision:
    """The main model while the org is within budget; the cheap model once it is spent;
    :class:`LLMUnavailable` ("budget") when it is spent and there is no cheap model."""
    if not config.model:
        raise LLMUnavailable("no LLM configured")
    try:
        async with pool.acquire() as conn:
            spend = await usage.daily_llm_spend(conn, org_id)
    except (OSError, asyncpg.PostgresError) as err:
        # Without the spend we can't keep the promise of a budget: fail closed.
        log.warning("org=%s purpose=%s llm budget check failed: %s", org_id, purpose, err)
        raise LLMUnavailable("budget check failed") from err
    if spend.quota_budget_invalid:
        log.warning(
            "org=%s quota %s is not a number >= 0; using the configured default",
            org_id,
            usage.DAILY_LLM_BUDGET_KEY,
        )
    budget = spend.quota_budget_usd
    if budget is None:
        budget = config.daily_budget_usd
    if budget is None:
        return BudgetDecision(config.model, "unlimited", spend.spent_usd, None)
    if spend.spent_usd < budget:
        return BudgetDecision(config.model, "within", spend.spent_usd, budget)
    if config.cheap_model:
        log.warning(
            "org=%s purpose=%s llm daily budget spent (%s of %s USD): using cheap model %s",
            org_id,
            purpose,
            spend.spent_usd,
            budget,
            config.cheap_model,
        )
        return BudgetDecision(config.cheap_model, "cheap_model", spend.spent_usd, budget)
    log.warning(
        "org=%s purpose=%s llm daily budget spent (%s of %s USD) and no cheap model: offline",
        org_id,
        purpose,
        spend.spent_usd,
        budget,
    )
    raise LLMUnavailable("budget")
