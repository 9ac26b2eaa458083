"""Quote math: quantities × catalog prices, conversion at a frozen rate, HALF_UP rounding,
MOQ and unknown products flagged, nothing priced silently."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from agents.quotes.labels import amount, money, quantity
from agents.quotes.parser import RequestedItem
from agents.quotes.pricing import Rates, price_items
from agents.quotes.terms import QuoteDefaults, resolve_terms
from storage.repositories.products import Product

RATES = Rates("USD", {"CNY": Decimal("7.10"), "EUR": Decimal("0.92")})


def product(sku: str, price: str | None, currency: str = "USD", moq: int | None = None):
    return Product(
        id=uuid.uuid4(),
        org_id=uuid.uuid4(),
        sku=sku,
        name=f"Product {sku}",
        name_en=None,
        description=None,
        category=None,
        price=None if price is None else Decimal(price),
        currency=currency,
        moq=moq,
        unit="pcs",
        lead_time_days=None,
        specs={},
        keywords=[],
        selling_points=[],
        is_active=True,
        created_at=datetime.now(UTC),
    )


def item(p: Product | None, quantity: str, description: str = "") -> RequestedItem:
    return RequestedItem(description or (p.sku if p else "?"), Decimal(quantity), None, p)


def test_lines_are_quantity_times_catalog_price_and_the_total_their_sum():
    quote = price_items(
        [item(product("A", "2.10"), "500"), item(product("B", "0.35"), "200")], "USD", RATES
    )
    assert [line.line_total for line in quote.lines] == [Decimal("1050.00"), Decimal("70.00")]
    assert quote.total == Decimal("1120.00") and quote.warnings == []
    assert quote.base_currency is None and quote.exchange_rate == Decimal(1)


def test_line_totals_round_half_up_to_cents():
    # 3 × 0.3335 = 1.0005 → 1.00 (half-even would agree); 1 × 0.125 → 0.13 (half-even: 0.12)
    quote = price_items(
        [item(product("A", "0.3335"), "3"), item(product("B", "0.125"), "1")], "USD", RATES
    )
    assert [line.line_total for line in quote.lines] == [Decimal("1.00"), Decimal("0.13")]
    assert quote.total == Decimal("1.13")


def test_conversion_uses_a_six_decimal_rate_stored_on_the_quote():
    quote = price_items([item(product("C", "15.00", "CNY"), "300")], "EUR", RATES)
    # 0.92 / 7.10 = 0.12957746… → 0.129577; 15 × 0.129577 = 1.943655 → 1.9437 per unit
    assert quote.base_currency == "CNY" and quote.exchange_rate == Decimal("0.129577")
    [line] = quote.lines
    assert line.unit_price == Decimal("1.9437") and line.catalog_price == Decimal("15.00")
    assert line.line_total == Decimal("583.11") and line.exchange_rate is None


def test_a_mixed_catalog_gives_the_odd_line_its_own_rate():
    quote = price_items(
        [
            item(product("C1", "10", "CNY"), "10"),
            item(product("C2", "20", "CNY"), "10"),
            item(product("E", "1.00", "EUR"), "10"),
        ],
        "USD",
        RATES,
    )
    assert quote.base_currency == "CNY"
    assert quote.lines[0].exchange_rate is None
    assert quote.lines[2].exchange_rate == Decimal("1.086957")
    assert quote.lines[2].line_total == Decimal("10.87")


def test_below_moq_is_priced_and_flagged():
    quote = price_items([item(product("A", "2.00", moq=500), "100")], "USD", RATES)
    [line] = quote.lines
    assert line.line_total == Decimal("200.00")
    assert line.warnings == ["A: 100 pcs is below the MOQ of 500 pcs"]
    assert quote.warnings == line.warnings


def test_unknown_unpriced_and_unconvertible_items_are_never_priced():
    quote = price_items(
        [
            item(None, "5", "mystery widget"),
            item(product("N", None), "5"),
            item(product("J", "100", "JPY"), "5"),
            item(product("A", "1.00"), "5"),
        ],
        "USD",
        RATES,
    )
    assert [line.sku for line in quote.lines] == ["A"]
    assert quote.total == Decimal("5.00")
    assert [reason for _, reason in quote.unquoted] == ["not_in_catalog", "no_price", "no_rate"]
    assert len(quote.warnings) == 3 and "JPY" in quote.warnings[2]


def test_nothing_priceable_is_a_warning_of_its_own():
    quote = price_items([item(None, "5", "mystery widget")], "USD", RATES)
    assert quote.lines == [] and quote.total == Decimal("0.00")
    assert any("no line could be priced" in w for w in quote.warnings)


def test_terms_come_from_the_request_then_the_org_then_the_defaults():
    defaults = QuoteDefaults(
        currency=None,
        rate_base="USD",
        rates={"CNY": Decimal("7.1")},
        payment_terms="T/T",
        incoterm="FOB",
        incoterm_place="Ningbo",
        lead_time="25 days",
        validity_days=30,
    )
    now = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)  # already 1 January in Shanghai
    terms = resolve_terms(
        defaults,
        {"quotes": {"payment_terms": "L/C at sight", "validity_days": 10}},
        org_currency="CNY",
        org_timezone="Asia/Shanghai",
        now=now,
    )
    assert terms.currency == "CNY" and terms.payment_terms == "L/C at sight"
    assert terms.incoterm == "FOB" and terms.incoterm_place == "Ningbo"
    assert terms.valid_until == date(2027, 1, 11)
    asked = resolve_terms(
        defaults, {}, org_currency="CNY", org_timezone="UTC", currency="eur", incoterm="CIF"
    )
    assert asked.currency == "EUR" and asked.incoterm == "CIF" and asked.incoterm_place is None


def test_amounts_are_written_one_way_in_json_and_on_the_quote():
    assert amount(Decimal("1234.5")) == "1234.50"
    assert amount(Decimal("2.1000"), 4) == "2.10"
    assert amount(Decimal("0.0350"), 4) == "0.035"
    assert amount(Decimal("1000.0000"), 4) == "1000.00"
    assert money(Decimal("0.0350"), "USD", "en", places=4) == "0.035 USD"
    assert money(Decimal("1234.5"), "EUR", "es") == "1.234,50 EUR"
    assert quantity(Decimal("500.000")) == "500" and quantity(Decimal("2.50")) == "2.5"


CONFIG_PER_USD = Rates("USD", {"EUR": Decimal("0.92"), "CNY": Decimal("7.2")})


def test_an_org_with_its_own_rate_base_gets_the_config_rates_rebased_onto_it():
    """Regression: an org quoting per CNY (rate_base CNY, its own USD rate) had the config's
    per-USD rates applied as if they were per CNY: CNY -> EUR came out 0.92, not ~0.128."""
    org = CONFIG_PER_USD.for_org({"quotes": {"rate_base": "cny", "rates": {"USD": "0.139"}}})
    assert org.base == "CNY"
    assert org.rate("CNY", "EUR") == Decimal("0.127778")  # 0.92 / 7.2
    assert org.rate("CNY", "USD") == Decimal("0.139000")  # the org's own rate wins
    assert all(isinstance(r, Decimal) for r in org.per_base.values())
    quote = price_items([item(product("A", "100.00", currency="CNY"), "10")], "EUR", org)
    assert quote.exchange_rate == Decimal("0.127778") and quote.total == Decimal("127.78")
    # The same base as the config: the org's rates simply override (nothing rebased).
    same = CONFIG_PER_USD.for_org({"quotes": {"rates": {"eur": "0.90"}}})
    assert (same.rate("USD", "EUR"), same.rate("USD", "CNY")) == (
        Decimal("0.900000"),
        Decimal("7.200000"),
    )


def test_config_rates_that_cant_be_rebased_are_left_out_not_misapplied():
    # The config has no rate for the org's base (JPY): only the org's own rates apply, and
    # a currency neither knows is refused with a warning instead of priced wrongly.
    org = CONFIG_PER_USD.for_org({"quotes": {"rate_base": "JPY", "rates": {"USD": "0.0067"}}})
    assert org.rate("JPY", "USD") == Decimal("0.006700")
    assert org.rate("JPY", "EUR") is None
    quote = price_items([item(product("A", "1000", currency="JPY"), "1")], "EUR", org)
    assert quote.lines == [] and [r for _, r in quote.unquoted] == ["no_rate"]
