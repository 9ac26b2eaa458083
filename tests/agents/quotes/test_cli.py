"""``trademate products import`` and ``trademate quote create|accept`` as a merchant runs them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from storage.db import _init_connection
from storage.models import Organization
from storage.repositories import conversations, customers
from tests.conftest import trademate
from tests.storage.factories import make_channel

pytestmark = pytest.mark.slow

CSV = "SKU,name,price,currency,MOQ\nSKU-1,Steel bottle,2.10,USD,500\nSKU-2,Bamboo lid,0.35,USD,\n"


async def test_import_then_quote_then_accept(cli_env, tmp_path):
    assert trademate(cli_env, "migrate").returncode == 0
    org_id = trademate(cli_env, "org", "create", "Costa Export").stdout.strip()
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CSV, encoding="utf-8")
    imported = trademate(cli_env, "products", "import", "--org", org_id, str(catalog), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout) == {"created": 2, "updated": 0, "errors": []}

    conn = await asyncpg.connect(cli_env["DATABASE_URL"])
    try:
        await _init_connection(conn)
        org = await conn.fetchrow("SELECT * FROM organizations WHERE id = $1", uuid.UUID(org_id))
        channel = await make_channel(conn, Organization.from_record(org), "telegram")
        match = await customers.upsert_by_identity(
            conn, org["id"], channel.id, "4242", display_name="Marta Ruiz"
        )
        await conversations.upsert_active(
            conn, org["id"], match.customer.id, channel.id, inbound_at=datetime.now(UTC)
        )
    finally:
        await conn.close()

    pdf = tmp_path / "quote.pdf"
    created = trademate(
        cli_env, "quote", "create", "--org", org_id, "--customer", "marta",
        "--pdf", str(pdf), "--json", "600 x SKU-1, 100 x SKU-2 USD FOB",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    quote = json.loads(created.stdout)
    assert quote["status"] == "pending_approval" and quote["total"] == "1295.00"
    assert [i["sku"] for i in quote["items"]] == ["SKU-1", "SKU-2"]
    assert pdf.read_bytes().startswith(b"%PDF")

    refused = trademate(cli_env, "quote", "accept", "--org", org_id, quote["number"])
    assert refused.returncode == 1 and "only a sent quote" in refused.stderr
    unknown = trademate(
        cli_env, "quote", "create", "--org", org_id, "--customer", "nobody", "1 x A"
    )
    assert unknown.returncode == 1 and "no customer matches" in unknown.stderr
