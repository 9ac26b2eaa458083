"""Customer pages, memory edits and search in the web inbox."""

from __future__ import annotations

import pytest

from storage.db import transaction
from storage.repositories import memories

pytestmark = pytest.mark.slow


async def _memory(inbox, draft, content: str):
    async with transaction(inbox.stack.services.pool) as conn:
        return await memories.add(
            conn,
            org_id=inbox.stack.org_id,
            customer_id=draft.customer_id,
            category="location",
            content=content,
            importance=0.8,
        )


async def test_the_customer_page_shows_profile_memories_and_messages(inbox):
    agent = await inbox.user("agent")
    draft = await inbox.draft("I need 300 tote bags for Lisbon", "We can do that.")
    await _memory(inbox, draft, "ships to Lisbon")
    async with inbox.stack.services.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO leads (org_id, customer_id, title, score) VALUES ($1, $2, $3, 70)",
            inbox.stack.org_id,
            draft.customer_id,
            "300 tote bags",
        )
        await conn.execute(
            "INSERT INTO hot_leads (org_id, customer_id, score, summary) VALUES ($1, $2, 85, $3)",
            inbox.stack.org_id,
            draft.customer_id,
            "asked for 300 pcs",
        )
    browser = inbox.browser()
    await browser.login(agent.email)
    status, page = await browser.get(f"/inbox/customers/{draft.customer_id}")
    assert status == 200
    assert "Marta" in page and "+34600000009" in page  # profile and WhatsApp identity
    assert "ships to Lisbon" in page
    assert "I need 300 tote bags for Lisbon" in page
    assert "lead: 300 tote bags · score 70" in page
    assert "hot lead: asked for 300 pcs · score 85" in page


async def test_staff_edit_and_delete_a_memory_with_an_audit_trail(inbox):
    agent = await inbox.user("agent")
    draft = await inbox.draft("deliver to Porto please", "Sure.")
    memory = await _memory(inbox, draft, "ships to Porto")
    browser = inbox.browser()
    await browser.login(agent.email)
    path = f"/inbox/customers/{draft.customer_id}/memories/{memory.id}"
    status, page = await browser.post(path, {"operation": "save", "content": "ships to Braga"})
    assert status == 200 and "Memory saved." in page and "ships to Braga" in page
    rows = await inbox.stack.fetch("SELECT content, source FROM memories WHERE id = $1", memory.id)
    assert dict(rows[0]) == {"content": "ships to Braga", "source": "staff"}
    status, page = await browser.post(path, {"operation": "delete"})
    assert status == 200 and "Memory deleted." in page and "ships to Braga" not in page
    assert await inbox.stack.fetch("SELECT 1 FROM memories WHERE id = $1", memory.id) == []
    audit = await inbox.stack.fetch(
        "SELECT action, actor_user_id FROM audit_logs WHERE entity_id = $1 ORDER BY created_at",
        memory.id,
    )
    assert [(a["action"], a["actor_user_id"]) for a in audit] == [
        ("memory.edited", agent.id),
        ("memory.deleted", agent.id),
    ]


async def test_readonly_staff_cannot_edit_memories(inbox):
    viewer = await inbox.user("readonly")
    draft = await inbox.draft("deliver to Faro", "Sure.")
    memory = await _memory(inbox, draft, "ships to Faro")
    browser = inbox.browser()
    await browser.login(viewer.email)
    _, page = await browser.get(f"/inbox/customers/{draft.customer_id}")
    assert "ships to Faro" in page and 'value="delete"' not in page
    path = f"/inbox/customers/{draft.customer_id}/memories/{memory.id}"
    status, _ = await browser.post(path, {"operation": "delete"})
    assert status == 403
    assert len(await inbox.stack.fetch("SELECT 1 FROM memories WHERE id = $1", memory.id)) == 1


async def test_search_finds_customers_by_name_and_handle_and_messages_by_text(inbox):
    agent = await inbox.user("agent")
    await inbox.draft("do you sell bamboo toothbrushes?", "Yes.", name="Joaquim", phone="+351911")
    await inbox.draft("hello", "Hi!", name="Beatriz", phone="+351922")
    browser = inbox.browser()
    await browser.login(agent.email)
    _, page = await browser.get("/inbox/search?q=joaq")
    assert "Joaquim" in page and "Beatriz" not in page
    _, page = await browser.get("/inbox/search?q=%2B351922")  # a WhatsApp number
    assert "Beatriz" in page and "Joaquim" not in page
    _, page = await browser.get("/inbox/search?q=BAMBOO")
    assert "do you sell bamboo toothbrushes?" in page
    _, page = await browser.get("/inbox/search?q=50%25_off")  # LIKE wildcards are literal
    assert "No customers match." in page and "No messages match." in page


async def test_times_are_shown_in_the_shops_time_zone(inbox):
    from zoneinfo import ZoneInfo

    agent = await inbox.user("agent")
    draft = await inbox.draft("what time do you open?", "At nine.")
    async with inbox.stack.services.pool.acquire() as conn:
        await conn.execute(
            "UPDATE organizations SET timezone = 'Asia/Shanghai' WHERE id = $1", inbox.stack.org_id
        )
        created = await conn.fetchval(
            "SELECT created_at FROM messages WHERE conversation_id = $1", draft.conversation_id
        )
    browser = inbox.browser()
    await browser.login(agent.email)
    _, page = await browser.get(f"/inbox/conversations/{draft.conversation_id}")
    assert created.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M") in page


async def test_search_leaves_out_trademate_try_sandbox_rows(inbox):
    """Regression: sandbox customers and their messages showed up in inbox search."""
    agent = await inbox.user("agent")
    message = await inbox.inbound("sandbox-marker question", name="Sandra Sandbox")
    async with inbox.stack.services.pool.acquire() as conn:
        await conn.execute(
            "UPDATE customers SET is_test = true WHERE id = $1", message["customer_id"]
        )
        await conn.execute(
            "UPDATE conversations SET is_test = true WHERE id = $1", message["conversation_id"]
        )
    browser = inbox.browser()
    await browser.login(agent.email)
    _, page = await browser.get("/inbox/search?q=Sandra")
    assert "Sandra Sandbox" not in page
    _, page = await browser.get("/inbox/search?q=sandbox-marker")
    assert "sandbox-marker question" not in page


async def test_a_memory_edited_in_the_inbox_waits_for_upkeep_to_embed_it_again(inbox):
    """Regression: the web process holds no vector store, so an edited memory kept its old
    vector. The edit now clears ``vector_id``; the worker's upkeep re-embeds it."""
    agent = await inbox.user("agent")
    draft = await inbox.draft("deliver to Porto please", "Sure.")
    memory = await _memory(inbox, draft, "ships to Porto")
    await inbox.stack.fetch("UPDATE memories SET vector_id = id WHERE id = $1", memory.id)
    browser = inbox.browser()
    await browser.login(agent.email)
    path = f"/inbox/customers/{draft.customer_id}/memories/{memory.id}"
    status, _ = await browser.post(path, {"operation": "save", "content": "ships to Braga"})
    assert status == 200
    rows = await inbox.stack.fetch("SELECT vector_id FROM memories WHERE id = $1", memory.id)
    assert rows[0]["vector_id"] is None
