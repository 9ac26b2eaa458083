"""What one gateway call is, what it cost, and the ``usage_logs`` row that says so."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg
from pydantic import BaseModel

from agents.errors import LLMUnavailable
from storage.repositories import usage

from .budget import BudgetDecision
from .config import LLMConfig
from .prompts import RenderedPrompt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LLMResult:
    """One answer and its provenance (store :meth:`as_metadata` with a draft)."""

    value: Any  # str for text calls, an instance of the schema for structured ones
    model: str
    prompt_name: str
    prompt_version: str
    prompt_checksum: str
    cached: bool
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal
    latency_ms: int
    budget: str | None = None  # the budget decision; None for a cache hit on the main model

    def as_metadata(self) -> dict[str, Any]:
        """JSON-ready provenance, e.g. for ``reply_suggestions.metadata``."""
        return {
            "engine": "llm",
            "model": self.model,
            "prompt": self.prompt_name,
            "prompt_version": self.prompt_version,
            "cached": self.cached,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": str(self.cost_usd),
            "latency_ms": self.latency_ms,
        }


@dataclass
class Call:
    """One request as it goes through the gateway's steps."""

    org_id: uuid.UUID
    purpose: str
    prompt: RenderedPrompt
    schema: type[BaseModel] | None
    messages: list[tuple[str, str]]
    entity_type: str | None
    entity_id: uuid.UUID | None
    started: float = field(default_factory=time.monotonic)

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def warn(self, model: str, message: str, *args: object) -> None:
        """A warning with the call's context (org, purpose, prompt, model)."""
        log.warning(
            "org=%s purpose=%s prompt=%s model=%s llm call " + message,
            self.org_id,
            self.purpose,
            self.prompt.name,
            model,
            *args,
        )


@dataclass(frozen=True)
class Spend:
    """What one answer consumed (zero tokens and cost for a cache hit)."""

    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: Decimal = Decimal(0)
    cached: bool = False
    decision: BudgetDecision | None = None

    def result(self, call: Call, value: Any) -> LLMResult:
        return LLMResult(
            value=value,
            model=self.model,
            prompt_name=call.prompt.name,
            prompt_version=call.prompt.version,
            prompt_checksum=call.prompt.checksum,
            cached=self.cached,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost_usd=self.cost,
            latency_ms=call.elapsed_ms(),
            budget=self.decision.decision if self.decision else None,
        )


class UsageRecorder:
    """Prices calls from the config's table and writes one ``usage_logs`` row per answer."""

    def __init__(self, pool: asyncpg.Pool, config: LLMConfig) -> None:
        self._pool = pool
        self._config = config
        self._unpriced: set[str] = set()

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> Decimal:
        price = self._config.price(model)
        if price is None:
            if model not in self._unpriced:  # once per model, not on every call
                self._unpriced.add(model)
                log.warning("no price configured for model %s: its calls count as free", model)
            return Decimal(0)
        return price.cost(prompt_tokens, completion_tokens)

    async def record(
        self, call: Call, spend: Spend, extra: Mapping[str, Any] | None = None
    ) -> None:
        """Write the row; :class:`LLMUnavailable` when the database can't take it."""
        metadata = {
            "prompt": call.prompt.name,
            "prompt_version": call.prompt.version,
            "prompt_checksum": call.prompt.checksum,
            "budget": spend.decision.as_metadata() if spend.decision else None,
            **(extra or {}),
        }
        try:
            async with self._pool.acquire() as conn:
                await usage.record(
                    conn,
                    call.org_id,
                    kind="llm",
                    feature=call.purpose,
                    provider=self._config.provider,
                    model=spend.model,
                    prompt_tokens=spend.prompt_tokens,
                    completion_tokens=spend.completion_tokens,
                    cost=spend.cost,
                    cached=spend.cached,
                    latency_ms=call.elapsed_ms(),
                    entity_type=call.entity_type,
                    entity_id=call.entity_id,
                    metadata=metadata,
                )
        except (OSError, asyncpg.PostgresError) as err:
            # Unaccounted calls would make the budget a fiction: no answer without its row.
            call.warn(spend.model, "usage not recorded: %s", err)
            raise LLMUnavailable("usage accounting failed") from err
