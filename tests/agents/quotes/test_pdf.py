"""The quotation PDF, looked at as an image: Chinese labels and product names have ink where
the text layer says they are, and the text layer holds the Chinese characters."""

from __future__ import annotations

import asyncio
import io
import logging
import os
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from agents.quotes.service import QuoteService

from .conftest import DEFAULTS

SCALE = 2  # 144 dpi


def _page(pdf: bytes):
    document = pdfium.PdfDocument(pdf)
    return document, document[0]


def ink_at(page, text: str) -> tuple[float, int]:
    """(share of non-white pixels, pixel count) in the box where ``text`` is drawn."""
    textpage = page.get_textpage()
    searcher = textpage.search(text)
    hit = searcher.get_next()
    assert hit is not None, f"{text!r} is not in the PDF's text layer"
    index, count = hit
    boxes = [textpage.get_charbox(i) for i in range(index, index + count)]
    left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
    height = page.get_height()
    image = page.render(scale=SCALE).to_pil().convert("L")
    crop = image.crop(
        (int(left * SCALE), int((height - top) * SCALE), int(right * SCALE) + 1,
         int((height - bottom) * SCALE) + 1)
    )  # fmt: skip
    histogram = crop.histogram()  # grey levels 0 (black) .. 255 (white)
    size = sum(histogram)
    return sum(histogram[:160]) / max(size, 1), size


async def test_a_chinese_quote_renders_its_chinese_text(shop, service):
    created = await service.create(
        shop.org_id, shop.customer_id, "500个保温杯，200 x SKU-2 人民币", language="zh"
    )
    document, page = _page(created.pdf)
    text = page.get_textpage().get_text_range()
    for expected in ("报价单", "保温杯", "合计", "付款方式", created.quote.number):
        assert expected in text
    for word in ("报价单", "保温杯", "合计"):
        share, size = ink_at(page, word)
        # Real glyphs: a few percent to a third of the box is ink. Missing glyphs (.notdef)
        # draw nothing or an empty box outline, which stays near zero.
        assert size > 100 and 0.04 < share < 0.6, (word, share)
    png = io.BytesIO()
    page.render(scale=SCALE).to_pil().save(png, "PNG")
    assert len(png.getvalue()) > 10_000
    if os.environ.get("TRADEMATE_QUOTE_PNG"):  # to look at it: TRADEMATE_QUOTE_PNG=/tmp/q.png
        await asyncio.to_thread(Path(os.environ["TRADEMATE_QUOTE_PNG"]).write_bytes, png.getvalue())
    document.close()


@pytest.mark.parametrize(("language", "title"), [("es", "COTIZACIÓN"), ("en", "QUOTATION")])
async def test_labels_follow_the_customer_language(shop, service, language, title):
    created = await service.create(
        shop.org_id, shop.customer_id, "500 x SKU-1 EUR", language=language
    )
    document, page = _page(created.pdf)
    text = page.get_textpage().get_text_range()
    assert title in text and "EUR" in text
    share, _ = ink_at(page, title)
    assert share > 0.04
    document.close()


async def test_the_merchant_logo_is_drawn_from_the_data_directory(pool, shop, tmp_path):
    Image.new("RGB", (120, 60), (200, 30, 30)).save(tmp_path / "logo.png")
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE organizations SET logo_path = 'logo.png' WHERE id = $1", shop.org_id
        )
    service = QuoteService(pool, DEFAULTS, data_dir=tmp_path)
    created = await service.create(shop.org_id, shop.customer_id, "500 x SKU-1")
    assert b"/Subtype /Image" in created.pdf
    document, page = _page(created.pdf)
    image = page.render(scale=1).to_pil().convert("RGB")
    # The logo sits top-left, below the 10 mm margin: a red pixel where it was placed.
    red, green, blue = image.getpixel((int(15 / 25.4 * 72), int(15 / 25.4 * 72)))
    assert red > 150 and green < 100 and blue < 100
    document.close()


async def test_rendering_logs_no_font_subsetting_chatter(shop, service, caplog):
    # Regression: `quote create --pdf` printed ~40 fontTools.subset INFO lines on stderr.
    caplog.set_level(logging.INFO)
    await service.create(shop.org_id, shop.customer_id, "500 x SKU-1", language="zh")
    assert [r for r in caplog.records if r.name.startswith("fontTools")] == []
    assert any(r.name == "agents.quotes.service" for r in caplog.records)  # INFO still shown
