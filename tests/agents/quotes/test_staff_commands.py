"""``/products``, ``/quote`` and ``/quote_accept`` called directly with real services and rows."""

from __future__ import annotations

import pytest

from bot.approvals import Approvals
from bot.outbox import ChannelOutbox
from bot.runtime import OUTBOUND_STREAM
from bot.services import Services
from bot.settings import load_settings
from bot.staff.commands import CALLBACKS, COMMANDS, CommandContext, load_all
from bot.staff.quotes import accept_quote, create_quote, list_products, split_customer
from storage.crypto import SecretBox, generate_key
from storage.queue import WorkQueue
from storage.repositories import quotations


@pytest.fixture
def services(monkeypatch, tmp_path, pool, redis, keys, database_url, redis_url) -> Services:
    monkeypatch.setenv("TRADEMATE__APP__DATA_DIR", str(tmp_path / "var"))
    return Services(
        settings=load_settings(),
        pool=pool,
        redis=redis,
        keys=keys,
        secrets=SecretBox(generate_key()),
        database_url=database_url,
        redis_url=redis_url,
    )


def ctx(services, shop, args: str = "") -> CommandContext:
    return CommandContext(services, shop.org_id, shop.user, args)


async def test_products_lists_the_catalog(services, shop):
    reply = await list_products(ctx(services, shop))
    assert "SKU-1 — Steel bottle 500 ml: 2.1 USD/pcs, MOQ 500" in reply.text
    assert "NP-1 — Sample kit: no price" in reply.text
    assert COMMANDS["products"].allowed("readonly")


async def test_quote_answers_with_the_pdf_and_approval_buttons(pool, services, shop):
    reply = await create_quote(ctx(services, shop, "Lucía García 500 x SKU-1, 50 x SKU-2 EUR CIF"))
    assert reply.document is not None and reply.document.content.startswith(b"%PDF")
    number = reply.document.filename.removesuffix(".pdf")
    assert f"Quotation {number} for Lucía García" in reply.text
    assert "below the MOQ of 100" in reply.text and "EUR" in reply.text
    [[approve, reject]] = reply.buttons
    async with pool.acquire() as conn:
        quote = await quotations.get_by_number(conn, shop.org_id, number)
    assert approve.callback_data == f"ap:approve:{quote.suggestion_id}"
    assert reject.callback_data == f"ap:reject:{quote.suggestion_id}"
    assert quote.created_by == shop.user.id and quote.incoterm == "CIF"
    assert not COMMANDS["quote"].allowed("readonly")


async def test_quote_explains_what_is_wrong(services, shop):
    assert (
        "no customer matches" in (await create_quote(ctx(services, shop, "Nobody 5 x SKU-1"))).text
    )
    assert "usage" in (await create_quote(ctx(services, shop, "500 x SKU-1"))).text
    assert "no items" in (await create_quote(ctx(services, shop, "Lucía 5 apples please"))).text


async def test_quote_accept_marks_the_quote_and_wins_the_deal(pool, services, shop):
    reply = await create_quote(ctx(services, shop, "Lucía 500 x SKU-1"))
    number = reply.document.filename.removesuffix(".pdf")
    assert "only a sent quote" in (await accept_quote(ctx(services, shop, number))).text
    async with pool.acquire() as conn:
        quote = await quotations.get_by_number(conn, shop.org_id, number)
        await quotations.mark_sent(conn, shop.org_id, quote.id, shop.user.id)
    answer = await accept_quote(ctx(services, shop, number))
    assert answer.text == f"Quotation {number} is accepted. The deal is marked won."


def test_the_customer_name_ends_where_the_items_begin():
    assert split_customer("Lucía García 500 x SKU-1, 2 x B") == (
        "Lucía García",
        "500 x SKU-1, 2 x B",
    )
    assert split_customer("王芳 500个保温杯") == ("王芳", "500个保温杯")


async def test_the_approve_button_of_a_quote_queues_the_pdf_for_the_customer(pool, services, shop):
    load_all()
    reply = await create_quote(ctx(services, shop, "Lucía 500 x SKU-1"))
    [[approve, _]] = reply.buttons
    prefix, _, payload = approve.callback_data.partition(":")
    # The staff bot hands every handler the app's one Approvals, as it does in production.
    outbound = WorkQueue(services.redis, services.keys, OUTBOUND_STREAM)
    press = ctx(services, shop, payload)
    press.extra["approvals"] = Approvals(services, ChannelOutbox(services.pool, outbound))
    answer = await CALLBACKS[prefix].handler(press)
    assert "Can't" not in str(answer)
    number = reply.document.filename.removesuffix(".pdf")
    async with pool.acquire() as conn:
        quote = await quotations.get_by_number(conn, shop.org_id, number)
        message = await conn.fetchrow(
            "SELECT * FROM messages WHERE org_id = $1 AND direction = 'outbound'", shop.org_id
        )
    assert quote.status == "sent" and quote.approved_by == shop.user.id
    assert message["status"] == "queued" and message["content_type"] == "document"
    [media] = message["media"]
    assert media["kind"] == "document" and media["file_name"] == f"{number}.pdf"
    assert "/media/" in media["url"] and number in message["content"]
