"""Reading a merchant's catalog file into rows keyed by our column names.

Merchants export catalogs from whatever they use, so the reader is lenient about the shape
and strict about the meaning:

* CSV in UTF-8 (with or without BOM) or GB18030 (what Excel saves on a Chinese Windows),
  separated by commas, semicolons (Excel in Spanish and most of Europe), tabs or pipes;
* XLSX: the first sheet with a header (a cover or instructions sheet is skipped);
* the header row may sit under a title ("Price list 2026"): the first of the top rows that
  names both a SKU and a name column is the header;
* header names are matched case- and punctuation-blind, with a unit or currency in
  brackets ignored ("Unit Price (USD)", "MOQ (pcs)", "Item No.", "SKU#"); a currency named
  in the price header is the rows' currency when they have no currency cell;
* columns we don't know (category, stock...) are ignored; when two columns mean the same
  thing the first one counts, except prices: of several price columns ("Price", "Price
  (USD)") the one whose header names the org's currency counts, else the first, and the
  import warns that the others were ignored. The currency a header names applies only to the
  column it heads.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import CatalogError

ALIASES = {
    "sku": (
        "sku", "sku no", "code", "item code", "item no", "item number", "product code",
        "product id", "article", "article no", "ref", "reference", "model", "model no",
        "货号", "编号", "型号", "产品编号", "商品编码", "código", "codigo", "referencia",
        "artículo", "articulo", "modelo",
    ),
    "name": (
        "name", "product", "product name", "title", "名称", "品名", "产品名称", "商品名称",
        "产品", "nombre", "producto", "nombre del producto", "descripción corta",
    ),
    "name_en": ("name_en", "name en", "english name", "name english", "英文名", "英文名称"),
    "description": (
        "description", "desc", "details", "描述", "说明", "产品描述", "descripción",
        "descripcion",
    ),
    "price": (
        "price", "unit price", "fob price", "exw price", "price per unit", "单价", "价格",
        "报价", "precio", "precio unitario", "precio unidad", "precio por unidad",
    ),
    "currency": ("currency", "币种", "货币", "币别", "moneda", "divisa"),
    "moq": (
        "moq", "min order", "minimum order", "min order qty", "min order quantity",
        "minimum order quantity", "min qty", "起订量", "最小起订量", "最低起订量",
        "pedido mínimo", "pedido minimo", "cantidad mínima", "cantidad minima",
    ),
    "unit": ("unit", "uom", "units", "单位", "计量单位", "unidad", "unidad de medida"),
    "specs": (
        "specs", "spec", "specifications", "specification", "规格", "参数", "规格参数",
        "especificaciones",
    ),
    "keywords": ("keywords", "tags", "关键词", "标签", "palabras clave", "etiquetas"),
    "selling_points": (
        "selling_points", "selling points", "features", "highlights", "卖点", "产品卖点",
        "puntos de venta", "características", "caracteristicas", "ventajas",
    ),
}  # fmt: skip
_HEADER = {alias: key for key, names in ALIASES.items() for alias in names}
# Words a currency is named with in a header or a price cell (symbols are in CURRENCY_SIGNS).
_CODES = r"USD|EUR|CNY|RMB|GBP|JPY|HKD|MXN|BRL|AUD|CAD"
CURRENCY_SIGNS = (
    # Longest first: "US$" before "$", "美元" before "元".
    ("美元", "USD"), ("美金", "USD"), ("欧元", "EUR"), ("人民币", "CNY"), ("英镑", "GBP"),
    ("EURO", "EUR"), ("DOLLAR", "USD"), ("DÓLAR", "USD"), ("DOLAR", "USD"), ("YUAN", "CNY"),
    ("US$", "USD"), ("HK$", "HKD"), ("R$", "BRL"), ("MX$", "MXN"), ("A$", "AUD"),
    ("C$", "CAD"), ("€", "EUR"), ("£", "GBP"), ("¥", "CNY"), ("￥", "CNY"), ("元", "CNY"),
    ("$", "USD"),
)  # fmt: skip
_BRACKETS = re.compile(r"[(\[（【](.*?)[)\]）】]")
HEADER_SCAN_ROWS = 10


def currency_in(text: str) -> str | None:
    """The currency a header or price cell names ("Price (USD)", "€12,50", "RMB 3")."""
    if found := re.search(rf"(?<![A-Za-z])({_CODES})(?![A-Za-z])", text, re.I):
        code = found.group(1).upper()
        return "CNY" if code == "RMB" else code
    upper = text.upper()
    for sign, code in CURRENCY_SIGNS:
        if sign in upper:
            return code
    return None


def column_key(header: Any) -> tuple[str | None, str | None]:
    """Our column name for a header cell, and a currency it names (price columns)."""
    text = str(header or "").strip().lower()
    if not text:
        return None, None
    bracketed = " ".join(_BRACKETS.findall(text))
    bare = _words(_BRACKETS.sub(" ", text))
    # "Name (EN)" is name_en; "Price (USD)" and "MOQ (pcs)" are price and moq.
    key = _HEADER.get(text) or _HEADER.get(_words(text)) or _HEADER.get(bare)
    currency = None
    if key is None:
        # "Price USD", "Unit price in EUR", "Precio €": a price header with its currency.
        currency = currency_in(bare) or currency_in(text)
        if currency:
            stripped = re.sub(rf"\b(?:{_CODES}|in|en)\b|[€£¥￥$]", " ", bare, flags=re.I)
            key = _HEADER.get(" ".join(stripped.split()))
    elif bracketed:
        currency = currency_in(bracketed)
    return key, (currency if key == "price" else None)


def _words(text: str) -> str:
    text = re.sub(r"[#.:：*_/\-()\[\]（）【】]+", " ", text).replace("№", " ")
    return " ".join(text.split())


def read_table(path: Path) -> list[list[Any]]:
    """The file's cells, row by row."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _csv_table(path)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_table(path)
    raise CatalogError(f"{path.name}: catalogs are .csv or .xlsx files")


def _csv_table(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise CatalogError(f"{path.name}: not UTF-8 or GB18030 text")
    # The separator is the one under which a top row names the most of our columns
    # (a sniffer guesses from character counts and trips on "1,200.50" or "a; b" cells).
    head = "\n".join(text.splitlines()[:HEADER_SCAN_ROWS])

    def known_columns(delimiter: str) -> int:
        rows = csv.reader(io.StringIO(head), delimiter=delimiter)
        return max((sum(column_key(c)[0] is not None for c in r) for r in rows), default=0)

    delimiter = max(",;\t|", key=known_columns)  # ties: the earlier, so a comma
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _xlsx_table(path: Path) -> list[list[Any]]:
    """The first sheet whose top rows hold a header (a workbook often opens on a cover or
    instructions sheet); the first sheet when none does, so the error names its columns."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        tables = [
            [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in workbook.worksheets
        ]
    finally:
        workbook.close()
    for table in tables:
        for cells in table[:HEADER_SCAN_ROWS]:
            if {"sku", "name"} <= {column_key(c)[0] for c in cells}:
                return table
    return tables[0] if tables else []


@dataclass
class CatalogSheet:
    """A catalog file's rows, and what the reader chose that the merchant should know."""

    rows: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


def read_rows(path: Path, *, currency: str | None = None) -> CatalogSheet:
    """The file's rows as dicts keyed by our column names (blank rows dropped). Each row
    carries ``_line`` (its line in the file) and ``_header_currency`` when the kept price
    column's header names one. ``currency`` (the org's) picks among several price columns."""
    table = read_table(path)
    if not any(any(str(c or "").strip() for c in row) for row in table):
        raise CatalogError(f"{path.name} is empty")
    start, header, header_currency, warnings = _find_header(path, table, currency)
    rows = []
    for line, cells in enumerate(table[start + 1 :], start=start + 2):
        row = {key: cell for key, cell in zip(header, cells, strict=False) if key}
        if any(str(v).strip() for v in row.values() if v is not None):
            row["_line"] = line
            if header_currency:
                row["_header_currency"] = header_currency
            rows.append(row)
    return CatalogSheet(rows, warnings)


def _find_header(
    path: Path, table: list[list[Any]], prefer: str | None
) -> tuple[int, list[str | None], str | None, list[str]]:
    """(row index, our key per column, the kept price column's currency, warnings)."""
    first: list[str | None] | None = None
    for index, cells in enumerate(table[:HEADER_SCAN_ROWS]):
        if not any(str(c or "").strip() for c in cells):
            continue
        keys = [column_key(cell) for cell in cells]
        header: list[str | None] = []
        for key, _ in keys:
            header.append(None if key in header else key)  # the first of two synonyms wins
        if first is None:
            first = header
        if {"sku", "name"} <= set(header):
            currency, warnings = _pick_price_column(cells, keys, header, prefer)
            return index, header, currency, warnings
    missing = {"sku", "name"} - set(first or [])
    raise CatalogError(
        f"{path.name}: no {' and no '.join(sorted(missing))} column "
        f"(headers are read from the first row that names both, e.g. SKU and name)"
    )


def _pick_price_column(
    cells: list[Any],
    keys: list[tuple[str | None, str | None]],
    header: list[str | None],
    prefer: str | None,
) -> tuple[str | None, list[str]]:
    """Keep one price column in ``header`` (in place): the one whose header names the org's
    currency, else the first. Returns the kept column's currency and a warning naming the
    columns ignored. A second price column is often the same list in another currency; its
    header's currency must never label the first column's numbers."""
    prices = [i for i, (key, _) in enumerate(keys) if key == "price"]
    if not prices:
        return None, []
    wanted = (prefer or "").upper()
    kept = next((i for i in prices if wanted and keys[i][1] == wanted), prices[0])
    for i in prices:
        header[i] = "price" if i == kept else None
    ignored = [str(cells[i]).strip() for i in prices if i != kept]
    warnings = []
    if ignored:
        warnings.append(
            f"prices are read from column {str(cells[kept]).strip()!r}; "
            f"{', '.join(repr(name) for name in ignored)} ignored"
        )
    return keys[kept][1], warnings
