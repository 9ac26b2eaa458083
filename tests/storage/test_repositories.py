"""Repository round trips against the real schema (each test rolls back)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from storage.db import transaction
from storage.errors import Conflict, NotFound
from storage.repositories import (
    audit,
    channels,
    conversations,
    customers,
    messages,
    organizations,
    users,
)

from .factories import BOX, make_channel, make_org, now


async def test_organization_round_trip_and_unique_slugs(conn):
    first = await organizations.create(
        conn, "Acme Export Ltd.", plan="pro", timezone="Asia/Shanghai"
    )
    second = await organizations.create(conn, "Acme Export Ltd.")
    assert first.slug == "acme-export-ltd"
    assert second.slug == "acme-export-ltd-2"
    assert (await organizations.get(conn, first.id)) == first
    assert (await organizations.resolve(conn, "acme-export-ltd")).id == first.id
    assert (await organizations.resolve(conn, str(second.id))).id == second.id
    assert first.plan == "pro" and first.timezone == "Asia/Shanghai"


async def test_chinese_name_gets_a_usable_slug(conn):
    created = await organizations.create(conn, "义乌小商品贸易")
    assert created.slug.startswith("org-")
    assert created.name == "义乌小商品贸易"


async def test_missing_organization_raises_not_found(conn):
    with pytest.raises(NotFound):
        await organizations.get(conn, uuid.uuid4())
    with pytest.raises(NotFound):
        await organizations.resolve(conn, "no-such-shop")


async def test_settings_merge(conn):
    org = await make_org(conn)
    updated = await organizations.update_settings(conn, org.id, {"autopilot": True})
    updated = await organizations.update_settings(conn, org.id, {"silent_days": 5})
    assert updated.settings == {"autopilot": True, "silent_days": 5}


async def test_users_email_is_unique_per_org_case_insensitively(conn):
    org = await make_org(conn)
    other = await make_org(conn)
    created = await users.create(conn, org.id, "Ana@Shop.com", "owner", password_hash="x")
    assert (await users.get_by_email(conn, org.id, "ana@shop.COM")).id == created.id
    with pytest.raises(Conflict):
        await users.create(conn, org.id, "ana@shop.com", "agent")
    # The same person may be staff of another merchant.
    await users.create(conn, other.id, "ana@shop.com", "agent")


async def test_password_hash_never_leaks_into_dumps(conn):
    org = await make_org(conn)
    created = await users.create(conn, org.id, "a@b.co", "agent", password_hash="scrypt$secret")
    assert "scrypt$secret" not in repr(created)
    assert "password_hash" not in created.model_dump()


async def test_invalid_role_is_rejected_by_the_database(conn):
    import asyncpg

    org = await make_org(conn)
    with pytest.raises(asyncpg.CheckViolationError):
        await users.create(conn, org.id, "x@y.co", "superuser")


async def test_telegram_link(conn):
    org = await make_org(conn)
    a = await users.create(conn, org.id, "a@shop.co", "agent")
    b = await users.create(conn, org.id, "b@shop.co", "agent")
    await users.link_telegram(conn, org.id, a.id, 4242)
    assert (await users.get_by_telegram(conn, org.id, 4242)).id == a.id
    with pytest.raises(Conflict):
        await users.link_telegram(conn, org.id, b.id, 4242)


async def test_channel_config_is_stored_encrypted(conn):
    org = await make_org(conn)
    channel = await make_channel(conn, org, "telegram", "main bot")
    raw = await conn.fetchval("SELECT config_encrypted FROM channels WHERE id = $1", channel.id)
    assert b"secret-token" not in raw
    assert BOX.decrypt(raw) == {"token": "secret-token"}
    assert (await channels.get_for_webhook(conn, channel.id)).org_id == org.id
    with pytest.raises(Conflict):
        await make_channel(conn, org, "telegram", "main bot")


async def test_identity_upsert_is_idempotent(conn):
    org = await make_org(conn)
    channel = await make_channel(conn, org)
    first = await customers.upsert_by_identity(
        conn, org.id, channel.id, "whatsapp:+34600000001", display_name="Lucía", seen_at=now()
    )
    again = await customers.upsert_by_identity(conn, org.id, channel.id, "whatsapp:+34600000001")
    assert first.created and not again.created
    assert again.customer.id == first.customer.id
    assert first.customer.display_name == "Lucía"


async def test_concurrent_first_messages_from_one_customer_make_one_customer(pool):
    async with transaction(pool) as setup:
        org = await make_org(setup)
        channel = await make_channel(setup, org)

    async def intake() -> uuid.UUID:
        async with transaction(pool) as conn:
            found = await customers.upsert_by_identity(conn, org.id, channel.id, "tg:777")
            return found.customer.id

    try:
        ids = await asyncio.gather(*(intake() for _ in range(5)))
        assert len(set(ids)) == 1
        async with pool.acquire() as conn:
            count = await conn.fetchval("SELECT count(*) FROM customers WHERE org_id = $1", org.id)
        assert count == 1
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)


async def test_conversation_upsert_keeps_one_active_and_moves_forward(conn):
    org = await make_org(conn)
    channel = await make_channel(conn, org)
    match = await customers.upsert_by_identity(conn, org.id, channel.id, "c1")
    t0 = now()
    first = await conversations.upsert_active(
        conn, org.id, match.customer.id, channel.id, inbound_at=t0
    )
    late = await conversations.upsert_active(
        conn, org.id, match.customer.id, channel.id, inbound_at=t0 - timedelta(hours=1)
    )
    assert late.id == first.id
    assert late.last_inbound_at == t0  # an out-of-order webhook doesn't move it back
    await conversations.set_status(conn, org.id, first.id, "closed")
    reopened = await conversations.upsert_active(
        conn, org.id, match.customer.id, channel.id, inbound_at=now()
    )
    assert reopened.id != first.id


async def test_inbound_message_is_stored_once_per_platform_id(conn):
    org = await make_org(conn)
    channel = await make_channel(conn, org)
    match = await customers.upsert_by_identity(conn, org.id, channel.id, "c1")
    convo = await conversations.upsert_active(
        conn, org.id, match.customer.id, channel.id, inbound_at=now()
    )
    kwargs = dict(
        org_id=org.id,
        conversation_id=convo.id,
        channel_id=channel.id,
        customer_id=match.customer.id,
        external_message_id="SM123",
        content="How much for 500 pcs?",
        metadata={"profile": "Lucía"},
    )
    stored = await messages.insert_inbound(conn, **kwargs)
    replay = await messages.insert_inbound(conn, **kwargs)
    assert stored.created and not replay.created
    assert replay.message.id == stored.message.id
    assert stored.message.processing_status == "pending"
    assert stored.message.metadata == {"profile": "Lucía"}
    assert [m.id for m in await messages.recent_in_conversation(conn, org.id, convo.id)] == [
        stored.message.id
    ]


async def test_recent_messages_come_oldest_first_and_limited(conn):
    org = await make_org(conn)
    channel = await make_channel(conn, org)
    match = await customers.upsert_by_identity(conn, org.id, channel.id, "c1")
    convo = await conversations.upsert_active(
        conn, org.id, match.customer.id, channel.id, inbound_at=now()
    )
    for i in range(5):
        await messages.insert_inbound(
            conn,
            org_id=org.id,
            conversation_id=convo.id,
            channel_id=channel.id,
            customer_id=match.customer.id,
            external_message_id=f"m{i}",
            content=f"message {i}",
        )
    recent = await messages.recent_in_conversation(conn, org.id, convo.id, limit=3)
    assert [m.content for m in recent] == ["message 2", "message 3", "message 4"]


async def test_customer_search_and_merge(conn):
    org = await make_org(conn)
    whatsapp = await make_channel(conn, org, "whatsapp")
    telegram = await make_channel(conn, org, "telegram")
    on_wa = await customers.upsert_by_identity(
        conn, org.id, whatsapp.id, "+1", display_name="Li Wei"
    )
    on_tg = await customers.upsert_by_identity(
        conn, org.id, telegram.id, "99", display_name="li wei"
    )
    assert {c.id for c in await customers.search(conn, org.id, "LI W")} == {
        on_wa.customer.id,
        on_tg.customer.id,
    }
    merged = await customers.merge(conn, org.id, on_tg.customer.id, on_wa.customer.id)
    ids = await customers.identities(conn, org.id, merged.id)
    assert {i.channel_id for i in ids} == {whatsapp.id, telegram.id}
    assert [c.id for c in await customers.search(conn, org.id, "li wei")] == [merged.id]
    # The identity now resolves to the surviving customer.
    again = await customers.upsert_by_identity(conn, org.id, telegram.id, "99")
    assert again.customer.id == merged.id


async def test_search_treats_wildcards_literally(conn):
    org = await make_org(conn)
    channel = await make_channel(conn, org)
    await customers.upsert_by_identity(conn, org.id, channel.id, "a", display_name="Bob")
    assert await customers.search(conn, org.id, "%") == []


async def test_audit_entries_keep_their_order(conn):
    org = await make_org(conn)
    entity = uuid.uuid4()
    for step in ("created", "edited", "approved"):
        await audit.record(
            conn,
            org.id,
            f"draft.{step}",
            actor_kind="system",
            entity_type="reply_suggestion",
            entity_id=entity,
            after={"step": step},
        )
    trail = await audit.for_entity(conn, org.id, "reply_suggestion", entity)
    assert [e.action for e in trail] == ["draft.created", "draft.edited", "draft.approved"]
    assert trail[1].after == {"step": "edited"}


async def test_deleting_an_organization_removes_its_rows(conn):
    org = await make_org(conn)
    channel = await make_channel(conn, org)
    await customers.upsert_by_identity(conn, org.id, channel.id, "c1")
    await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)
    for table in ("channels", "customers", "customer_identities"):
        assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE org_id = $1", org.id) == 0
