"""The offline item parser in English, Chinese and Spanish, and the LLM path with fallback."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from agents.llm import LLMConfig, LLMGateway
from agents.quotes.extract import extract_items
from agents.quotes.parser import parse_request
from tests.fakes.chat_model import FakeModels

from .test_pricing import product

BOTTLE = product("SKU-1", "2.10")
LID = product("SKU-2", "0.35").model_copy(update={"name": "Bamboo lid"})
CUP = product("TB-9", "15", "CNY").model_copy(
    update={"name": "保温杯", "name_en": "Thermos cup", "keywords": ["botella térmica"]}
)
STEEL = BOTTLE.model_copy(update={"name": "Steel bottle"})
CATALOG = [STEEL, LID, CUP]


def found(text: str):
    request = parse_request(text, CATALOG)
    return [(i.product.sku if i.product else i.description, i.quantity) for i in request.items]


def test_the_command_form_with_currency_and_incoterm():
    request = parse_request("500 x SKU-1, 200 x SKU-2 USD FOB Ningbo", CATALOG)
    assert found("500 x SKU-1, 200 x SKU-2 USD FOB") == [
        ("SKU-1", Decimal(500)),
        ("SKU-2", Decimal(200)),
    ]
    assert (request.currency, request.incoterm, request.incoterm_place) == ("USD", "FOB", "Ningbo")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500x SKU-1", [("SKU-1", 500)]),
        ("SKU-2 x 300", [("SKU-2", 300)]),
        ("1,000 x SKU-1", [("SKU-1", 1000)]),
        (
            "We need 500 pcs of steel bottle and 300 pieces of Bamboo lid",
            [("SKU-1", 500), ("SKU-2", 300)],
        ),
        ("please quote 2000 units thermos cup", [("TB-9", 2000)]),
        ("我要500个保温杯，200件SKU-2", [("TB-9", 500), ("SKU-2", 200)]),
        ("保温杯 300个", [("TB-9", 300)]),
        (
            "Necesito 500 unidades de botella térmica y 100 piezas de SKU-1",
            [("TB-9", 500), ("SKU-1", 100)],
        ),
        ("hello, how much is shipping?", []),
    ],
)
def test_explicit_forms(text, expected):
    assert found(text) == [(sku, Decimal(q)) for sku, q in expected]


def test_a_product_not_in_the_catalog_stays_unknown():
    [item] = parse_request("50 x WIDGET-77", CATALOG).items
    assert item.product is None and item.description == "WIDGET-77"


@pytest.mark.parametrize(
    ("text", "currency"),
    [("500 x SKU-1 人民币", "CNY"), ("500 x SKU-1 en euros", "EUR"), ("500 x SKU-1 rmb", "CNY")],
)
def test_currency_words(text, currency):
    assert parse_request(text, CATALOG).currency == currency


@pytest.fixture
def gateway(pool, redis, keys):
    models = FakeModels()
    config = LLMConfig(provider="openai", model="fake-model", timeout_seconds=5.0)
    return LLMGateway(config, pool, redis, keys, model_factory=models.factory), models


async def test_the_llm_names_catalog_entries_and_never_prices(gateway, pool):
    llm, models = gateway
    models.queue(
        {
            "items": [
                {"product_ref": f"product:{CUP.id}", "description": "thermos", "quantity": 800,
                 "unit": "pcs", "notes": None},
                {"product_ref": None, "description": "gift box", "quantity": None, "unit": None,
                 "notes": None},
            ],
            "missing_info": ["Which colour?"],
            "destination_country": "ES",
        }
    )  # fmt: skip
    org_id = await _org(pool)
    request, engine = await extract_items(
        org_id, "I'd like 800 of your thermos cups in EUR, and some gift boxes", CATALOG,
        gateway=llm,
    )  # fmt: skip
    assert engine == "llm" and request.currency == "EUR"
    assert [(i.product, i.quantity) for i in request.items] == [(CUP, Decimal(800))]
    assert "Which colour?" in request.notes and any("gift box" in n for n in request.notes)


async def test_a_failing_llm_falls_back_to_the_parser(gateway, pool):
    llm, models = gateway
    models.queue(RuntimeError("provider down"))
    request, engine = await extract_items(await _org(pool), "500 x SKU-1", CATALOG, gateway=llm)
    assert engine == "offline" and [i.product for i in request.items] == [STEEL]


async def _org(pool) -> uuid.UUID:
    # usage_logs rows need a real organization; it is left for the session database.
    async with pool.acquire() as conn:
        return await conn.fetchval(
            "INSERT INTO organizations (name, slug) VALUES ('LLM shop', $1) RETURNING id",
            f"llm-{uuid.uuid4().hex[:8]}",
        )


def test_a_product_name_is_not_read_as_a_currency():
    request = parse_request("500 x Euro pallet", CATALOG)
    assert request.currency is None and request.items[0].description == "Euro pallet"


def test_incoterms_in_any_case_with_a_capitalised_place():
    request = parse_request("necesito 500 unidades de SKU-1 cif Valencia por favor", CATALOG)
    assert (request.incoterm, request.incoterm_place) == ("CIF", "Valencia")
    assert [i.product for i in request.items] == [STEEL]
    assert parse_request("500 x SKU-1 fob please", CATALOG).incoterm_place is None
