"""Catalog import (`trademate products import`): CSV or XLSX rows upserted by SKU per org.

Columns (see ``catalog_file`` for the header and file variants understood): SKU, name,
name_en, description, price, currency, MOQ, unit, specs, keywords, selling points. Only SKU
and name are required. A bad row is reported with its line number and skipped; the good rows
are imported in one transaction. What is imported differently from the cell (a "N/A" price,
a SKU on two rows) is reported as a warning.

Prices are read with one decimal mark per file: "1.234,50", "12,50" or "0,125" show a comma,
"1,234.50" or "12.50" a dot, and a cell that could be either ("1,250", "€1.250": one mark
followed by three digits) is read the way the column's other cells show. When none does, a
comma groups thousands ("1,200", "12,000": the common case, and how JPY/KRW/VND/RMB B2B
sheets write whole prices) unless another cell shows a comma decimal; a lone "1.250" is
imported without a price and a warning (1250 and 1.250 differ a thousandfold), except in a
currency with no minor unit (JPY, KRW, VND, CLP...), where it can only be 1250.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import asyncpg

from storage.db import transaction
from storage.repositories import products

from .catalog_file import currency_in, read_rows

__all__ = [
    "AmbiguousPrice", "CatalogRow", "ImportReport", "column_decimal_mark", "decimal_mark",
    "import_catalog", "parse_price", "parse_row", "read_rows",
]  # fmt: skip

_LIST_SPLIT = re.compile(r"[,;|，、；]")
# What merchants write in a price cell for "no list price": the product is imported unpriced
# (quotes then list it as "not quoted"), with a warning. Any other text is a bad row.
NO_PRICE = frozenset(
    ("-", "—", "–", "n/a", "na", "tbd", "tba", "poa", "on request", "ask", "面议", "询价",
     "电议", "待定", "consultar", "a consultar", "bajo pedido", "s/p")
)  # fmt: skip


# One mark followed by exactly three digits, after at most three digits that do not start
# with 0: a thousands group ("1,250") or three decimals ("1,250" = 1.25) alike. "0,125" and
# "1250,125" are no thousands group, so they are decimals.
_AMBIGUOUS = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")


# ISO 4217 currencies with no minor unit: a price in them has no decimals, so "1.250" or
# "1,250" can only group thousands.
WHOLE_UNIT_CURRENCIES = frozenset(
    ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
     "VUV", "XAF", "XOF", "XPF")
)  # fmt: skip


class AmbiguousPrice(ValueError):
    """A price cell whose one mark may group thousands or start decimals ("1,250")."""


@dataclass(frozen=True)
class CatalogRow:
    line: int
    sku: str
    name: str
    name_en: str | None
    description: str | None
    price: Decimal | None
    currency: str
    moq: int | None
    unit: str
    specs: dict[str, Any]
    keywords: list[str]
    selling_points: list[str] = field(default_factory=list)
    # Things imported differently from what the cell said (shown, never silent).
    warnings: tuple[str, ...] = ()


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "created": self.created,
            "updated": self.updated,
            "errors": self.errors,
        }
        if self.warnings:  # only when there are some: a clean import keeps its short shape
            report["warnings"] = self.warnings
        return report


def parse_row(
    row: dict[str, Any],
    default_currency: str,
    *,
    decimal: str | None = None,
    comma_thousands: bool = True,
) -> CatalogRow:
    """One validated row; raises ValueError naming the bad field. ``decimal`` is the decimal
    mark the price column shows (:func:`column_decimal_mark`); ``comma_thousands`` is False
    when some cell of the column shows a comma decimal (see :func:`parse_price`).

    The currency is the currency cell's, else the one the price cell is written in
    ("€12,50"), else the one the price header names ("Price (USD)"), else the org's."""
    sku, name = _text(row.get("sku")), _text(row.get("name"))
    if not sku or not name:
        raise ValueError("SKU and name are required")
    warnings: list[str] = []
    raw_price = row.get("price")
    currency = _row_currency(row, raw_price, default_currency)
    try:
        price = parse_price(
            raw_price,
            decimal,
            comma_thousands=comma_thousands,
            whole_units=currency in WHOLE_UNIT_CURRENCIES,
        )
    except AmbiguousPrice:
        price = None
        warnings.append(
            f"price {_text(raw_price)!r} could be thousands or decimals and no other price in "
            f"the column shows which (like 12.50 or 12,50): imported without a price"
        )
    else:
        if price is None and _text(raw_price):
            warnings.append(f"price {_text(raw_price)!r} is not a number: imported without a price")
    return CatalogRow(
        line=int(row.get("_line", 0)),
        sku=sku,
        name=name,
        name_en=_text(row.get("name_en")),
        description=_text(row.get("description")),
        price=price,
        currency=currency,
        moq=parse_moq(row.get("moq")),
        unit=_text(row.get("unit")) or "pcs",
        specs=_specs(row.get("specs")),
        keywords=_list(row.get("keywords")),
        selling_points=_points(row.get("selling_points")),
        warnings=tuple(warnings),
    )


def _row_currency(row: dict[str, Any], raw_price: Any, default_currency: str) -> str:
    """The currency cell's, else the price cell's ("€12,50"), else the price header's
    ("Price (USD)"), else the org's; a currency cell contradicting the price cell is an error."""
    cell_currency = _currency_cell(row.get("currency"))
    price_currency = currency_in(raw_price) if isinstance(raw_price, str) else None
    if cell_currency and price_currency and cell_currency != price_currency:
        raise ValueError(
            f"price {raw_price!r} is in {price_currency} but the currency cell says {cell_currency}"
        )
    return (
        cell_currency or price_currency or row.get("_header_currency") or default_currency
    ).upper()


def _currency_cell(value: Any) -> str | None:
    """A currency cell as an ISO code: "usd", "RMB", "€", "美元" all work."""
    text = _text(value)
    if not text:
        return None
    code = currency_in(text) or text.upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(f"currency {text!r} is not an ISO 4217 code")
    return code


def parse_moq(value: Any) -> int | None:
    """A whole minimum order from 500, "1,000", "1.000", "500 pcs" or "≥500"."""
    text = _text(value)
    if not text:
        return None
    found = re.search(r"\d{1,3}(?:([,.\s])\d{3})(?:\1\d{3})*(?![\d.,])|\d+(?:\.\d+)?", text)
    if found is None:
        raise ValueError(f"MOQ {text!r} is not a number")
    number = found.group(0)
    if found.group(1):  # thousands grouped: "1,000", "1.000", "10 000"
        number = re.sub(r"[,.\s]", "", number)
    moq = Decimal(number)
    if moq <= 0:
        raise ValueError("MOQ must be positive")
    if moq != moq.to_integral_value():
        raise ValueError(f"MOQ {text!r} is not a whole number")
    return int(moq)


def decimal_mark(value: Any) -> str | None:
    """The decimal mark a price cell shows beyond doubt: "," for "1.234,50", "12,50",
    "0,125" or "1.234.567"; "." for "1,234.50", "12.50" or "1,234,567". None for a number
    (a spreadsheet's), a whole number, or a cell that could be either ("1,250")."""
    if not isinstance(value, str):
        return None
    text = _number_text(value)
    if "," in text and "." in text:
        return "," if text.rfind(",") > text.rfind(".") else "."
    for mark, other in ((",", "."), (".", ",")):
        if mark in text:
            if text.count(mark) > 1:  # it groups thousands
                return other
            return None if _AMBIGUOUS.fullmatch(text.lstrip("-")) else mark
    return None


def column_decimal_mark(values: Iterable[Any]) -> str | None:
    """The one decimal mark a column's cells show; None when none shows one, or when they
    disagree (then each clear cell still reads as it shows, an ambiguous one is not read)."""
    marks = {decimal_mark(v) for v in values} - {None}
    return marks.pop() if len(marks) == 1 else None


def parse_price(
    value: Any,
    decimal: str | None = None,
    *,
    comma_thousands: bool = True,
    whole_units: bool = False,
) -> Decimal | None:
    """Decimal from 2.1, "2.10", "1,234.50", "1.234,50", "2,50", "$2.10", "€12,50" or
    "RMB 3"; None when blank or a "no price" placeholder ("N/A", "POA", "面议", NO_PRICE).

    A cell whose one mark is followed by three digits ("1,250", "€1.250") is read with
    ``decimal`` as the decimal mark (the column's, :func:`column_decimal_mark`). Without it,
    the mark groups thousands when the currency has no minor unit (``whole_units``: ¥1.250
    is 1250), and a comma does unless ``comma_thousands`` is False (a cell of the column
    showed a comma decimal): "1,200" in a price list is 1200 far more often than 1.2. A dot
    left undecided ("1.250" beside whole numbers) raises :class:`AmbiguousPrice` rather than
    a guess."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))  # the spreadsheet's shortest repr, not the binary value
    if str(value).strip().lower().rstrip(".") in NO_PRICE:
        return None
    text = _number_text(str(value))
    mark = decimal_mark(text)
    if mark is None and _AMBIGUOUS.fullmatch(text.lstrip("-")):
        mark = decimal or _thousands_reading(text, comma_thousands, whole_units)
        if mark is None:
            raise AmbiguousPrice(f"price {value!r} could be thousands or decimals")
    if mark == ",":  # "1.234,50", or "1.250" in a column of "12,50"s: dots group thousands
        text = text.replace(".", "").replace(",", ".")
    elif mark == ".":
        text = text.replace(",", "")
    try:
        price = Decimal(text)
    except InvalidOperation as err:
        raise ValueError(f"price {value!r} is not a number") from err
    if price < 0:
        raise ValueError("price must not be negative")
    return price


def _thousands_reading(text: str, comma_thousands: bool, whole_units: bool) -> str | None:
    """The decimal mark that makes an ambiguous cell's one mark group thousands, when nothing
    but the column's silence decides: the other mark. None when it stays undecided."""
    if whole_units or ("," in text and comma_thousands):
        return "," if "." in text else "."
    return None


def _number_text(text: str) -> str:
    return re.sub(r"[^\d.,-]", "", text)


def _list(value: Any) -> list[str]:
    return [k.strip() for k in _LIST_SPLIT.split(_text(value) or "") if k.strip()]


def _points(value: Any) -> list[str]:
    """Selling points: one per line or per ";" (commas stay inside a point)."""
    return [
        p.strip(" -•·\t") for p in re.split(r"[;；\n|]", _text(value) or "") if p.strip(" -•·\t")
    ]


def _specs(value: Any) -> dict[str, Any]:
    """A specs cell: a JSON object, or ``key: value; key: value`` parts (";", "；" or new
    lines between them). Parts without a colon are free text, joined in order under "notes"
    ("80% organic cotton; sizes S/M/L" is all kept), never dropped."""
    text = _text(value)
    if not text:
        return {}
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"specs is not valid JSON: {err}") from err
        if not isinstance(parsed, dict):
            raise ValueError("specs JSON must be an object")
        return parsed
    specs: dict[str, Any] = {}
    notes: list[str] = []
    for part in re.split(r"[;；\n]", text):
        key, sep, val = part.partition(":") if ":" in part else part.partition("：")
        if sep and key.strip():
            specs[key.strip()] = val.strip()
        elif part.strip():
            notes.append(part.strip())
    if notes:
        # A "notes: ..." part of its own comes first, then the free text in order.
        specs["notes"] = "; ".join([specs["notes"], *notes] if "notes" in specs else notes)
    return specs


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


async def import_catalog(
    pool: asyncpg.Pool, org_id: uuid.UUID, path: Path, *, default_currency: str
) -> ImportReport:
    """Upsert every valid row of ``path`` into the org's catalog, by SKU. A SKU on several
    rows is imported once, from its last row, with a warning naming the lines."""
    report = ImportReport()
    by_sku: dict[str, CatalogRow] = {}
    sheet = read_rows(path, currency=default_currency)
    report.warnings.extend(sheet.warnings)
    prices = [row.get("price") for row in sheet.rows]
    decimal = column_decimal_mark(prices)
    # A column whose cells disagree ("12,50" beside "1,234.50") gives a comma no default.
    comma_thousands = "," not in {decimal_mark(p) for p in prices}
    for row in sheet.rows:
        try:
            item = parse_row(
                row, default_currency, decimal=decimal, comma_thousands=comma_thousands
            )
        except ValueError as err:
            report.errors.append(f"line {row.get('_line')}: {err}")
            continue
        report.warnings.extend(f"line {item.line}: {w}" for w in item.warnings)
        if (earlier := by_sku.pop(item.sku, None)) is not None:
            report.warnings.append(
                f"line {item.line}: SKU {item.sku} is also on line {earlier.line}; "
                f"line {item.line} is the one imported"
            )
        by_sku[item.sku] = item
    async with transaction(pool) as conn:
        # Case-sensitive, like the (org_id, sku) key the upsert conflicts on.
        known = {
            r["sku"] for r in await conn.fetch("SELECT sku FROM products WHERE org_id = $1", org_id)
        }
        for item in sorted(by_sku.values(), key=lambda i: i.line):
            await products.upsert(
                conn,
                org_id,
                sku=item.sku,
                name=item.name,
                name_en=item.name_en,
                description=item.description,
                price=item.price,
                currency=item.currency,
                moq=item.moq,
                unit=item.unit,
                specs=item.specs,
                keywords=item.keywords,
                selling_points=item.selling_points,
            )
            if item.sku in known:
                report.updated += 1
            else:
                report.created += 1
    return report
