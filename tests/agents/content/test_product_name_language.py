"""Which catalog name content uses in each language.

Regression: a Chinese merchant's product (name "不锈钢保温杯 500ml", name_en "Steel bottle")
got Spanish, German and Portuguese copy reading "Nuevo en la tienda: 不锈钢保温杯 500ml";
only English copy used name_en.
"""

from __future__ import annotations

import pytest

from agents.content.facts import from_product
from tests.agents.quotes.test_pricing import product

CHINESE_NAMED = product("BTL-500", "2.10").model_copy(
    update={"name": "不锈钢保温杯 500ml", "name_en": "Steel bottle 500 ml"}
)
SPANISH_NAMED = product("MUG-1", "3").model_copy(
    update={"name": "Taza de cerámica", "name_en": "Ceramic mug"}
)


@pytest.mark.parametrize(
    ("item", "language", "name"),
    [
        (CHINESE_NAMED, "es", "Steel bottle 500 ml"),
        (CHINESE_NAMED, "de", "Steel bottle 500 ml"),
        (CHINESE_NAMED, "en", "Steel bottle 500 ml"),
        (CHINESE_NAMED, "zh", "不锈钢保温杯 500ml"),
        (SPANISH_NAMED, "es", "Taza de cerámica"),  # the merchant's own name, not English
        (SPANISH_NAMED, "en", "Ceramic mug"),
        (SPANISH_NAMED, "zh", "Taza de cerámica"),
    ],
)
def test_copy_names_the_product_in_a_script_its_readers_read(item, language, name):
    assert from_product(item, language).name == name


def test_without_an_english_name_the_catalog_name_is_kept():
    plain = CHINESE_NAMED.model_copy(update={"name_en": None})
    assert from_product(plain, "es").name == "不锈钢保温杯 500ml"
