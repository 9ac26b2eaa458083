"""The quotation PDF (fpdf2): merchant name and logo, line items, totals and terms.

One Unicode font sets every language: WenQuanYi Micro Hei, shipped by the
``paperang-p2-fonts-cjk`` wheel (the font is Apache-2.0 / GPLv3-with-font-exception, dual
licensed; embedding in documents is allowed either way). fpdf2 embeds only the glyphs a
document uses, so a quote stays around 10-30 kB.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from storage.models import Organization
from storage.repositories.quotations import Quotation, QuotationItem

from . import QuoteError
from .labels import labels, money, quantity, term_text

log = logging.getLogger(__name__)

FONT = "quote-sans"


@cache
def font_path() -> Path:
    """The CJK-capable TrueType collection that ships with our dependencies."""
    try:
        import paperang_p2_fonts_cjk
    except ImportError as err:  # pragma: no cover - a declared dependency
        raise QuoteError("the CJK font package paperang-p2-fonts-cjk is not installed") from err
    path = Path(paperang_p2_fonts_cjk.__file__).parent / "fonts" / "wqy-microhei.ttc"
    if not path.is_file():  # pragma: no cover
        raise QuoteError(f"CJK font missing at {path}")
    return path


@dataclass(frozen=True)
class QuoteDocument:
    merchant: Organization
    quote: Quotation
    items: Sequence[QuotationItem]
    customer_name: str
    issued_on: date
    # (description, reason code) of requested items that got no price.
    unquoted: Sequence[tuple[str, str]] = ()
    logo: Path | None = None


@cache
def _quiet_font_subsetting() -> None:
    """fpdf2 subsets the font with fontTools, whose loggers narrate every table at INFO
    (~40 lines on stderr per quote); keep their warnings only. Done once, on first use, so
    importing this module changes no logging."""
    logging.getLogger("fontTools").setLevel(logging.WARNING)


def render_pdf(doc: QuoteDocument) -> bytes:
    """The PDF bytes (CPU-bound: call through ``asyncio.to_thread`` from async code)."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    _quiet_font_subsetting()

    quote, lang = doc.quote, doc.quote.language
    text = labels(lang)
    pdf = FPDF(format="A4")
    pdf.set_title(f"{text['title']} {quote.number}")
    pdf.set_author(doc.merchant.name)
    pdf.set_creator("TradeMate")
    pdf.add_font(FONT, fname=str(font_path()), collection_font_number=0)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    if doc.logo is not None:
        try:
            pdf.image(str(doc.logo), x=pdf.l_margin, y=10, h=16)
            pdf.set_y(28)
        except (OSError, ValueError, RuntimeError) as err:  # a broken logo never blocks a quote
            log.warning("quote %s: logo %s not usable: %s", quote.number, doc.logo, err)
    pdf.set_font(FONT, size=16)
    pdf.cell(0, 9, doc.merchant.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=20)
    pdf.cell(0, 12, text["title"], new_x="LMARGIN", new_y="NEXT", align="R")

    pdf.set_font(FONT, size=10)
    meta = [
        (text["number"], quote.number),
        (text["date"], doc.issued_on.isoformat()),
        (text["valid_until"], quote.valid_until.isoformat() if quote.valid_until else "—"),
        (text["to"], doc.customer_name),
    ]
    for label, value in meta:
        pdf.cell(40, 6, label)
        pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    heading = FontFace(emphasis="", fill_color=(230, 236, 245))
    with pdf.table(
        col_widths=(8, 62, 18, 20, 26, 30),
        text_align=("CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=heading,
        line_height=6,
    ) as table:
        row = table.row()
        for cell in (
            "#",
            text["item"],
            text["qty"],
            text["moq"],
            text["unit_price"],
            text["amount"],
        ):
            row.cell(cell)
        for n, item in enumerate(doc.items, start=1):
            row = table.row()
            row.cell(str(n))
            name = item.name + (f"\n{item.description}" if item.description else "")
            row.cell(f"{name}\n{item.sku}" if item.sku else name)
            row.cell(f"{quantity(item.quantity)} {item.unit}")
            row.cell(str(item.moq) if item.moq else "—")
            row.cell(money(item.unit_price, quote.currency, lang, places=4))
            row.cell(money(item.line_total, quote.currency, lang))
    pdf.ln(2)
    for label, amount, size in (
        (text["subtotal"], quote.subtotal, 10),
        (text["total"], quote.total, 12),
    ):
        pdf.set_font(FONT, size=size)
        pdf.cell(150, 7, label, align="R")
        pdf.cell(
            0, 7, money(amount, quote.currency, lang), align="R", new_x="LMARGIN", new_y="NEXT"
        )

    if doc.unquoted:
        pdf.ln(3)
        pdf.set_font(FONT, size=10)
        pdf.cell(0, 6, text["not_quoted"], new_x="LMARGIN", new_y="NEXT")
        for description, reason in doc.unquoted:
            line = f"• {description}: {text.get(reason, reason)}"
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")

    pdf.ln(4)
    pdf.set_font(FONT, size=12)
    pdf.cell(0, 7, text["terms"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    delivery = " ".join(filter(None, (quote.incoterm, quote.incoterm_place)))
    terms = [
        (text["payment"], term_text(quote.payment_terms, quote.language)),
        (text["delivery"], f"{delivery} (Incoterms 2020)" if delivery else None),
        (text["lead_time"], term_text(quote.lead_time, quote.language)),
    ]
    if quote.base_currency and quote.exchange_rate != Decimal(1):
        rate = f"1 {quote.base_currency} = {quote.exchange_rate.normalize():f} {quote.currency}"
        terms.append((text["rate"], rate))
    for label, value in terms:
        if value:
            pdf.cell(40, 6, label)
            pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
