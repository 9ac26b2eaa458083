"""A quantity asked in another unit than the catalog prices in is flagged, not silently
re-read.

Regression: "500 cartons of SKU-1" for a product priced per piece was quoted as 500 pieces
with no word about it (a carton holds dozens: the buyer expects ~50x more goods).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.quotes.parser import parse_request
from agents.quotes.pricing import Rates, price_items, same_unit

from .test_parser import CATALOG

RATES = Rates("USD", {"CNY": Decimal("7.10")})


def warnings_for(text: str) -> list[str]:
    return price_items(parse_request(text, CATALOG).items, "USD", RATES).warnings


def test_cartons_of_a_product_priced_per_piece_are_flagged():
    assert warnings_for("500 cartons of SKU-1") == [
        "SKU-1: 500 cartons requested, priced as 500 pcs (the catalog's unit): check the packing"
    ]
    assert "箱" in warnings_for("500箱保温杯")[0]


@pytest.mark.parametrize(
    "text", ["500 unidades de SKU-1", "500个保温杯", "500 x SKU-1", "300 pieces of SKU-2"]
)
def test_the_same_unit_in_other_words_is_no_warning(text):
    assert warnings_for(text) == []


def test_unknown_units_are_not_second_guessed():
    assert same_unit("doz", "pcs") and same_unit(None, "pcs") and same_unit("pares", "pair")
    assert not same_unit("kg", "pcs")
