"""Quotation terms: payment, Incoterm, lead time and validity, from org settings or defaults.

Defaults come from config.yaml (``quotes``: the composition root builds
:class:`QuoteDefaults`); an organization overrides any of them in
``organizations.settings["quotes"]``; the request itself may name the currency and the
Incoterm ("USD FOB Ningbo").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from agents.followups.quiet_hours import zone

from .pricing import Rates


@dataclass(frozen=True)
class QuoteDefaults:
    # None: the organization's default_currency.
    currency: str | None
    rate_base: str
    rates: Mapping[str, Decimal]
    payment_terms: str
    incoterm: str
    incoterm_place: str | None
    lead_time: str
    validity_days: int
    # Hours a signed link to a quote's PDF stays valid.
    link_ttl_hours: int = 336
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Terms:
    currency: str
    rates: Rates
    payment_terms: str | None
    incoterm: str | None
    incoterm_place: str | None
    lead_time: str | None
    valid_until: date


def resolve_terms(
    defaults: QuoteDefaults,
    org_settings: Mapping[str, Any],
    *,
    org_currency: str,
    org_timezone: str,
    currency: str | None = None,
    incoterm: str | None = None,
    incoterm_place: str | None = None,
    now: datetime | None = None,
) -> Terms:
    """The terms of a new quote: the request's choices, then the org's, then the defaults."""
    own = org_settings.get("quotes") or {}
    validity = int(own.get("validity_days", defaults.validity_days))
    today = (now or datetime.now(UTC)).astimezone(zone(org_timezone)).date()
    return Terms(
        currency=(currency or own.get("currency") or defaults.currency or org_currency).upper(),
        rates=Rates(defaults.rate_base, defaults.rates).for_org(org_settings),
        payment_terms=own.get("payment_terms", defaults.payment_terms),
        incoterm=incoterm or own.get("incoterm", defaults.incoterm),
        incoterm_place=incoterm_place
        or (None if incoterm else own.get("incoterm_place", defaults.incoterm_place)),
        lead_time=own.get("lead_time", defaults.lead_time),
        valid_until=today + timedelta(days=validity),
    )
