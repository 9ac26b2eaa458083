"""The terms on a Spanish or Chinese quotation are in Spanish or Chinese.

Regression: the labels were translated but the shipped default terms were printed in
English on every PDF ("Pago: 30% deposit, 70% before shipment"). A merchant's own wording
is printed as written.
"""

from __future__ import annotations

import dataclasses

import pypdfium2 as pdfium
import pytest

from agents.quotes.labels import term_text
from agents.quotes.service import QuoteService

from .conftest import DEFAULTS


def _text(pdf: bytes) -> str:
    return pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()


@pytest.mark.parametrize(
    ("language", "payment", "lead_time"),
    [
        (
            "es",
            "30 % de anticipo, 70 % antes del embarque (T/T)",
            "25 días tras recibir el anticipo",
        ),
        ("zh", "30%定金，70%发货前付清（电汇 T/T）", "收到定金后25天"),
        ("en", "30% deposit, 70% before shipment (T/T)", "25 days after deposit"),
    ],
)
async def test_default_terms_print_in_the_quote_language(pool, shop, language, payment, lead_time):
    defaults = dataclasses.replace(DEFAULTS, payment_terms="30% deposit, 70% before shipment (T/T)")
    service = QuoteService(pool, defaults)
    created = await service.create(shop.org_id, shop.customer_id, "500 x SKU-1", language=language)
    text = " ".join(_text(created.pdf).split())
    assert payment in text and lead_time in text
    # What is stored is what the merchant configured: only the PDF speaks the language.
    assert created.quote.payment_terms == "30% deposit, 70% before shipment (T/T)"


def test_a_merchants_own_wording_is_kept():
    assert term_text("Net 30 after B/L date", "es") == "Net 30 after B/L date"
    assert term_text("15-20 working days", "zh") == "15-20个工作日"
