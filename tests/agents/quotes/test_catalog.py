"""Catalog import from CSV and XLSX: upsert by SKU per org, bad rows reported and skipped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import Workbook

from agents.quotes import CatalogError
from agents.quotes.catalog import AmbiguousPrice, _specs, import_catalog, parse_price
from storage.repositories import products

CSV = "\n".join(
    [
        "SKU,name,name_en,description,price,currency,MOQ,unit,specs,keywords",
        'BTL-500,保温杯 500ml,Thermos bottle 500 ml,304 steel,"1,234.50",cny,500,pcs,'
        'material: 304 steel; capacity: 500 ml,"thermos, 保温杯"',
        "LID-1,Bamboo lid,,,0.35,,100,pcs,,",
        "BAD-1,Broken row,,,abc,USD,,pcs,,",
        ",No SKU,,,1,USD,,pcs,,",
        "",
    ]
)


async def _catalog(pool, org_id):
    async with pool.acquire() as conn:
        return {p.sku: p for p in await products.active(conn, org_id)}


async def test_csv_rows_are_upserted_and_bad_rows_reported(pool, shop, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(CSV, encoding="utf-8")
    report = await import_catalog(pool, shop.org_id, path, default_currency="EUR")
    assert (report.created, report.updated) == (2, 0)
    assert [e.split(":")[0] for e in report.errors] == ["line 4", "line 5"]
    catalog = await _catalog(pool, shop.org_id)
    bottle = catalog["BTL-500"]
    assert bottle.price == Decimal("1234.50") and bottle.currency == "CNY" and bottle.moq == 500
    assert bottle.name_en == "Thermos bottle 500 ml"
    assert bottle.specs == {"material": "304 steel", "capacity": "500 ml"}
    assert bottle.keywords == ["thermos", "保温杯"]
    assert catalog["LID-1"].currency == "EUR"  # the org's default when the row has none

    path.write_text("SKU,name,price\nLID-1,Bamboo lid v2,0.40\n", encoding="utf-8")
    again = await import_catalog(pool, shop.org_id, path, default_currency="USD")
    assert (again.created, again.updated, again.errors) == (0, 1, [])
    assert (await _catalog(pool, shop.org_id))["LID-1"].price == Decimal("0.40")


async def test_xlsx_with_chinese_headers(pool, shop, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["货号", "品名", "单价", "币种", "起订量", "单位"])
    sheet.append(["XL-1", "竹盖", 0.35, "USD", 1000, "个"])
    sheet.append(["XL-2", "玻璃瓶", 2, "USD", None, "个"])
    path = tmp_path / "catalog.xlsx"
    book.save(path)
    report = await import_catalog(pool, shop.org_id, path, default_currency="USD")
    assert (report.created, report.errors) == (2, [])
    catalog = await _catalog(pool, shop.org_id)
    assert catalog["XL-1"].price == Decimal("0.35") and catalog["XL-1"].moq == 1000
    assert catalog["XL-2"].price == Decimal("2") and catalog["XL-2"].unit == "个"


async def test_a_file_without_sku_column_is_refused(pool, shop, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("name,price\nThing,1\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="no sku"):
        await import_catalog(pool, shop.org_id, path, default_currency="USD")


@pytest.mark.parametrize(
    ("raw", "price"),
    [("2.10", "2.10"), ("$2.10", "2.10"), ("1,234.50", "1234.50"), ("2,50", "2.50"),
     ("1,000,000", "1000000"), (0.35, "0.35"), ("", None)],
)  # fmt: skip
def test_prices_are_read_as_decimals(raw, price):
    assert parse_price(raw) == (None if price is None else Decimal(price))


@pytest.mark.parametrize(
    ("raw", "decimal", "price"),
    [("1,000", ".", "1000"), ("1,000", ",", "1.000"), ("€1.250", ",", "1250"),
     ("€1,250", ",", "1.250"), ("0,125", None, "0.125"), ("0,125", ",", "0.125")],
)  # fmt: skip
def test_a_cell_that_could_be_thousands_is_read_with_the_columns_decimal_mark(raw, decimal, price):
    assert parse_price(raw, decimal) == Decimal(price)


def test_a_dot_cell_that_could_be_thousands_is_not_guessed_without_the_column():
    # "1,250" alone used to be pinned ambiguous too; a lone comma now groups thousands.
    with pytest.raises(AmbiguousPrice):
        parse_price("1.250")
    with pytest.raises(AmbiguousPrice):
        parse_price("1,250", comma_thousands=False)


@pytest.mark.parametrize(
    ("raw", "price"),
    [("1,200", "1200"), ("3,500", "3500"), ("12,000", "12000"), ("800", "800"),
     ("¥1,200", "1200"), ("-1,200", None)],
)  # fmt: skip
def test_a_lone_comma_followed_by_three_digits_groups_thousands(raw, price):
    # Regression: JPY/KRW/VND/RMB B2B sheets' "1,200" raised AmbiguousPrice for every comma
    # cell and was imported without a price.
    if price is None:
        with pytest.raises(ValueError, match="negative"):
            parse_price(raw)
    else:
        assert parse_price(raw) == Decimal(price)


@pytest.mark.parametrize("raw", ["1.250", "¥1.250", "1,250"])
def test_a_currency_without_minor_unit_reads_either_mark_as_thousands(raw):
    assert parse_price(raw, whole_units=True, comma_thousands=False) == Decimal("1250")


async def test_skus_differing_in_case_are_different_products(pool, shop, tmp_path):
    """Regression: the report compared SKUs case-blind while the catalog key is exact, so a
    new ``lid-1`` beside ``LID-1`` was counted as an update."""
    path = tmp_path / "catalog.csv"
    path.write_text("SKU,name,price\nLID-1,Bamboo lid,0.35\n", encoding="utf-8")
    await import_catalog(pool, shop.org_id, path, default_currency="USD")
    path.write_text("SKU,name,price\nlid-1,Cork lid,0.30\n", encoding="utf-8")
    report = await import_catalog(pool, shop.org_id, path, default_currency="USD")
    assert (report.created, report.updated) == (1, 0)
    assert {"LID-1", "lid-1"} <= set(await _catalog(pool, shop.org_id))


@pytest.mark.parametrize(
    ("cell", "specs"),
    [
        ("80% organic cotton; sizes S/M/L", {"notes": "80% organic cotton; sizes S/M/L"}),
        (
            "material: cotton; soft; sizes S/M/L",
            {"material": "cotton", "notes": "soft; sizes S/M/L"},
        ),
        ("notes: hand-made; boxed", {"notes": "hand-made; boxed"}),
        ("材质：棉；尺码 S/M/L", {"材质": "棉", "notes": "尺码 S/M/L"}),
        ('{"sizes": ["S", "M"]}', {"sizes": ["S", "M"]}),
        ("", {}),
    ],
)
def test_free_text_specs_parts_are_all_kept_as_notes(cell, specs):
    # Regression: "80% organic cotton; sizes S/M/L" was stored as {"notes": "80% organic
    # cotton"}, the second free-text part lost.
    assert _specs(cell) == specs
