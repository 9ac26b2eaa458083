"""Quote math, in Decimal only: catalog price × exchange rate × quantity.

Rounding (ROUND_HALF_UP throughout):

* an exchange rate is fixed at 6 decimals (numeric(18,6)) and stored on the quote, and the
  prices are computed from the stored rate, so the quote can be recomputed to the cent;
* a converted unit price keeps 4 decimals (numeric(14,4)): small parts cost fractions of a
  cent and rounding their unit price to cents would change the total by percents;
* every line total is rounded to 2 decimals, and the subtotal is the sum of the rounded
  lines (what the customer can check with a calculator).

Nothing is priced silently: an unknown product, a product without a catalog price, or a
currency without a configured rate gives a warning and no line; a quantity under the MOQ is
priced and flagged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from storage.repositories.quotations import NewItem

from .labels import quantity
from .parser import RequestedItem

CENT = Decimal("0.01")
UNIT_PRICE = Decimal("0.0001")
RATE = Decimal("0.000001")


@dataclass(frozen=True)
class Rates:
    """Exchange rates as units of each currency per one unit of ``base`` (config.yaml)."""

    base: str
    per_base: Mapping[str, Decimal]

    def for_org(self, org_settings: Mapping[str, Any]) -> Rates:
        """These (config.yaml) rates with the org's own ``settings["quotes"]`` ``rate_base``
        and ``rates`` over them: what every price conversion of that org uses.

        The org's rates count per its own base. When that base is not the config's, the
        config's rates are first rebased onto it (``config[c] / config[org_base]``), so the
        two sets are never mixed as if they shared a base; if the config has no rate for the
        org's base, none of its rates can be rebased and only the org's own apply (a
        currency neither knows gets no price, with a warning, rather than a wrong one)."""
        own = org_settings.get("quotes") or {}
        config = {k.upper(): Decimal(str(v)) for k, v in self.per_base.items()}
        config[self.base.upper()] = Decimal(1)
        base = str(own.get("rate_base") or self.base).upper()
        if base == self.base.upper():
            per_base = config
        elif config.get(base):
            per_base = {c: rate / config[base] for c, rate in config.items()}
        else:
            per_base = {}
        per_base.update({k.upper(): Decimal(str(v)) for k, v in (own.get("rates") or {}).items()})
        per_base.pop(base, None)  # the base is 1 by definition (rate() adds it)
        return Rates(base, per_base)

    def rate(self, source: str, target: str) -> Decimal | None:
        """How many ``target`` one ``source`` buys, at 6 decimals; None when not configured."""
        if source == target:
            return Decimal(1)
        per_base = {**self.per_base, self.base: Decimal(1)}
        if source not in per_base or target not in per_base:
            return None
        return (Decimal(per_base[target]) / Decimal(per_base[source])).quantize(RATE, ROUND_HALF_UP)


# Unit words that mean the same measure, in en/es/zh ("500 unidades" of a product sold in
# pcs is 500 pcs). A requested unit in another group than the catalog's ("500 cartons" of a
# product priced per piece) is priced per the catalog's unit, with a warning.
_UNIT_GROUPS = (
    {"pcs", "pc", "piece", "pieces", "unit", "units", "ea", "each", "个", "件", "只", "支",
     "把", "张", "条", "台", "unidad", "unidades", "ud", "uds", "pieza", "piezas"},
    {"set", "sets", "套", "juego", "juegos"},
    {"pair", "pairs", "双", "par", "pares"},
    {"box", "boxes", "盒", "caja", "cajas"},
    {"carton", "cartons", "ctn", "ctns", "箱"},
    {"kg", "kgs", "kilo", "kilos", "公斤", "千克"},
    {"meter", "meters", "m", "米", "metro", "metros"},
    {"roll", "rolls", "卷", "rollo", "rollos"},
    {"bag", "bags", "包", "bolsa", "bolsas"},
    {"bottle", "bottles", "瓶", "botella", "botellas"},
)  # fmt: skip


def same_unit(requested: str | None, catalog: str | None) -> bool:
    """False only when both units are known and mean different things."""
    if not requested or not catalog:
        return True
    a, b = requested.strip().lower(), catalog.strip().lower()
    group_a = next((g for g in _UNIT_GROUPS if a in g), None)
    group_b = next((g for g in _UNIT_GROUPS if b in g), None)
    return a == b or group_a is None or group_b is None or group_a is group_b


@dataclass
class PricedQuote:
    currency: str
    lines: list[NewItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Requested items that got no line, with the reason (shown on the PDF as "not quoted").
    unquoted: list[tuple[str, str]] = field(default_factory=list)
    base_currency: str | None = None
    exchange_rate: Decimal = Decimal(1)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total for line in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.subtotal


def price_items(items: Sequence[RequestedItem], currency: str, rates: Rates) -> PricedQuote:
    quote = PricedQuote(currency=currency)
    priced = [i for i in items if i.product is not None and i.product.price is not None]
    sources = Counter(i.product.currency for i in priced if i.product.currency != currency)
    if sources:
        # The quote's own rate converts from its most common catalog currency; lines in
        # another currency carry their own rate (a catalog mixing CNY and USD prices).
        base = sources.most_common(1)[0][0]
        rate = rates.rate(base, currency)
        if rate is not None:
            quote.base_currency, quote.exchange_rate = base, rate
    for item in items:
        product = item.product
        if product is None:
            quote.unquoted.append((item.description, "not_in_catalog"))
            quote.warnings.append(f"{item.description}: not in the catalog, not quoted")
            continue
        if product.price is None:
            quote.unquoted.append((product.name, "no_price"))
            quote.warnings.append(f"{product.sku}: the catalog has no price, not quoted")
            continue
        rate = rates.rate(product.currency, currency)
        if rate is None:
            quote.unquoted.append((product.name, "no_rate"))
            quote.warnings.append(
                f"{product.sku}: no exchange rate from {product.currency} to {currency} "
                "configured (quotes.rates), not quoted"
            )
            continue
        line_warnings = []
        if not same_unit(item.unit, product.unit):
            line_warnings.append(
                f"{product.sku}: {quantity(item.quantity)} {item.unit} requested, priced as "
                f"{quantity(item.quantity)} {product.unit} (the catalog's unit): check the packing"
            )
        if product.moq and item.quantity < product.moq:
            line_warnings.append(
                f"{product.sku}: {quantity(item.quantity)} {product.unit} is below the MOQ of "
                f"{product.moq} {product.unit}"
            )
        unit_price = (product.price * rate).quantize(UNIT_PRICE, ROUND_HALF_UP)
        own_rate = product.currency != currency and product.currency != quote.base_currency
        quote.lines.append(
            NewItem(
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                description=product.name_en if product.name_en != product.name else None,
                quantity=item.quantity,
                unit=product.unit,
                catalog_price=product.price,
                catalog_currency=product.currency,
                exchange_rate=rate if own_rate else None,
                unit_price=unit_price,
                line_total=(unit_price * item.quantity).quantize(CENT, ROUND_HALF_UP),
                moq=product.moq,
                warnings=line_warnings,
            )
        )
        quote.warnings.extend(line_warnings)
    if not quote.lines:
        quote.warnings.append("no line could be priced: check the items before sending")
    return quote
