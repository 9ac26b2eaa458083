"""What the studio is told (built by ``bot/`` from the ``content`` and ``quotes`` settings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from agents.quotes.pricing import Rates


@dataclass(frozen=True)
class ContentConfig:
    default_variants: int = 3
    max_variants: int = 20
    ab_confidence: float = 0.95
    # The installation's exchange rates (config.yaml ``quotes``); each org's own
    # ``settings["quotes"]`` go over them, exactly as for its quotations.
    rates: Rates = field(default_factory=lambda: Rates("USD", {"USD": Decimal(1)}))
    # Markets the bot's Localize button offers.
    markets: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ContentConfig:
        """``values``: the content settings plus the quotes' ``rates`` (units of each currency
        per one ``rate_base``)."""
        data = dict(values)
        per_base = {str(k).upper(): Decimal(str(v)) for k, v in data.pop("rates").items()}
        data["rates"] = Rates(str(data.pop("rate_base")).upper(), per_base)
        data["markets"] = tuple(str(m).upper() for m in data.get("markets") or ())
        return cls(**data)
