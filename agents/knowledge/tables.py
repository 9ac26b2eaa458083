"""Spreadsheet readers (.csv, .xlsx): FAQ tables become question/answer pairs, other tables
become text rows.

A sheet is an FAQ when one of its first rows names a question column and an answer column, in
English, Chinese or Spanish (``question``/``answer``, ``Q``/``A``, ``pregunta``/``respuesta``,
``问题``/``答案``, ``问``/``答`` ..., or a longer header with such a word in it: "Customer
question", "Preguntas frecuentes"); optional ``language`` and ``category`` columns are kept. Any
other table is read as one line per row, ``"Header: value; Header: value"``, so a price list is
still searchable.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from pathlib import PurePath

from agents.errors import IngestError

from .parsed import FaqEntry, ParsedFile, Section, decode_text, guess_language, normalize_language

_HEADER_SCAN_ROWS = 5  # a title row or two above the header is common in hand-made sheets

_ALIASES: dict[str, frozenset[str]] = {
    "question": frozenset(
        {"question", "questions", "q", "faq", "pregunta", "preguntas", "问题", "问", "問題", "問"}
        | {"提问", "常见问题", "客户问题"}
    ),
    "answer": frozenset(
        {"answer", "answers", "a", "reply", "response", "respuesta", "respuestas", "答案", "答"}
        | {"回答", "答复", "回复", "解答"}
    ),
    "language": frozenset(
        {"language", "lang", "locale", "idioma", "lengua", "语言", "語言", "语种"}
    ),
    "category": frozenset(
        {"category", "categories", "topic", "categoria", "categoría", "tema", "类别", "分类"}
        | {"类型", "類別", "分類", "主题"}
    ),
}
# Spaces, colons (also full-width), question marks and decoration people put around headers.
_HEADER_NOISE = re.compile(r"[\s:：?？_\-.*#()（）\[\]【】]+")


def header_key(value: str) -> str:
    """The comparable form of a header cell: ``" Pregunta: "`` → ``"pregunta"``."""
    return _HEADER_NOISE.sub("", value.strip().lower())


# Words that make a longer header name a role ("Customer question", "Preguntas frecuentes",
# "Answer text", "客户问题描述"): Latin words are matched whole, Chinese ones as substrings.
_ROLE_WORDS: dict[str, frozenset[str]] = {
    "question": frozenset(
        {"question", "questions", "pregunta", "preguntas", "faq", "faqs", "query", "queries"}
        | {"pergunta", "perguntas", "frage", "fragen", "问题", "問題", "提问", "提問"}
    ),
    "answer": frozenset(
        {"answer", "answers", "reply", "replies", "response", "responses", "respuesta"}
        | {"respuestas", "resposta", "respostas", "réponse", "reponse", "antwort", "答案"}
        | {"回答", "答复", "答覆", "回复", "回覆", "解答"}
    ),
    "language": frozenset({"language", "lang", "locale", "idioma", "语言", "語言", "语种"}),
    "category": frozenset(
        {"category", "categories", "topic", "categoria", "categoría", "tema", "类别", "分类"}
    ),
}
# A cell that names a question's number or id ("Question ID", "问题编号") is not its text.
_ID_WORDS = frozenset({"id", "no", "nr", "num", "number", "número", "numero", "#"})
_ID_CJK = ("编号", "序号", "編號", "序號")
_WORD = re.compile(r"[^\W\d_]+|#", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")


def _worded_roles(cell: str) -> set[str]:
    """The roles a longer header names by one of its words (empty for an id column)."""
    text = cell.strip().lower()
    words = set(_WORD.findall(text))
    if words & _ID_WORDS or any(mark in text for mark in _ID_CJK):
        return set()
    roles = set()
    for role, stems in _ROLE_WORDS.items():
        for stem in stems:
            if (stem in text) if _CJK.search(stem) else (stem in words):
                roles.add(role)
                break
    return roles


def faq_columns(header: Sequence[str]) -> dict[str, int] | None:
    """Column index of each FAQ role found in ``header``, or None unless it has both a question
    and an answer column.

    An exact name (``Question``, ``问题``, ``Q``) wins; otherwise the first header with one
    role's word in it ("Customer question", "Our answer"). A header naming two roles ("Q&A",
    "Question and answer") names neither.
    """
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = header_key(cell)
        for role, names in _ALIASES.items():
            if key in names and role not in found:
                found[role] = index
    taken = set(found.values())
    for index, cell in enumerate(header):
        roles = _worded_roles(cell) if index not in taken else set()
        if len(roles) == 1 and (role := roles.pop()) not in found:
            found[role] = index
            taken.add(index)
    return found if {"question", "answer"} <= found.keys() else None


def table_lines(rows: Sequence[Sequence[str]]) -> list[str]:
    """One ``"Header: value; ..."`` line per data row (the first non-empty row is the header).

    Empty cells are left out; a cell under an empty header is named ``column N``.
    """
    rows = [row for row in rows if any(cell for cell in row)]
    if len(rows) < 2:
        return ["; ".join(cell for cell in row if cell) for row in rows]
    header, *body = rows
    lines = []
    for row in body:
        pairs = [f"{_header_name(header, i)}: {cell}" for i, cell in enumerate(row) if cell]
        if pairs:
            lines.append("; ".join(pairs))
    return lines


def _header_name(header: Sequence[str], index: int) -> str:
    name = header[index] if index < len(header) else ""
    return name or f"column {index + 1}"


def parse_tables(
    sheets: Iterable[tuple[str | None, list[list[str]]]], title: str, mime_type: str
) -> ParsedFile:
    """Turn ``(sheet name, rows of cell text)`` pairs into FAQs and text sections."""
    faqs: list[FaqEntry] = []
    sections: list[Section] = []
    skipped = 0
    for sheet, rows in sheets:
        located = _find_faq_header(rows)
        if located is None:
            text = "\n\n".join(table_lines(rows))
            if text:
                sections.append(Section(text, sheet, {"sheet": sheet} if sheet else {}))
            continue
        header_row, columns = located
        for number, row in enumerate(rows[header_row + 1 :], start=header_row + 2):
            entry = _faq_entry(
                row, columns, {"sheet": sheet, "row": number} if sheet else {"row": number}
            )
            if entry is None:
                skipped += any(cell for cell in row)  # blank rows are not worth reporting
            else:
                faqs.append(entry)
    metadata = {"faq_rows_skipped": skipped} if skipped else {}
    return ParsedFile(title, mime_type, tuple(sections), tuple(faqs), metadata)


def _find_faq_header(rows: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    candidates = [(i, row) for i, row in enumerate(rows) if any(row)][:_HEADER_SCAN_ROWS]
    for index, row in candidates:
        columns = faq_columns(row)
        if columns is not None:
            return index, columns
    return None


def _faq_entry(row: list[str], columns: dict[str, int], metadata: dict) -> FaqEntry | None:
    def cell(role: str) -> str:
        index = columns.get(role)
        return row[index].strip() if index is not None and index < len(row) else ""

    question, answer = cell("question"), cell("answer")
    if not question or not answer:
        return None  # half a pair can't answer anyone; counted as skipped
    language = normalize_language(cell("language")) or guess_language(f"{question} {answer}")
    return FaqEntry(question, answer, language, cell("category") or None, metadata)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 12 as 12.0
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


class CsvReader:
    """CSV (any of ``, ; TAB |`` as delimiter), decoded like text files."""

    suffixes = (".csv", ".tsv")
    # 2: headers with a role's word in them ("Customer question") are FAQ columns.
    version = 2
    mime_type = "text/csv"

    def read(self, data: bytes, name: str) -> ParsedFile:
        text = decode_text(data)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                text[:8192], delimiters=",;\t|"
            )
        except csv.Error:
            dialect = csv.excel_tab if name.lower().endswith(".tsv") else csv.excel
        try:
            rows = [[_cell_text(c) for c in row] for row in csv.reader(io.StringIO(text), dialect)]
        except csv.Error as err:
            raise IngestError(f"not a readable CSV file ({err})") from err
        return parse_tables([(None, rows)], PurePath(name).stem, self.mime_type)


class XlsxReader:
    """Excel workbooks (openpyxl, cached values of formulas). Every visible sheet is read;
    hidden sheets usually hold lookup data, not knowledge, so they are left out."""

    suffixes = (".xlsx", ".xlsm")
    # 2: headers with a role's word in them ("Customer question") are FAQ columns.
    version = 2
    mime_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def read(self, data: bytes, name: str) -> ParsedFile:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
            raise IngestError(f"not a readable Excel workbook ({err})") from err
        try:
            sheets = [
                (ws.title, [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)])
                for ws in workbook.worksheets
                if ws.sheet_state == "visible"
            ]
        except (KeyError, ValueError, zipfile.BadZipFile) as err:
            raise IngestError(f"not a readable Excel workbook ({err})") from err
        finally:
            workbook.close()  # read-only mode keeps the archive open otherwise
        return parse_tables(sheets, PurePath(name).stem, self.mime_type)
