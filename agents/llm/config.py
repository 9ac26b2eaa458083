"""What the LLM gateway is told: one plain, immutable :class:`LLMConfig`.

The composition root (``bot/``) builds it from the ``llm`` settings section; the gateway never
reads settings or the environment itself, so tests can hand it exactly what they mean.
Field names match the ``llm.*`` config keys one to one, so :meth:`LLMConfig.from_mapping`
can take ``settings.llm.model_dump()`` (plus the unwrapped API key) as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from agents.errors import AgentError

StructuredMethod = Literal["function_calling", "json_schema", "json_mode"]
STRUCTURED_METHODS: tuple[StructuredMethod, ...] = ("function_calling", "json_schema", "json_mode")

# The agent pipeline's steps an LLM may do (``llm.tasks``); each one left out is done by the
# offline engine, at no cost. Quotes and the content studio use the LLM whenever one is set.
Task = Literal["classify", "memories", "draft"]
TASKS: tuple[Task, ...] = ("classify", "memories", "draft")


class LLMConfigError(AgentError):
    """The LLM configuration is wrong (unknown provider, bad price table, ...)."""


@dataclass(frozen=True)
class ModelPrice:
    """USD per 1,000 tokens, prompt (input) and completion (output) priced separately."""

    input_per_1k: Decimal
    output_per_1k: Decimal

    def cost(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        """The cost of one call, rounded to the 6 decimals ``usage_logs.cost`` keeps."""
        raw = (self.input_per_1k * prompt_tokens + self.output_per_1k * completion_tokens) / 1000
        return raw.quantize(Decimal("0.000001"))


FREE = ModelPrice(Decimal(0), Decimal(0))


@dataclass(frozen=True)
class LLMConfig:
    """Every knob of the LLM gateway. ``provider`` or ``model`` unset = offline engine only."""

    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    # repr=False: the key must never reach a log line or a traceback.
    api_key: str | None = field(default=None, repr=False)
    timeout_seconds: float = 20.0
    temperature: float | None = 0.2
    max_tokens: int | None = 800
    # Used instead of ``model`` once an org has spent its daily budget; None = go offline.
    cheap_model: str | None = None
    # Default per-org daily budget in USD (an org's quota "daily_llm_budget_usd" overrides
    # it); None = unlimited.
    daily_budget_usd: Decimal | None = None
    # Model name -> price; a model missing here is accounted at zero cost (and warned about).
    prices: Mapping[str, ModelPrice] = field(default_factory=dict)
    # Seconds an identical request is answered from Redis; 0 disables the cache.
    cache_ttl_seconds: int = 86400
    structured_method: StructuredMethod = "function_calling"
    # Which pipeline steps use the model (see TASKS); the others stay offline.
    tasks: frozenset[Task] = frozenset(TASKS)

    def __post_init__(self) -> None:
        # A list from YAML or settings is accepted; kept as a frozenset (hashable, no order).
        object.__setattr__(self, "tasks", frozenset(self.tasks))
        unknown = sorted(set(self.tasks) - set(TASKS))
        if unknown:
            raise LLMConfigError(
                f"llm.tasks: unknown {', '.join(map(repr, unknown))} "
                f"(choose from {', '.join(TASKS)})"
            )
        if self.timeout_seconds <= 0:
            raise LLMConfigError("llm.timeout_seconds must be > 0")
        if self.cache_ttl_seconds < 0:
            raise LLMConfigError("llm.cache_ttl_seconds must be >= 0")
        if self.structured_method not in STRUCTURED_METHODS:
            raise LLMConfigError(
                f"llm.structured_method must be one of {', '.join(STRUCTURED_METHODS)}, "
                f"got {self.structured_method!r}"
            )
        if self.daily_budget_usd is not None and self.daily_budget_usd < 0:
            raise LLMConfigError("llm.daily_budget_usd must be >= 0")

    @property
    def configured(self) -> bool:
        """True when a provider and a model are set (otherwise callers use the offline engine)."""
        return bool(self.provider and self.model)

    def uses(self, task: Task) -> bool:
        """True when the model is configured and ``task`` is one of ``llm.tasks``."""
        return self.configured and task in self.tasks

    def price(self, model: str) -> ModelPrice | None:
        return self.prices.get(model)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> LLMConfig:
        """Build from plain config values (YAML / settings dump): prices and the budget may be
        strings or numbers; unknown keys are refused so a typo in config.yaml is noticed."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise LLMConfigError(f"unknown llm config keys: {', '.join(unknown)}")
        data = dict(values)
        if data.get("daily_budget_usd") is not None:
            data["daily_budget_usd"] = _decimal(data["daily_budget_usd"], "daily_budget_usd")
        data["prices"] = {
            str(model): _price(model, entry) for model, entry in (data.get("prices") or {}).items()
        }
        return cls(**data)


def _price(model: object, entry: object) -> ModelPrice:
    if isinstance(entry, ModelPrice):
        return entry
    if not isinstance(entry, Mapping) or set(entry) != {"input_per_1k", "output_per_1k"}:
        raise LLMConfigError(
            f"llm.prices.{model} must be {{input_per_1k: ..., output_per_1k: ...}}, got {entry!r}"
        )
    return ModelPrice(
        _decimal(entry["input_per_1k"], f"prices.{model}.input_per_1k"),
        _decimal(entry["output_per_1k"], f"prices.{model}.output_per_1k"),
    )


def _decimal(value: object, key: str) -> Decimal:
    try:
        # str() first: Decimal(0.1) would carry the float's binary error into money.
        number = Decimal(str(value))
    except InvalidOperation as err:
        raise LLMConfigError(f"llm.{key} must be a number, got {value!r}") from err
    if not number.is_finite() or number < 0:
        raise LLMConfigError(f"llm.{key} must be a finite number >= 0, got {value!r}")
    return number
