"""Quantities in words and bare quantities in quote requests.

Regressions: "我要五百个保温杯", "quinientas unidades de botella" and "five hundred pcs of ..."
found no items ("no items found in the request"), and a staff's "/quote Ana 500 bottles"
was refused though "bottle" names a catalog product.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from agents.quotes.numbers import word_number, zh_number
from agents.quotes.parser import parse_request

from .test_parser import CATALOG


def found(text: str, **kwargs):
    request = parse_request(text, CATALOG, **kwargs)
    return [(i.product.sku if i.product else i.description, i.quantity) for i in request.items]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我要五百个保温杯", [("TB-9", 500)]),
        ("两千五百件SKU-2，一千零五十个保温杯", [("SKU-2", 2500), ("TB-9", 1050)]),
        ("quinientas unidades de botella térmica", [("TB-9", 500)]),
        ("mil quinientas piezas de SKU-2 y doscientas unidades de SKU-1",
         [("SKU-2", 1500), ("SKU-1", 200)]),
        ("five hundred pcs of steel bottle", [("SKU-1", 500)]),
        ("one hundred and fifty pcs of SKU-1 and two dozen sets of SKU-2",
         [("SKU-1", 150), ("SKU-2", 24)]),
        ("I need a thousand pcs of SKU-1", [("SKU-1", 1000)]),
    ],
)  # fmt: skip
def test_quantities_in_words(text, expected):
    assert found(text) == [(sku, Decimal(qty)) for sku, qty in expected]


def test_numerals_inside_product_names_are_left_alone():
    # Only a numeral right before a unit is a quantity: "一次性" (disposable) is not 1.
    assert found("一次性杯子") == []
    assert zh_number("五百") == 500 and zh_number("两万") == 20000
    assert word_number("mil quinientas") == 1500 and word_number("hello") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can you quote 500 steel bottles?", [("SKU-1", 500)]),
        ("500保温杯", [("TB-9", 500)]),
        ("Hi, 300 Bamboo lids and 20 x SKU-1", [("SKU-2", 300), ("SKU-1", 20)]),
    ],
)
def test_bare_quantities_before_a_catalog_product(text, expected):
    assert found(text) == [(sku, Decimal(qty)) for sku, qty in expected]


def test_bare_quantities_are_not_read_in_customer_messages_or_as_sizes():
    # A customer's message is quoted only on explicit forms: this is a complaint.
    assert found("I got 2 steel bottles broken", bare_quantities=False) == []
    # "500 ml" is a size, and a number before something not in the catalog is no item.
    assert found("500 ml steel bottle") == []
    assert found("we sold 500 chairs") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500 pcs of bottles", [("SKU-1", 500)]),
        ("300 pcs of lids", [("SKU-2", 300)]),
        ("200个保温", [("TB-9", 200)]),
    ],
)
def test_a_reference_inside_one_product_name_finds_it(text, expected):
    # Regression: buyers write part of the name ("bottles" for "Steel bottle"); that was
    # an unknown product, never quoted.
    assert found(text) == [(sku, Decimal(qty)) for sku, qty in expected]


def test_a_reference_inside_several_product_names_stays_unknown():
    glass = CATALOG[0].model_copy(
        update={"id": uuid.uuid4(), "sku": "SKU-7", "name": "Glass bottle"}
    )
    catalog = [*CATALOG, glass]
    request = parse_request("500 pcs of bottles", catalog)
    assert [(i.description, i.product) for i in request.items] == [("bottles", None)]


@pytest.mark.parametrize(
    ("text", "incoterm", "place"),
    [
        ("500个保温杯，人民币 CIF 上海", "CIF", "上海"),
        ("500个保温杯 FOB宁波港", "FOB", "宁波港"),
        ("500个保温杯，FOB 深圳。谢谢", "FOB", "深圳"),
        ("500 x SKU-1 USD FOB Ningbo", "FOB", "Ningbo"),
        ("500 x SKU-1 CIF USD", "CIF", None),
    ],
)
def test_incoterm_places_in_chinese(text, incoterm, place):
    # Regression: "FOB宁波" found no Incoterm at all (no word boundary between F and 宁),
    # and "CIF 上海" lost its place.
    request = parse_request(text, CATALOG)
    assert (request.incoterm, request.incoterm_place) == (incoterm, place)
    assert request.items


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("500 x SKU-1 in €", "EUR"),
        ("500 x SKU-1 £", "GBP"),
        ("500个保温杯 报价用￥", "CNY"),
        ("500 x SKU-1 en pesos", "MXN"),
        ("500 unidades de SKU-1 en reales", "BRL"),
        ("500 x SKU-1 in US$ FOB", "USD"),
        ("500个保温杯，英镑", "GBP"),
    ],
)
def test_currency_signs_and_more_currency_words(text, currency):
    # Regression: "500 x SKU-1 in €" was quoted in the default currency.
    request = parse_request(text, CATALOG)
    assert request.currency == currency and request.items


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("necesito 1.000 unidades de SKU-1", [("SKU-1", "1000")]),
        ("10.000 piezas de SKU-2", [("SKU-2", "10000")]),
        ("1.000 x SKU-1", [("SKU-1", "1000")]),
        ("2.5 unidades de SKU-1", [("SKU-1", "2.5")]),
        ("1.500 kg of SKU-2", [("SKU-2", "1.5")]),
    ],
)
def test_dot_grouped_thousands_of_pieces(text, expected):
    # Regression: "1.000 unidades" (Spanish for a thousand) was quoted as 1 unit.
    assert found(text) == [(sku, Decimal(qty)) for sku, qty in expected]
