"""A user of one organization can never see or decide another organization's rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from storage.db import transaction
from storage.repositories import channels as channel_repo
from storage.repositories import (
    conversations,
    customers,
    memories,
    messages,
    organizations,
    suggestions,
)

pytestmark = pytest.mark.slow


@pytest.fixture
async def other_org(inbox):
    """Org B with a customer, a message, a pending draft and a memory, built with the real
    repositories; org A's staff will go looking for them."""
    services = inbox.stack.services
    now = datetime.now(UTC)
    async with transaction(services.pool) as conn:
        org = await organizations.create(conn, f"Other {uuid.uuid4().hex[:6]}")
        channel = await channel_repo.create(
            conn, org.id, "whatsapp", "b-wa",
            config_encrypted=services.secrets.encrypt({}), webhook_secret="b",
        )  # fmt: skip
        match = await customers.upsert_by_identity(
            conn, org.id, channel.id, "+4915100000000", display_name="Bruno Secret", seen_at=now
        )
        conv = await conversations.upsert_active(
            conn, org.id, match.customer.id, channel.id, inbound_at=now
        )
        stored = await messages.insert_inbound(
            conn, org_id=org.id, conversation_id=conv.id, channel_id=channel.id,
            customer_id=match.customer.id, external_message_id="b-1",
            content="secret question of org B",
        )  # fmt: skip
        draft, _ = await suggestions.create_reply(
            conn, org_id=org.id, message_id=stored.message.id, conversation_id=conv.id,
            draft="secret draft of org B", language="en", sources=[], confidence=0.9,
            engine="offline", action="queue", reason="test",
        )  # fmt: skip
        memory = await memories.add(
            conn, org_id=org.id, customer_id=match.customer.id, category="location",
            content="lives in Berlin", importance=0.8,
        )  # fmt: skip
    try:
        yield {
            "org": org,
            "customer": match.customer.id,
            "conversation": conv.id,
            "suggestion": draft.id,
            "memory": memory.id,
        }
    finally:
        async with services.pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)


async def test_org_a_cannot_see_org_b(inbox, other_org):
    owner = await inbox.user("owner")
    browser = inbox.browser()
    await browser.login(owner.email)
    _, page = await browser.get("/inbox/")
    assert "secret draft of org B" not in page
    for path in (
        f"/inbox/conversations/{other_org['conversation']}",
        f"/inbox/customers/{other_org['customer']}",
        f"/inbox/cards/{other_org['suggestion']}",
    ):
        status, page = await browser.get(path)
        assert status == 404, path
        assert "Bruno Secret" not in page and "of org B" not in page, path
    for query in ("Bruno", "secret question", "+49151"):
        _, page = await browser.get(f"/inbox/search?q={query}")
        assert "Bruno Secret" not in page and "secret question of org B" not in page


async def test_org_a_cannot_decide_or_edit_org_b(inbox, other_org):
    owner = await inbox.user("owner")
    browser = inbox.browser()
    await browser.login(owner.email)
    status, _ = await browser.post(
        f"/inbox/suggestions/{other_org['suggestion']}/decide", {"action": "approve"}
    )
    assert status == 404
    path = f"/inbox/customers/{other_org['customer']}/memories/{other_org['memory']}"
    status, _ = await browser.post(path, {"operation": "delete"})
    assert status == 404
    rows = await inbox.stack.fetch(
        "SELECT status FROM reply_suggestions WHERE id = $1", other_org["suggestion"]
    )
    assert rows[0]["status"] == "pending"
    memory = other_org["memory"]
    rows = await inbox.stack.fetch("SELECT count(*) FROM memories WHERE id = $1", memory)
    assert rows[0]["count"] == 1
    assert inbox.stack.fakes.twilio.sent() == []


async def test_the_same_email_in_two_orgs_logs_into_the_one_whose_password_matches(
    inbox, other_org
):
    from bot.passwords import hash_password
    from storage.repositories import users

    mine = await inbox.user("agent")
    async with transaction(inbox.stack.services.pool) as conn:
        await users.create(
            conn, other_org["org"].id, mine.email, "owner",
            password_hash=hash_password("a different password"),
        )  # fmt: skip
    browser = inbox.browser()
    status, page = await browser.login(mine.email)
    assert status == 200 and mine.display_name in page
    _, page = await browser.get(f"/inbox/customers/{other_org['customer']}")
    assert "Bruno Secret" not in page
    other = inbox.browser()
    status, page = await other.login(mine.email, "a different password")
    assert status == 200 and "Log out" in page
    _, page = await other.get(f"/inbox/customers/{other_org['customer']}")
    assert "Bruno Secret" in page
