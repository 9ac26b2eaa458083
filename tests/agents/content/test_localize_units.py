"""Unit and currency conversion with rounding; glossary and emoji adaptation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.content.checks import Term
from agents.content.errors import ContentError
from agents.content.localize import (
    apply_glossary,
    convert_price,
    convert_prices,
    convert_units,
    limit_emoji,
)
from agents.quotes.pricing import Rates

RATES = Rates(
    "USD",
    {"USD": Decimal("1"), "EUR": Decimal("0.92"), "BRL": Decimal("5.40"), "JPY": Decimal("150")},
)


@pytest.mark.parametrize(
    ("text", "system", "expected"),
    [
        ("capacity 500 ml", "imperial", "capacity 16.9 fl oz"),
        ("1.5 L bottle", "imperial", "50.7 fl oz bottle"),
        ("20 cm tall, 2 kg", "imperial", "7.9 in tall, 4.4 lb"),
        ("350 g", "imperial", "12.3 oz"),
        ("16 fl oz cup", "metric", "473.2 ml cup"),
        ("12 oz, 2 lb", "metric", "340.2 g, 0.9 kg"),
        ("a 10 inch pan", "metric", "a 25.4 cm pan"),
        ("24 hours, 10 in stock", "metric", "24 hours, 10 in stock"),  # not units
        ("500 ml", "metric", "500 ml"),  # already metric
    ],
)
def test_unit_conversion_rounds_to_one_decimal(text, system, expected):
    assert convert_units(text, system) == expected


def test_currency_conversion_rounds_half_up_to_the_currency_precision():
    assert convert_price(Decimal("12.50"), "USD", "BRL", RATES) == "67.50 BRL"
    assert convert_price(Decimal("12.50"), "USD", "EUR", RATES) == "11.50 EUR"
    assert convert_price(Decimal("9.99"), "EUR", "USD", RATES) == "10.86 USD"  # 10.858...
    assert convert_price(Decimal("0.125"), "USD", "USD", RATES) == "0.13 USD"
    assert convert_price(Decimal("12.50"), "USD", "JPY", RATES) == "1875 JPY"
    with pytest.raises(ContentError, match="MXN"):
        convert_price(Decimal(1), "USD", "MXN", RATES)


def test_currency_conversion_is_the_quotes_one_with_the_org_rate_base_and_rates():
    # Rates per CNY (rate_base), and an org of its own overriding the EUR rate: the same
    # conversion a quotation of that org makes, to the cent.
    per_cny = Rates("CNY", {"USD": Decimal("0.14"), "EUR": Decimal("0.13")})
    assert convert_price(Decimal("100"), "CNY", "USD", per_cny) == "14.00 USD"
    assert convert_price(Decimal("14"), "USD", "CNY", per_cny) == "100.00 CNY"
    org = per_cny.for_org({"quotes": {"rates": {"eur": "0.125"}}})
    assert convert_price(Decimal("100"), "CNY", "EUR", org) == "12.50 EUR"
    assert convert_price(Decimal("7"), "USD", "EUR", org) == (
        f"{(Decimal(7) * org.rate('USD', 'EUR')).quantize(Decimal('0.01'))} EUR"
    )


def test_content_prices_of_an_org_with_its_own_rate_base_use_rebased_config_rates():
    """Regression: config rates per USD and an org quoting per CNY (its own USD rate) were
    mixed as if they shared a base: 100 CNY came out as 92.00 EUR."""
    org = RATES.for_org({"quotes": {"rate_base": "CNY", "rates": {"USD": "0.139"}}})
    jpy = RATES.for_org({"quotes": {"rate_base": "JPY"}})
    assert convert_price(Decimal("100"), "CNY", "USD", org) == "13.90 USD"
    with pytest.raises(ContentError, match="EUR"):
        # the config has no CNY rate to rebase by: EUR is refused, not mispriced
        convert_price(Decimal("100"), "CNY", "EUR", org)
    assert convert_price(Decimal("1500"), "JPY", "EUR", jpy) == "9.20 EUR"  # 0.92 / 150
    with_cny = Rates("USD", {"EUR": Decimal("0.92"), "CNY": Decimal("7.2")})
    org = with_cny.for_org({"quotes": {"rate_base": "CNY", "rates": {"USD": "0.139"}}})
    assert convert_price(Decimal("100"), "CNY", "EUR", org) == "12.78 EUR"  # 0.92 / 7.2


def test_prices_in_text_are_converted_whatever_their_notation():
    text = "Price: 12.50 USD per pcs, or $25 for two"
    assert convert_prices(text, "EUR", RATES) == "Price: 11.50 EUR per pcs, or 23.00 EUR for two"


def test_glossary_terms_are_written_exactly():
    terms = [
        Term("AquaFlask"),
        Term("Leak-proof lid", "translate", "Tapa antigoteo", "es"),
    ]
    text = "La aquaflask 500 con Leak-proof lid."
    assert apply_glossary(text, terms, "es") == "La AquaFlask 500 con Tapa antigoteo."
    # A translation for Spanish does not apply to German.
    assert apply_glossary(text, terms, "de") == "La AquaFlask 500 con Leak-proof lid."


def test_emoji_density():
    text = "Cold 🧊 all day ☀️ and night 🌙 ✓ checked"
    assert limit_emoji(text, "none") == "Cold all day and night ✓ checked"
    assert limit_emoji(text, "low") == "Cold 🧊 all day and night ✓ checked"
    assert limit_emoji(text, "high") == text
