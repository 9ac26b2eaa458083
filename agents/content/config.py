"""What the studio is told (built by ``bot/`` from the ``content`` settings section)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ContentConfig:
    default_variants: int = 3
    max_variants: int = 20
    ab_confidence: float = 0.95
    # Units of each currency per 1 USD.
    rates: Mapping[str, Decimal] = field(default_factory=lambda: {"USD": Decimal(1)})
    # Markets the bot's Localize button offers.
    markets: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ContentConfig:
        data = dict(values)
        data["rates"] = {str(k).upper(): Decimal(str(v)) for k, v in data["rates"].items()}
        data["markets"] = tuple(str(m).upper() for m in data.get("markets") or ())
        return cls(**data)
