"""A quote end to end in the database: lines, number, card, PDF, concurrency, the answer."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

import pytest

from agents.quotes import QuoteError
from agents.quotes.service import find_customer
from storage.errors import Conflict
from storage.repositories import quotations


async def test_a_quote_is_priced_from_the_catalog_and_waits_for_approval(pool, shop, service):
    created = await service.create(
        shop.org_id, shop.customer_id, "500 x SKU-1, 200 x SKU-2 USD FOB", created_by=shop.user.id
    )
    quote = created.quote
    assert re.fullmatch(r"Q-\d{4}-0001", quote.number)
    assert quote.status == "pending_approval" and quote.currency == "USD"
    assert [(i.sku, i.quantity, i.unit_price, i.line_total) for i in created.items] == [
        ("SKU-1", Decimal(500), Decimal("2.1000"), Decimal("1050.0000")),
        ("SKU-2", Decimal(200), Decimal("0.3500"), Decimal("70.0000")),
    ]
    assert quote.total == Decimal("1120.00") and quote.warnings == []
    # The request named FOB but no place: the configured place is not glued onto it.
    assert quote.incoterm == "FOB" and quote.incoterm_place is None
    assert created.pdf.startswith(b"%PDF")
    async with pool.acquire() as conn:
        card = await conn.fetchrow(
            "SELECT * FROM reply_suggestions WHERE id = $1", created.suggestion_id
        )
        stored = await quotations.get_file(conn, shop.org_id, quote.pdf_file_id)
    assert card["kind"] == "quote" and card["status"] == "pending"
    assert card["conversation_id"] == shop.conversation_id and card["message_id"] is None
    assert quote.number in card["draft"] and "1,120.00 USD" in card["draft"]
    assert card["metadata"]["quotation_id"] == str(quote.id)
    assert stored.content == created.pdf and stored.mime_type == "application/pdf"


async def test_problems_are_on_the_quote_not_priced_silently(shop, service):
    created = await service.create(
        shop.org_id, shop.customer_id, "100 x SKU-1, 10 x NP-1, 5 x NOPE-7, 300 x SKU-2"
    )
    warnings = created.quote.warnings
    assert any("SKU-1" in w and "below the MOQ of 500" in w for w in warnings)
    assert any("NP-1" in w and "no price" in w for w in warnings)
    assert any("NOPE-7" in w and "not in the catalog" in w for w in warnings)
    # Only priceable lines exist; the MOQ breach is priced and flagged on its line.
    assert [i.sku for i in created.items] == ["SKU-1", "SKU-2"]
    assert created.items[0].warnings and created.quote.total == Decimal("315.00")


async def test_currency_conversion_freezes_the_rate_on_the_quote(shop, service):
    created = await service.create(shop.org_id, shop.customer_id, "300 x TB-9 USD")
    quote = created.quote
    assert quote.base_currency == "CNY" and quote.exchange_rate == Decimal("0.140845")
    [line] = created.items
    # 15.00 CNY * 0.140845 = 2.112675 -> 2.1127 per unit; 300 * 2.1127 = 633.81
    assert line.unit_price == Decimal("2.1127") and line.line_total == Decimal("633.81")
    assert quote.total == Decimal("633.81")


async def test_quote_json_numbers_read_as_the_pdf_prints_them(shop, service):
    # Regression: --json said "quantity": "500.0000" (the stored numeric's scale).
    created = await service.create(shop.org_id, shop.customer_id, "500 x SKU-1, 2.5 x TB-9 USD")
    items = {i["sku"]: i for i in created.as_dict()["items"]}
    assert (items["SKU-1"]["quantity"], items["SKU-1"]["unit_price"]) == ("500", "2.10")
    # 15.00 CNY at 0.140845 = 2.1127 USD: converted unit prices keep 4 decimals.
    assert (items["TB-9"]["quantity"], items["TB-9"]["unit_price"]) == ("2.5", "2.1127")
    assert items["TB-9"]["line_total"] == "5.28" and created.as_dict()["total"] == "1055.28"


async def test_concurrent_quotes_never_share_a_number(shop, service):
    created = await asyncio.gather(
        *(service.create(shop.org_id, shop.customer_id, f"{500 + n} x SKU-1") for n in range(6))
    )
    numbers = sorted(c.quote.number for c in created)
    assert len(set(numbers)) == 6
    assert [int(n[-4:]) for n in numbers] == [1, 2, 3, 4, 5, 6]


async def test_a_rolled_back_quote_does_not_burn_a_number(pool, shop):
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        first = await quotations.next_number(conn, shop.org_id, 2031)
        await tx.rollback()
        again = await quotations.next_number(conn, shop.org_id, 2031)
    assert first == again == "Q-2031-0001"


async def test_a_request_without_items_is_refused(shop, service):
    with pytest.raises(QuoteError, match="no items"):
        await service.create(shop.org_id, shop.customer_id, "hello, how are you?")


async def test_accepting_a_sent_quote_wins_a_deal_once(pool, shop, service):
    created = await service.create(shop.org_id, shop.customer_id, "500 x SKU-1")
    with pytest.raises(Conflict, match="only a sent quote"):
        await service.close(shop.org_id, created.quote.number, "accepted")
    async with pool.acquire() as conn:
        await quotations.mark_sent(conn, shop.org_id, created.quote.id, shop.user.id)
    quote, deal_id = await service.close(shop.org_id, created.quote.number, "accepted")
    again, same_deal = await service.close(shop.org_id, created.quote.number, "accepted")
    assert quote.status == again.status == "accepted" and deal_id == same_deal
    async with pool.acquire() as conn:
        deal = await conn.fetchrow("SELECT * FROM deals WHERE id = $1", deal_id)
        deals = await conn.fetchval(
            "SELECT count(*) FROM deals WHERE customer_id = $1", shop.customer_id
        )
    assert deal["stage"] == "won" and deal["amount"] == Decimal("1050.00") and deals == 1


async def test_a_customer_is_found_by_name(pool, shop):
    async with pool.acquire() as conn:
        assert (await find_customer(conn, shop.org_id, "lucía")).id == shop.customer_id
        with pytest.raises(QuoteError, match="no customer"):
            await find_customer(conn, shop.org_id, "Nobody Here")
