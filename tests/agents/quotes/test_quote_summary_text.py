"""What `quote create` (without --json) and /quote print for staff.

Regressions: the summary wrote the stored numerics' scale ("× 2.1 = 1050.0000 USD",
"Total: 1055.2800 USD") where the PDF and --json say "2.10", "1050.00"; and "/quote 王伟
五百个保温杯" was refused with the usage line because the items began with no digit.
"""

from __future__ import annotations

from bot.staff.quotes import split_customer, summary


async def test_the_summary_writes_amounts_as_the_pdf_does(shop, service):
    created = await service.create(shop.org_id, shop.customer_id, "500 x SKU-1, 2.5 x TB-9 USD")
    text = summary(created)
    assert "500 pcs × 2.10 = 1050.00 USD" in text
    assert "2.5 pcs × 2.1127 = 5.28 USD" in text
    assert "Total: 1055.28 USD" in text


def test_items_in_words_start_where_the_name_ends():
    assert split_customer("王伟 五百个保温杯") == ("王伟", "500个保温杯")
    assert split_customer("Ana Ruiz quinientas unidades de SKU-1") == (
        "Ana Ruiz",
        "500 unidades de SKU-1",
    )
