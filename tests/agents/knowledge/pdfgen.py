"""A minimal PDF writer for tests: Helvetica text lines, one list of lines per page.

pypdf reads PDFs but can't lay out text, and no PDF authoring library is a dependency, so
the test PDFs are written by hand: catalog, page tree, one font, a content stream per page and
a byte-exact cross-reference table. ``tests/fixtures/kb/shipping.pdf`` was made with
``python -m tests.agents.knowledge.pdfgen``.
"""

from __future__ import annotations

from pathlib import Path


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def minimal_pdf(pages: list[list[str]], *, title: str | None = None) -> bytes:
    """A valid PDF whose pages show ``pages`` (ASCII/Latin-1 text, 14 pt line spacing)."""
    page_ids = [4 + 2 * i for i in range(len(pages))]
    info_id = 4 + 2 * len(pages)
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: (
            f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] "
            f"/Count {len(pages)} >>"
        ).encode(),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    for page_id, lines in zip(page_ids, pages, strict=True):
        shown = " ".join(f"({_escape(line)}) Tj T*" for line in lines)
        stream = f"BT /F1 12 Tf 14 TL 72 720 Td {shown} ET".encode("latin-1")
        objects[page_id] = (
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {page_id + 1} 0 R >>"
        ).encode()
        objects[page_id + 1] = (
            f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream"
        )
    trailer_info = ""
    if title is not None:
        objects[info_id] = f"<< /Title ({_escape(title)}) >>".encode("latin-1")
        trailer_info = f" /Info {info_id} 0 R"
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n".encode() + objects[number] + b"\nendobj\n"
    xref_at = len(out)
    size = max(objects) + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    for number in range(1, size):
        out += f"{offsets[number]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {size} /Root 1 0 R{trailer_info} >>\n".encode()
    out += f"startxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


SHIPPING_PAGES = [
    [
        "Shipping policy.",
        "Orders placed before 3 pm ship the same day.",
        "Delivery inside the EU takes 3 to 5 business days.",
    ],
    [
        "Customs and duties.",
        "Shipments outside the EU may pay import duties on arrival.",
    ],
]

if __name__ == "__main__":  # pragma: no cover - regenerates the shipped fixture
    target = Path(__file__).parents[2] / "fixtures" / "kb" / "shipping.pdf"
    target.write_bytes(minimal_pdf(SHIPPING_PAGES, title="Shipping policy"))
