"""Catalogs as merchants really export them: bracketed or currency-named headers, title rows,
semicolon CSV with decimal commas, GB18030 CSV, prices with currency signs, MOQ written with
units or thousands separators, placeholders for "no price", duplicate SKUs, selling points.

Regressions: "Unit Price (USD)" was not recognised, so every product was imported without a
price and nothing said so; "1,000" and "500 pcs" MOQs rejected the row; "1.234,50" was read
as 1.2345; "€12,50" was stored in the org's currency; a semicolon or GBK CSV was refused; a
SKU on two rows was counted as created and updated.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import Workbook

from agents.quotes.catalog import _currency_cell, import_catalog, parse_moq, parse_price
from storage.repositories import products


async def _catalog(pool, org_id):
    async with pool.acquire() as conn:
        return {p.sku: p for p in await products.active(conn, org_id)}


async def test_header_variants_and_extra_columns(pool, shop, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(
        "Item No.,Product Name,Name (EN),Unit Price (USD),MOQ (pcs),UOM,Category,Stock\n"
        'LMP-1,Lámpara LED,LED lamp,"1,200.50","1,000",pcs,Lighting,30\n'
        "FAN-2,Ventilador,Desk fan,15,500 pcs,sets,Home,3\n",
        encoding="utf-8",
    )
    report = await import_catalog(pool, shop.org_id, path, default_currency="EUR")
    assert (report.created, report.errors, report.warnings) == (2, [], [])
    catalog = await _catalog(pool, shop.org_id)
    lamp, fan = catalog["LMP-1"], catalog["FAN-2"]
    assert (lamp.price, lamp.currency, lamp.moq, lamp.name_en) == (
        Decimal("1200.50"),
        "USD",
        1000,
        "LED lamp",
    )
    assert (fan.price, fan.currency, fan.moq, fan.unit) == (Decimal("15"), "USD", 500, "sets")


async def test_semicolon_csv_with_title_row_and_decimal_commas(pool, shop, tmp_path):
    path = tmp_path / "lista.csv"
    path.write_text(
        "Lista de precios 2026;;;\n\n"
        "Referencia;Nombre;Precio;Pedido mínimo;Unidad\n"
        "ES-1;Aceite de oliva 1L;€4,75;1.000;botella\n"
        'ES-2;Jamón ibérico;"1.234,50 €";5;pieza\n',
        encoding="utf-8",
    )
    report = await import_catalog(pool, shop.org_id, path, default_currency="USD")
    assert (report.created, report.errors) == (2, [])
    catalog = await _catalog(pool, shop.org_id)
    assert (catalog["ES-1"].price, catalog["ES-1"].currency, catalog["ES-1"].moq) == (
        Decimal("4.75"),
        "EUR",
        1000,
    )
    assert (catalog["ES-2"].price, catalog["ES-2"].currency) == (Decimal("1234.50"), "EUR")


async def test_gb18030_csv_from_chinese_excel(pool, shop, tmp_path):
    path = tmp_path / "目录.csv"
    path.write_bytes(
        "货号,品名,单价(元),起订量,单位,卖点\n"
        "ZH-1,竹制砧板,35.5,500个,个,天然竹材；防霉\n"
        'ZH-2,陶瓷碗,￥12,"1,000",只,\n'.encode("gb18030")
    )
    report = await import_catalog(pool, shop.org_id, path, default_currency="USD")
    assert (report.created, report.errors) == (2, [])
    catalog = await _catalog(pool, shop.org_id)
    board = catalog["ZH-1"]
    assert (board.name, board.price, board.currency, board.moq) == (
        "竹制砧板",
        Decimal("35.5"),
        "CNY",
        500,
    )
    assert board.selling_points == ["天然竹材", "防霉"]
    assert (catalog["ZH-2"].currency, catalog["ZH-2"].moq) == ("CNY", 1000)


async def test_xlsx_with_title_blank_rows_duplicates_and_placeholders(pool, shop, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["ACME Trading - price list"])
    sheet.append([])
    sheet.append(["SKU", "Name", "Price", "Currency", "MOQ", "Selling points"])
    sheet.append(["X-1", "LED lamp", 1200.5, "usd", 1000, "Energy saving\nLong life"])
    sheet.append([None, None, None, None, None, None])
    sheet.append([1002, "Desk fan", "POA", "USD", None, None])
    sheet.append(["X-1", "LED lamp v2", 1300, "RMB", 1000, None])
    path = tmp_path / "catalog.xlsx"
    book.save(path)
    report = await import_catalog(pool, shop.org_id, path, default_currency="EUR")
    assert (report.created, report.updated, report.errors) == (2, 0, [])
    assert report.warnings == [
        "line 6: price 'POA' is not a number: imported without a price",
        "line 7: SKU X-1 is also on line 4; line 7 is the one imported",
    ]
    catalog = await _catalog(pool, shop.org_id)
    assert (catalog["X-1"].name, catalog["X-1"].price, catalog["X-1"].currency) == (
        "LED lamp v2",
        Decimal("1300"),
        "CNY",  # RMB is stored as the ISO code the rates use
    )
    assert catalog["1002"].price is None
    report = await import_catalog(pool, shop.org_id, path, default_currency="EUR")
    assert (report.created, report.updated) == (0, 2)


async def test_price_sign_contradicting_the_currency_cell_is_a_bad_row(pool, shop, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("SKU,name,price,currency\nA-1,Thing,€5,USD\n", encoding="utf-8")
    report = await import_catalog(pool, shop.org_id, path, default_currency="USD")
    assert report.created == 0
    assert report.errors == ["line 2: price '€5' is in EUR but the currency cell says USD"]


@pytest.mark.parametrize(
    ("raw", "price"),
    [("1.234,56", "1234.56"), ("€12,50", "12.50"), ("US$ 1,200.50", "1200.50"),
     ("1.234.567", "1234567"), ("12,50 €", "12.50"), ("N/A", None), ("面议", None)],
)  # fmt: skip
def test_merchant_price_cells(raw, price):
    assert parse_price(raw) == (None if price is None else Decimal(price))


@pytest.mark.parametrize(
    ("raw", "moq"),
    [("1,000", 1000), ("1.000", 1000), ("500 pcs", 500), ("≥ 200", 200), ("10 000", 10000),
     (300, 300), ("", None)],
)  # fmt: skip
def test_merchant_moq_cells(raw, moq):
    assert parse_moq(raw) == moq


def test_a_fractional_moq_is_refused():
    with pytest.raises(ValueError, match="whole"):
        parse_moq("2.5")


async def test_a_workbook_opening_on_an_instructions_sheet(pool, shop, tmp_path):
    # Regression: only the first sheet was read, so "no sku and no name column".
    book = Workbook()
    book.active.title = "Read me"
    book.active.append(["Prices valid until 2026-12-31. Contact sales@example.com"])
    sheet = book.create_sheet("Catalog")
    sheet.append(["SKU", "Name", "Price"])
    sheet.append(["W-1", "Widget", 3])
    path = tmp_path / "catalog.xlsx"
    book.save(path)
    report = await import_catalog(pool, shop.org_id, path, default_currency="USD")
    assert (report.created, report.errors) == (1, [])


@pytest.mark.parametrize(
    ("cell", "code"),
    [("Euro", "EUR"), ("US Dollar", "USD"), ("dólares", "USD"), ("RMB", "CNY"),
     ("人民币", "CNY"), ("€", "EUR"), ("usd", "USD")],
)  # fmt: skip
def test_currency_cells_in_words_and_signs(cell, code):
    # Regression: "Euro" or "人民币" in the currency column refused the row ("not an ISO
    # 4217 code") and "RMB" was stored as RMB, which no exchange rate knows.
    assert _currency_cell(cell) == code


async def test_one_decimal_mark_per_price_column(pool, shop, tmp_path):
    # Regression: each cell was guessed alone, so "€1.250" was 1.25 but "€1,250" was 1250,
    # and "0,125" (a sub-cent European price) was imported as 125, a thousand times too high.
    path = tmp_path / "lista.csv"
    path.write_text(
        "Referencia;Nombre;Precio\n"
        "ES-1;Tapón;0,125\n"
        "ES-2;Botella;€1,250\n"
        "ES-3;Caja;€1.250\n"
        "ES-4;Palé;12,50\n",
        encoding="utf-8",
    )
    report = await import_catalog(pool, shop.org_id, path, default_currency="EUR")
    assert (report.created, report.errors, report.warnings) == (4, [], [])
    catalog = await _catalog(pool, shop.org_id)
    assert [catalog[s].price for s in ("ES-1", "ES-2", "ES-3", "ES-4")] == [
        Decimal("0.125"), Decimal("1.250"), Decimal("1250"), Decimal("12.50"),
    ]  # fmt: skip


async def test_a_column_of_dot_decimals_reads_a_comma_as_thousands(pool, shop, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text('SKU,Name,Price\nA-1,Crate,"1,250"\nA-2,Lid,0.35\n', encoding="utf-8")
    report = await import_catalog(pool, shop.org_id, path, default_currency="USD")
    assert (report.created, report.errors, report.warnings) == (2, [], [])
    assert (await _catalog(pool, shop.org_id))["A-1"].price == Decimal("1250")


async def test_a_price_the_column_cannot_disambiguate_is_imported_without_one(pool, shop, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("SKU,Name,Price\nA-1,Crate,1.250\nA-2,Lid,3\n", encoding="utf-8")
    report = await import_catalog(pool, shop.org_id, path, default_currency="USD")
    assert (report.created, report.errors) == (2, [])
    [warning] = report.warnings
    assert warning.startswith("line 2: price '1.250' could be thousands or decimals")
    catalog = await _catalog(pool, shop.org_id)
    assert (catalog["A-1"].price, catalog["A-2"].price) == (None, Decimal("3"))


async def test_a_second_price_columns_currency_does_not_label_the_first(pool, shop, tmp_path):
    # Regression: "SKU,Name,Price,Price (USD)" took its prices from "Price" and its currency
    # from "Price (USD)", so a 15.00 EUR bottle became 15.00 USD.
    path = tmp_path / "catalog.csv"
    path.write_text("SKU,Name,Price,Price (USD)\nA1,Bottle,15.00,2.10\n", encoding="utf-8")
    report = await import_catalog(pool, shop.org_id, path, default_currency="EUR")
    assert (report.created, report.errors) == (1, [])
    assert report.warnings == ["prices are read from column 'Price'; 'Price (USD)' ignored"]
    bottle = (await _catalog(pool, shop.org_id))["A1"]
    assert (bottle.price, bottle.currency) == (Decimal("15.00"), "EUR")


async def test_the_price_column_in_the_orgs_currency_is_preferred(pool, shop, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("SKU,Name,Price (CNY),Price (USD)\nA1,Bottle,15.00,2.10\n", encoding="utf-8")
    report = await import_catalog(pool, shop.org_id, path, default_currency="USD")
    assert report.warnings == ["prices are read from column 'Price (USD)'; 'Price (CNY)' ignored"]
    bottle = (await _catalog(pool, shop.org_id))["A1"]
    assert (bottle.price, bottle.currency) == (Decimal("2.10"), "USD")


async def test_whole_unit_price_sheets_read_commas_as_thousands(pool, shop, tmp_path):
    # Regression: a JPY/KRW/VND/RMB B2B sheet's "1,200", "3,500", "12,000" each raised
    # AmbiguousPrice and were imported without a price.
    path = tmp_path / "catalog.csv"
    path.write_text(
        'SKU,Name,Price\nJ-1,Mug,"1,200"\nJ-2,Bowl,"3,500"\nJ-3,Cup,800\nJ-4,Pot,"12,000"\n',
        encoding="utf-8",
    )
    report = await import_catalog(pool, shop.org_id, path, default_currency="USD")
    assert (report.created, report.errors, report.warnings) == (4, [], [])
    catalog = await _catalog(pool, shop.org_id)
    assert [catalog[s].price for s in ("J-1", "J-2", "J-3", "J-4")] == [
        Decimal("1200"), Decimal("3500"), Decimal("800"), Decimal("12000"),
    ]  # fmt: skip


async def test_a_yen_sheet_reads_a_dot_as_thousands(pool, shop, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(
        "SKU,Name,Price,Currency\nJ-1,Mug,1.250,JPY\nJ-2,Lid,1.250,USD\nJ-3,Cup,800,JPY\n",
        encoding="utf-8",
    )
    report = await import_catalog(pool, shop.org_id, path, default_currency="USD")
    assert (report.created, report.errors) == (3, [])
    [warning] = report.warnings  # the USD one stays undecided
    assert warning.startswith("line 3: price '1.250' could be thousands or decimals")
    catalog = await _catalog(pool, shop.org_id)
    assert (catalog["J-1"].price, catalog["J-2"].price) == (Decimal("1250"), None)


async def test_a_comma_decimal_elsewhere_in_the_column_keeps_a_comma_undecided(
    pool, shop, tmp_path
):
    # "12,50" and "1,234.50" disagree: the column shows no one mark, and "1,250" beside a
    # comma decimal is no safe thousands.
    path = tmp_path / "catalog.csv"
    path.write_text(
        'SKU,Name,Price\nA-1,Crate,"1,250"\nA-2,Lid,"12,50"\nA-3,Box,"1,234.50"\n',
        encoding="utf-8",
    )
    report = await import_catalog(pool, shop.org_id, path, default_currency="EUR")
    [warning] = report.warnings
    assert warning.startswith("line 2: price '1,250' could be thousands or decimals")
