"""Knowledge-file readers, one per format, found through a registry keyed by file suffix.

Each reader turns the file's bytes into a :class:`~agents.knowledge.parsed.ParsedFile` and
translates its library's errors into :class:`IngestError`; :func:`read_file` adds the file name,
so every message says which file failed and why. Adding a format is adding a reader to
``READERS`` — nothing else branches on the suffix.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import PurePath
from typing import Protocol

from agents.errors import IngestError

from .parsed import ParsedFile, Section, decode_text
from .tables import CsvReader, XlsxReader, table_lines


class Reader(Protocol):
    """Reads one family of formats. ``read`` raises :class:`IngestError` with the reason."""

    suffixes: tuple[str, ...]  # lower case, with the dot
    mime_type: str

    def read(self, data: bytes, name: str) -> ParsedFile: ...


class TextReader:
    """Plain text: one section, paragraphs as written."""

    suffixes = (".txt", ".text")
    mime_type = "text/plain"

    def read(self, data: bytes, name: str) -> ParsedFile:
        text = decode_text(data)
        return ParsedFile(_stem(name), self.mime_type, (Section(text),))


_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)(?:\s+#+)?\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


class MarkdownReader:
    """Markdown: a section per heading, titled with the heading path ("Shipping > Rates").

    Headings inside fenced code blocks are code, not structure. The document title is the first
    level-1 heading, else the file name.
    """

    suffixes = (".md", ".markdown")
    mime_type = "text/markdown"

    def read(self, data: bytes, name: str) -> ParsedFile:
        sections: list[Section] = []
        path: list[tuple[int, str]] = []  # (level, text) of the headings above this line
        lines: list[str] = []
        title: str | None = None
        fence: str | None = None

        def flush() -> None:
            text = "\n".join(lines).strip()
            if text:
                sections.append(Section(text, " > ".join(h for _, h in path) or None))
            lines.clear()

        for line in decode_text(data).split("\n"):
            fence_mark = _FENCE.match(line)
            if fence_mark:
                fence = None if fence == fence_mark.group(1) else (fence or fence_mark.group(1))
            heading = None if fence else _ATX_HEADING.match(line)
            if heading is None:
                lines.append(line)
                continue
            flush()
            level, text = len(heading.group(1)), heading.group(2).strip()
            if level == 1 and title is None:
                # The document's title is in every chunk's payload already; repeating it in each
                # heading path would only dilute the section names.
                title, path = text, []
                continue
            path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, text)]
        flush()
        return ParsedFile(title or _stem(name), self.mime_type, tuple(sections))


class PdfReader:
    """PDF text (pypdf): a section per page, headed ``page N`` with the number in metadata.

    A PDF without extractable text (a scan) is an error: it needs OCR before ingestion.
    """

    suffixes = (".pdf",)
    mime_type = "application/pdf"

    def read(self, data: bytes, name: str) -> ParsedFile:
        from pypdf import PdfReader as _Pdf
        from pypdf.errors import PyPdfError

        try:
            pdf = _Pdf(io.BytesIO(data))
            if pdf.is_encrypted and not pdf.decrypt(""):
                raise IngestError("the PDF is password-protected")
            pages = [page.extract_text() or "" for page in pdf.pages]
            meta_title = (pdf.metadata.title if pdf.metadata else None) or ""
        except (PyPdfError, ValueError, KeyError, TypeError, OSError) as err:
            # pypdf raises plain ValueError/KeyError on some broken files, not only its own.
            raise IngestError(f"not a readable PDF ({err})") from err
        sections = tuple(
            Section(text.strip(), f"page {number}", {"page": number})
            for number, text in enumerate(pages, start=1)
            if text.strip()
        )
        if not sections:
            raise IngestError("the PDF has no extractable text (a scan? run OCR first)")
        return ParsedFile(
            meta_title.strip() or _stem(name),
            self.mime_type,
            sections,
            metadata={"pages": len(pages)},
        )


class DocxReader:
    """Word documents (python-docx): paragraphs in order, a section per heading, and tables as
    text rows ("Header: value; ...") in the place they appear."""

    suffixes = (".docx",)
    mime_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    def read(self, data: bytes, name: str) -> ParsedFile:
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        try:
            document = docx.Document(io.BytesIO(data))
            blocks = list(_docx_blocks(document))
            core_title = document.core_properties.title or ""
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as err:
            raise IngestError(f"not a readable .docx file ({err})") from err
        sections: list[Section] = []
        path: list[tuple[int, str]] = []
        parts: list[str] = []
        title = core_title.strip() or None

        def flush() -> None:
            text = "\n\n".join(parts).strip()
            if text:
                sections.append(Section(text, " > ".join(h for _, h in path) or None))
            parts.clear()

        for level, text in blocks:
            if level is None:
                parts.append(text)
                continue
            flush()
            if title is None and level <= 1:
                title, path = text, []  # as in markdown: the title is not a section name
                continue
            path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, text)]
        flush()
        return ParsedFile(title or _stem(name), self.mime_type, tuple(sections))


def _docx_blocks(document: object) -> Iterator[tuple[int | None, str]]:
    """(heading level or None, text) for each non-empty paragraph and table, in body order."""
    from docx.table import Table

    for block in document.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(block, Table):
            rows = [[cell.text.strip() for cell in row.cells] for row in block.rows]
            text = "\n\n".join(table_lines(_dedupe_merged(rows)))
            if text:
                yield None, text
            continue
        text = block.text.strip()
        if text:
            yield _heading_level(block.style.name if block.style else ""), text


def _heading_level(style_name: str) -> int | None:
    # Built-in style names are stored in English whatever the UI language ("Heading 2").
    if style_name == "Title":
        return 0
    match = re.fullmatch(r"Heading (\d)", style_name)
    return int(match.group(1)) if match else None


def _dedupe_merged(rows: list[list[str]]) -> list[list[str]]:
    # python-docx repeats a horizontally merged cell once per grid column it spans.
    cleaned = []
    for row in rows:
        kept = [cell for i, cell in enumerate(row) if i == 0 or cell != row[i - 1]]
        cleaned.append(kept)
    return cleaned


def _stem(name: str) -> str:
    return PurePath(name).stem or name


READERS: dict[str, Reader] = {
    suffix: reader
    for reader in (
        TextReader(),
        MarkdownReader(),
        PdfReader(),
        DocxReader(),
        CsvReader(),
        XlsxReader(),
    )
    for suffix in reader.suffixes
}


def supported_suffixes() -> Sequence[str]:
    """Every suffix :func:`read_file` accepts, sorted."""
    return sorted(READERS)


def reader_for(name: str) -> Reader:
    """The reader of ``name``'s suffix; :class:`IngestError` for an unsupported one."""
    suffix = PurePath(name).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        kinds = ", ".join(supported_suffixes())
        raise IngestError(
            f"{name}: unsupported file type {suffix or '(none)'!r} (supported: {kinds})"
        )
    return reader


def reader_version(name: str) -> int:
    """The version of ``name``'s reader (1 unless it declares one); part of what makes an
    unchanged file "already ingested"."""
    return getattr(reader_for(name), "version", 1)


def read_file(name: str, data: bytes) -> ParsedFile:
    """Parse ``data`` (the bytes of the file called ``name``) with the reader for its suffix.

    Raises :class:`IngestError` naming the file and the reason: unsupported type, unreadable or
    corrupt content, or no text at all.
    """
    reader = reader_for(name)
    try:
        parsed = reader.read(data, name)
    except IngestError as err:
        raise IngestError(f"{name}: {err}") from err
    if parsed.is_empty:
        raise IngestError(f"{name}: no text found")
    return parsed
