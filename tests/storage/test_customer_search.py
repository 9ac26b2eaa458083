"""Customer lookup (quote create --customer, customer link, /customer): accents do not matter,
and a phone number finds its customer however it is typed, by their phone or their WhatsApp
account. Regression (black-box QA): "Ana Ruíz" did not find "Ana Ruiz", and neither
"+34 600 111 222" nor "600111222" found the customer who writes from whatsapp:+34600111222."""

from __future__ import annotations

import pytest

from storage.repositories import customers
from tests.storage.factories import make_channel, make_org


async def ids(conn, org_id, query):
    return {c.id for c in await customers.search(conn, org_id, query)}


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("Ana Ruiz", "Ana Ruíz"),
        ("Ana Ruíz", "Ana Ruiz"),
        ("Lucía García", "lucia garcia"),
        ("JOSÉ PEÑA", "jose pena"),
        ("François Müller", "francois muller"),
    ],
)
async def test_names_match_whatever_the_accents(conn, stored, typed):
    org = await make_org(conn)
    channel = await make_channel(conn, org, "telegram")
    match = await customers.upsert_by_identity(conn, org.id, channel.id, "42", display_name=stored)
    await customers.upsert_by_identity(conn, org.id, channel.id, "43", display_name="Ana Ortiz")
    assert await ids(conn, org.id, typed) == {match.customer.id}


async def test_a_company_matches_without_its_accents(conn):
    org = await make_org(conn)
    created = await customers.create(conn, org.id, "Marta", company="Café Ñandú SL")
    assert await ids(conn, org.id, "cafe nandu") == {created.id}


@pytest.mark.parametrize(
    "typed",
    [
        "+34 600 111 222",
        "600111222",
        "600 111 222",
        "whatsapp:+34600111222",
        "+34-600-111-222",
        "0034 600 111 222",
    ],
)
async def test_a_phone_number_finds_the_whatsapp_account_however_it_is_typed(conn, typed):
    org = await make_org(conn)
    whatsapp = await make_channel(conn, org, "whatsapp")
    telegram = await make_channel(conn, org, "telegram")
    on_wa = await customers.upsert_by_identity(
        conn, org.id, whatsapp.id, "whatsapp:+34600111222", display_name="Lucía"
    )
    await customers.upsert_by_identity(
        conn, org.id, whatsapp.id, "whatsapp:+34600999888", display_name="Other"
    )
    # A Telegram user id made of the same digits is no phone number.
    await customers.upsert_by_identity(conn, org.id, telegram.id, "34600111222", display_name="Tg")
    assert await ids(conn, org.id, typed) == {on_wa.customer.id}


@pytest.mark.parametrize("typed", ["+34 600 111 222", "600111222", "(600) 111-222"])
async def test_a_phone_number_finds_the_customers_phone_with_or_without_country_code(conn, typed):
    org = await make_org(conn)
    local = await customers.create(conn, org.id, "Pepe", phone="600 111 222")
    await customers.create(conn, org.id, "Other", phone="+34 611 000 000")
    assert await ids(conn, org.id, typed) == {local.id}


async def test_a_uk_number_with_its_trunk_zero_finds_the_international_form(conn):
    org = await make_org(conn)
    uk = await customers.create(conn, org.id, "Tom", phone="+44 7700 900123")
    assert await ids(conn, org.id, "07700 900123") == {uk.id}


async def test_short_numbers_and_other_orgs_find_nothing(conn):
    org, other = await make_org(conn), await make_org(conn)
    channel = await make_channel(conn, other, "whatsapp")
    await customers.upsert_by_identity(
        conn, other.id, channel.id, "whatsapp:+34600111222", display_name="Lucía"
    )
    assert await ids(conn, org.id, "600111222") == set()  # org-scoped
    mine = await make_channel(conn, org, "whatsapp")
    await customers.upsert_by_identity(conn, org.id, mine.id, "whatsapp:+34600111222")
    assert await ids(conn, org.id, "222") == set()  # three digits are no phone number
    assert await ids(conn, org.id, "2026") == set()
