"""Evaluative and size words before a product's head rate it, they do not name another one.

Regression (review 2): "cheapest", "big", "best", "便宜", "barato" before a head counted as a
description the name had to hold, so "your cheapest toothbrush price" and "big mugs" named no
product and the customer was asked "which product?" about the only toothbrush in the catalog.
"""

from __future__ import annotations

import pytest

from agents.drafting.product_names import loose_product_matches
from tests.agents.test_drafting import product

CATALOG = [
    product(sku="BT-4", name="Bamboo Toothbrush (pack of 4)"),
    product(sku="MUG-1", name="Ceramic Mug - White"),
    product(sku="BTL-500", name="Stainless steel bottle 500ml"),
    product(sku="ZH-1", name="不锈钢保温杯500ml"),
    product(sku="ZH-2", name="儿童牙刷"),
]


def _skus(message: str) -> list[str]:
    return [p.sku for p in loose_product_matches(message, CATALOG)]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("your cheapest toothbrush price", ["BT-4"]),
        ("big mugs, how much?", ["MUG-1"]),
        ("price of your best small bottles", ["BTL-500"]),
        ("I want the cheap bottles", ["BTL-500"]),
        ("good soft toothbrushes for kids", ["BT-4"]),
        ("new mugs?", ["MUG-1"]),
        ("precio del más barato toothbrush", ["BT-4"]),
        ("便宜牙刷多少钱", ["ZH-2"]),
        ("最便宜的保温杯多少钱", ["ZH-1"]),
        ("大号保温杯有吗", ["ZH-1"]),
    ],
)
def test_evaluative_and_size_words_do_not_contradict_the_name(message, expected):
    assert _skus(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("your cheapest electric toothbrush", []),  # "electric" still describes another one
        ("how much is the electric toothbrush?", []),
        ("big plastic mugs", []),
        ("便宜的电动牙刷", []),
        ("电动牙刷多少钱", []),
    ],
)
def test_a_real_description_still_contradicts_beside_an_evaluative_word(message, expected):
    assert _skus(message) == expected
