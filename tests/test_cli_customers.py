"""``trademate customer add|list``, and the README's quote walkthrough on a new merchant."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from storage.db import _init_connection
from storage.models import Organization
from tests.conftest import trademate
from tests.storage.factories import make_channel

pytestmark = pytest.mark.slow

CSV = "SKU,name,price,currency,MOQ\nSOCK-STR,Striped Socks,3.20,EUR,50\n"


async def _channel(env, org_id: str):
    conn = await asyncpg.connect(env["DATABASE_URL"])
    try:
        await _init_connection(conn)
        org = await conn.fetchrow("SELECT * FROM organizations WHERE id = $1", uuid.UUID(org_id))
        return await make_channel(conn, Organization.from_record(org), "whatsapp")
    finally:
        await conn.close()


async def _rows(env, sql: str, *args):
    conn = await asyncpg.connect(env["DATABASE_URL"])
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def test_a_new_merchant_adds_a_customer_and_quotes_them(cli_env, tmp_path):
    # Regression: on a new merchant `quote create --customer "Lucía"` could only fail (no
    # customer matches) and nothing but an inbound message created a customer.
    assert trademate(cli_env, "migrate").returncode == 0
    org_id = trademate(cli_env, "org", "create", "Sunny Socks Shop").stdout.strip()
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CSV, encoding="utf-8")
    assert trademate(cli_env, "products", "import", "--org", org_id, str(catalog)).returncode == 0

    missing = trademate(
        cli_env, "quote", "create", "--org", org_id, "--customer", "Lucía", "500 x SOCK-STR"
    )
    assert missing.returncode == 1 and "trademate customer add" in missing.stderr

    # Without a channel account: a customer, but a quote has no conversation to go on.
    bare = trademate(cli_env, "customer", "add", "--org", org_id, "Pedro Gómez", "--json")
    assert bare.returncode == 0, bare.stderr
    assert json.loads(bare.stdout)["channel"] is None
    unreachable = trademate(
        cli_env, "quote", "create", "--org", org_id, "--customer", "Pedro", "500 x SOCK-STR"
    )
    assert unreachable.returncode == 1
    assert "trademate customer link --org ... CUSTOMER --channel ID" in unreachable.stderr

    channel = await _channel(cli_env, org_id)
    added = trademate(
        cli_env, "customer", "add", "--org", org_id, "Lucía García", "--language", "es",
        "--country", "es", "--email", "lucia@example.com", "--channel", str(channel.id),
        "--contact", "whatsapp:+34600111222",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    customer_id = uuid.UUID(added.stdout.strip())  # only the id on stdout

    created = trademate(
        cli_env, "quote", "create", "--org", org_id, "--customer", "Lucía", "--json",
        "500 x SOCK-STR EUR",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    quote = json.loads(created.stdout)
    assert quote["language"] == "es" and quote["total"] == "1600.00"

    [row] = await _rows(
        cli_env,
        "SELECT c.is_test, c.country, v.last_inbound_at, i.external_id FROM customers c"
        " JOIN conversations v ON v.customer_id = c.id"
        " JOIN customer_identities i ON i.customer_id = c.id WHERE c.id = $1",
        customer_id,
    )
    # A real CRM customer; no inbound, so WhatsApp's 24-hour window is not opened.
    assert not row["is_test"] and row["country"] == "ES" and row["last_inbound_at"] is None
    assert row["external_id"] == "whatsapp:+34600111222"

    # The number as staff type it is the same account as intake's "whatsapp:+34..." form
    # (regression: stored as typed, the customer's reply made a second customer).
    taken = trademate(
        cli_env, "customer", "add", "--org", org_id, "Someone Else", "--channel",
        str(channel.id), "--contact", " +34600111222",
    )  # fmt: skip
    assert taken.returncode == 1 and "already a customer's account" in taken.stderr
    bad = trademate(
        cli_env, "customer", "add", "--org", org_id, "Someone Else", "--channel",
        str(channel.id), "--contact", "600 111 222",
    )  # fmt: skip
    assert bad.returncode == 2 and "not a WhatsApp number" in bad.stderr
    lonely = trademate(cli_env, "customer", "add", "--org", org_id, "X", "--contact", "1")
    assert lonely.returncode == 2 and "go together" in lonely.stderr

    listed = trademate(cli_env, "customer", "list", "--org", org_id, "--json")
    assert listed.returncode == 0, listed.stderr
    names = [json.loads(line)["name"] for line in listed.stdout.splitlines()]
    assert names == ["Lucía García", "Pedro Gómez"]  # newest first; the refused one is not there
    table = trademate(cli_env, "customer", "list", "--org", org_id).stdout
    assert f"{customer_id}\tLucía García\tes\tES\tlucia@example.com\t-" in table


async def test_a_customer_added_without_a_channel_is_linked_later_and_quoted(cli_env, tmp_path):
    # Regression: `customer add` without --channel made a customer no command could ever give
    # a channel account, so they could never be quoted.
    assert trademate(cli_env, "migrate").returncode == 0
    org_id = trademate(cli_env, "org", "create", "Sunny Socks Shop").stdout.strip()
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CSV, encoding="utf-8")
    assert trademate(cli_env, "products", "import", "--org", org_id, str(catalog)).returncode == 0
    channel = await _channel(cli_env, org_id)
    pedro = trademate(cli_env, "customer", "add", "--org", org_id, "Pedro Gómez")
    assert pedro.returncode == 0 and "customer link" in pedro.stderr  # the hint names the fix
    pedro_id = uuid.UUID(pedro.stdout.strip())

    def link(customer: str, contact: str):
        return trademate(
            cli_env, "customer", "link", "--org", org_id, customer, "--channel",
            str(channel.id), "--contact", contact,
        )  # fmt: skip

    linked = link("pedro", " +34600111333")  # a name as `quote create --customer` takes it
    assert linked.returncode == 0, linked.stderr
    assert uuid.UUID(linked.stdout.strip()) == pedro_id
    assert "linked to whatsapp" in linked.stderr and "whatsapp:+34600111333" in linked.stderr
    [row] = await _rows(
        cli_env,
        "SELECT v.last_inbound_at, v.status, i.external_id FROM customer_identities i"
        " JOIN conversations v ON v.customer_id = i.customer_id AND v.channel_id = i.channel_id"
        " WHERE i.customer_id = $1",
        pedro_id,
    )
    # Intake's form of the sender (so Pedro's reply finds him), and a conversation to quote
    # on whose WhatsApp window stays closed until he writes.
    assert row["external_id"] == "whatsapp:+34600111333"
    assert row["last_inbound_at"] is None and row["status"] != "closed"
    quoted = trademate(
        cli_env, "quote", "create", "--org", org_id, "--customer", "Pedro", "--json",
        "100 x SOCK-STR EUR",
    )  # fmt: skip
    assert quoted.returncode == 0, quoted.stderr
    assert json.loads(quoted.stdout)["total"] == "320.00"

    # Again, by id: nothing changes, and it says so.
    again = link(str(pedro_id), "whatsapp:+34600111333")
    assert again.returncode == 0 and "already linked" in again.stderr, again.stderr
    counts = await _rows(
        cli_env,
        "SELECT (SELECT count(*) FROM customer_identities WHERE customer_id = $1) AS accounts,"
        " (SELECT count(*) FROM conversations WHERE customer_id = $1) AS conversations",
        pedro_id,
    )
    assert dict(counts[0]) == {"accounts": 1, "conversations": 1}

    # Pedro's number is not someone else's: refused, naming whose it is.
    ana = uuid.UUID(trademate(cli_env, "customer", "add", "--org", org_id, "Ana").stdout.strip())
    taken = link(str(ana), "+34600111333")
    assert taken.returncode == 1 and "already a customer's account" in taken.stderr
    assert "Pedro Gómez" in taken.stderr and str(pedro_id) in taken.stderr
    assert not await _rows(cli_env, "SELECT 1 FROM customer_identities WHERE customer_id = $1", ana)
    bad = link("Ana", "600 111 444")
    assert bad.returncode == 2 and "not a WhatsApp number" in bad.stderr
    nobody = link("Zoe", "+34600111555")
    assert nobody.returncode == 1 and "no customer matches 'Zoe'" in nobody.stderr
    stranger = link(str(uuid.uuid4()), "+34600111555")
    assert stranger.returncode == 1 and "not found" in stranger.stderr.lower()
    missing = trademate(cli_env, "customer", "link", "--org", org_id, "Ana", "--contact", "1")
    assert missing.returncode == 2 and "--channel" in missing.stderr
