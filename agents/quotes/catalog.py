"""Catalog import (`trademate products import`): CSV or XLSX rows upserted by SKU per org.

Columns (header names are case-insensitive; common Chinese and Spanish headers work too):
SKU, name, name_en, description, price, currency, MOQ, unit, specs, keywords. Only SKU and
name are required. A bad row is reported with its line number and skipped; the good rows
are imported in one transaction.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import asyncpg

from storage.db import transaction
from storage.repositories import products

from . import CatalogError

ALIASES = {
    "sku": ("sku", "code", "item code", "product code", "货号", "编号", "型号", "código", "codigo"),
    "name": ("name", "product", "product name", "名称", "品名", "产品名称", "nombre", "producto"),
    "name_en": ("name_en", "name (en)", "english name", "英文名", "英文名称"),
    "description": ("description", "desc", "描述", "说明", "descripción", "descripcion"),
    "price": ("price", "unit price", "单价", "价格", "precio"),
    "currency": ("currency", "币种", "货币", "moneda"),
    "moq": ("moq", "min order", "minimum order", "起订量", "最小起订量", "pedido mínimo"),
    "unit": ("unit", "单位", "unidad"),
    "specs": ("specs", "specifications", "规格", "参数", "especificaciones"),
    "keywords": ("keywords", "tags", "关键词", "palabras clave"),
}
_HEADER = {alias: key for key, names in ALIASES.items() for alias in names}
_LIST_SPLIT = re.compile(r"[,;|，、；]")


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


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "errors": self.errors}


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The file's rows as dicts keyed by our column names (blank rows dropped)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(text)))
    elif suffix in (".xlsx", ".xlsm"):
        table = _xlsx_table(path)
    else:
        raise CatalogError(f"{path.name}: catalogs are .csv or .xlsx files")
    if not table:
        raise CatalogError(f"{path.name} is empty")
    header = [_HEADER.get(str(cell or "").strip().lower()) for cell in table[0]]
    missing = {"sku", "name"} - set(header)
    if missing:
        raise CatalogError(f"{path.name}: no {' and no '.join(sorted(missing))} column")
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        row = {key: cell for key, cell in zip(header, cells, strict=False) if key}
        if any(str(v).strip() for v in row.values() if v is not None):
            row["_line"] = line
            rows.append(row)
    return rows


def _xlsx_table(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def parse_row(row: dict[str, Any], default_currency: str) -> CatalogRow:
    """One validated row; raises ValueError naming the bad field."""
    sku, name = _text(row.get("sku")), _text(row.get("name"))
    if not sku or not name:
        raise ValueError("SKU and name are required")
    currency = (_text(row.get("currency")) or default_currency).upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ValueError(f"currency {currency!r} is not an ISO 4217 code")
    moq = _text(row.get("moq"))
    try:
        moq_value = int(Decimal(moq)) if moq else None
    except InvalidOperation as err:
        raise ValueError(f"MOQ {moq!r} is not a number") from err
    if moq_value is not None and moq_value <= 0:
        raise ValueError("MOQ must be positive")
    return CatalogRow(
        line=int(row.get("_line", 0)),
        sku=sku,
        name=name,
        name_en=_text(row.get("name_en")),
        description=_text(row.get("description")),
        price=parse_price(row.get("price")),
        currency=currency,
        moq=moq_value,
        unit=_text(row.get("unit")) or "pcs",
        specs=_specs(row.get("specs")),
        keywords=[
            k.strip() for k in _LIST_SPLIT.split(_text(row.get("keywords")) or "") if k.strip()
        ],
    )


def parse_price(value: Any) -> Decimal | None:
    """Decimal from 2.1, "2.10", "1,234.50", "2,50" or "$2.10"; None when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))  # the spreadsheet's shortest repr, not the binary value
    text = re.sub(r"[^\d.,-]", "", str(value))
    if "," in text and "." in text:
        text = text.replace(",", "")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = f"{head.replace(',', '')}{tail}" if len(tail) == 3 else f"{head}.{tail}"
    try:
        price = Decimal(text)
    except InvalidOperation as err:
        raise ValueError(f"price {value!r} is not a number") from err
    if price < 0:
        raise ValueError("price must not be negative")
    return price


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
    """Upsert every valid row of ``path`` into the org's catalog, by SKU."""
    report = ImportReport()
    parsed: list[CatalogRow] = []
    for row in read_rows(path):
        try:
            parsed.append(parse_row(row, default_currency))
        except ValueError as err:
            report.errors.append(f"line {row.get('_line')}: {err}")
    async with transaction(pool) as conn:
        # Case-sensitive, like the (org_id, sku) key the upsert conflicts on.
        known = {
            r["sku"] for r in await conn.fetch("SELECT sku FROM products WHERE org_id = $1", org_id)
        }
        for item in parsed:
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
            )
            if item.sku in known:
                report.updated += 1
            else:
                report.created += 1
                known.add(item.sku)
    return report
