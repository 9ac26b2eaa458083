"""A customer's explicit purchase request becomes a quote draft, once; chat does not."""

from __future__ import annotations

import uuid

from agents.quotes.intent import quote_from_message
from storage.repositories import messages


async def _inbound(pool, shop, text: str):
    async with pool.acquire() as conn:
        stored = await messages.insert_inbound(
            conn,
            org_id=shop.org_id,
            conversation_id=shop.conversation_id,
            channel_id=shop.channel_id,
            customer_id=shop.customer_id,
            external_message_id=uuid.uuid4().hex,
            content=text,
        )
    return stored.message


async def test_an_explicit_request_is_drafted_once(pool, shop, service):
    message = await _inbound(
        pool, shop, "Hola, necesito 600 unidades de SKU-1 en euros, CIF Valencia"
    )
    created = await quote_from_message(service, message, is_test=False)
    assert created is not None
    quote = created.quote
    assert quote.source_message_id == message.id and quote.status == "pending_approval"
    assert quote.currency == "EUR" and (quote.incoterm, quote.incoterm_place) == ("CIF", "Valencia")
    assert [i.sku for i in created.items] == ["SKU-1"]
    assert await quote_from_message(service, message, is_test=False) is None  # re-processing
    async with pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM quotations WHERE source_message_id = $1", message.id
        )
    assert count == 1


async def test_questions_and_sandbox_conversations_get_no_quote(pool, shop, service):
    question = await _inbound(pool, shop, "What is the MOQ of your steel bottles?")
    assert await quote_from_message(service, question, is_test=False) is None
    unknown = await _inbound(pool, shop, "500 x SOMETHING-ELSE")
    assert await quote_from_message(service, unknown, is_test=False) is None
    sandbox = await _inbound(pool, shop, "500 x SKU-1")
    assert await quote_from_message(service, sandbox, is_test=True) is None
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM quotations WHERE org_id = $1", shop.org_id)
            == 0
        )


async def test_two_workers_on_one_message_draft_one_quote(pool, shop, service):
    """Regression: the check-then-create raced; the unique key now decides."""
    import asyncio

    message = await _inbound(pool, shop, "Please quote 600 x SKU-1 FOB Ningbo")
    results = await asyncio.gather(
        *(quote_from_message(service, message, is_test=False) for _ in range(3))
    )
    assert sum(r is not None for r in results) == 1
    async with pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM quotations WHERE source_message_id = $1", message.id
        )
        cards = await conn.fetchval(
            "SELECT count(*) FROM reply_suggestions WHERE kind = 'quote' AND conversation_id = $1",
            shop.conversation_id,
        )
    assert count == 1 and cards == 1


async def test_with_the_catalog_a_message_that_is_no_request_costs_no_connection(
    pool, shop, service, database_url
):
    """The pipeline hands in the catalog it already read: the parse comes first, so nearly
    every message (no purchase request) never reaches for the pool."""
    from agents.quotes.service import QuoteService
    from storage.db import create_pool
    from storage.repositories import products

    async with pool.acquire() as conn:
        catalog = await products.active(conn, shop.org_id)
    assert catalog
    closed = await create_pool(database_url, min_size=0, max_size=1)
    await closed.close()  # any acquire now raises
    offline = QuoteService(closed, service.defaults)
    question = await _inbound(pool, shop, "What is the MOQ of your steel bottles?")
    assert await quote_from_message(offline, question, is_test=False, catalog=catalog) is None
    request = await _inbound(pool, shop, "Please quote 600 x SKU-1 FOB Ningbo")
    created = await quote_from_message(service, request, is_test=False, catalog=catalog)
    assert created is not None and [i.sku for i in created.items] == ["SKU-1"]
