"""Org A can never read org B's rows or keys (vectors: see test_vectors.py)."""

from __future__ import annotations

import uuid

import pytest

from storage.errors import Conflict, NotFound
from storage.redis_client import Keys
from storage.repositories import (
    audit,
    channels,
    conversations,
    customers,
    messages,
    users,
)

from .factories import make_channel, make_org, now


@pytest.fixture
async def two_orgs(conn):
    """Org A and org B, each with a user, channel, customer, conversation and message."""
    built = {}
    for label in ("a", "b"):
        org = await make_org(conn, f"Org {label.upper()}")
        user = await users.create(conn, org.id, f"staff@{label}.co", "owner")
        channel = await make_channel(conn, org)
        match = await customers.upsert_by_identity(
            conn, org.id, channel.id, "same-external-id", display_name="Same Name"
        )
        convo = await conversations.upsert_active(
            conn, org.id, match.customer.id, channel.id, inbound_at=now()
        )
        stored = await messages.insert_inbound(
            conn,
            org_id=org.id,
            conversation_id=convo.id,
            channel_id=channel.id,
            customer_id=match.customer.id,
            external_message_id="same-id",
            content=f"hello from {label}",
        )
        await audit.record(
            conn, org.id, "x", actor_kind="system", entity_type="t", entity_id=org.id
        )
        built[label] = dict(
            org=org,
            user=user,
            channel=channel,
            customer=match.customer,
            convo=convo,
            message=stored.message,
        )
    return built["a"], built["b"]


async def test_reads_by_id_never_cross_orgs(conn, two_orgs):
    a, b = two_orgs
    a_id = a["org"].id
    with pytest.raises(NotFound):
        await users.get(conn, a_id, b["user"].id)
    with pytest.raises(NotFound):
        await channels.get(conn, a_id, b["channel"].id)
    with pytest.raises(NotFound):
        await customers.get(conn, a_id, b["customer"].id)
    with pytest.raises(NotFound):
        await conversations.get(conn, a_id, b["convo"].id)
    with pytest.raises(NotFound):
        await messages.get(conn, a_id, b["message"].id)
    with pytest.raises(NotFound):
        await users.get_by_email(conn, a_id, "staff@b.co")


async def test_lists_and_searches_never_cross_orgs(conn, two_orgs):
    a, b = two_orgs
    a_id = a["org"].id
    assert [c.id for c in await customers.search(conn, a_id, "Same")] == [a["customer"].id]
    assert [c.id for c in await channels.list_for_org(conn, a_id)] == [a["channel"].id]
    assert [u.id for u in await users.list_for_org(conn, a_id)] == [a["user"].id]
    recent = await messages.recent_in_conversation(conn, a_id, b["convo"].id)
    assert recent == []
    assert await audit.for_entity(conn, a_id, "t", b["org"].id) == []
    assert await conversations.list_for_customer(conn, a_id, b["customer"].id) == []


async def test_writes_never_cross_orgs(conn, two_orgs):
    a, b = two_orgs
    a_id = a["org"].id
    with pytest.raises(NotFound):
        await conversations.set_status(conn, a_id, b["convo"].id, "closed")
    with pytest.raises(NotFound):
        await channels.set_status(conn, a_id, b["channel"].id, "paused")
    with pytest.raises(NotFound):
        await users.link_telegram(conn, a_id, b["user"].id, 1)
    with pytest.raises(NotFound):
        await customers.merge(conn, a_id, b["customer"].id, a["customer"].id)
    assert (await conversations.get(conn, b["org"].id, b["convo"].id)).status == "open"


async def test_identity_on_another_orgs_channel_is_refused(conn, two_orgs):
    a, b = two_orgs
    with pytest.raises(Conflict):
        await customers.upsert_by_identity(conn, a["org"].id, b["channel"].id, "same-external-id")


async def test_same_platform_ids_in_two_orgs_stay_apart(conn, two_orgs):
    a, b = two_orgs
    assert a["customer"].id != b["customer"].id
    assert a["message"].id != b["message"].id
    assert (await messages.get(conn, b["org"].id, b["message"].id)).content == "hello from b"


def test_redis_keys_always_name_their_org():
    keys = Keys("tm")
    org = uuid.uuid4()
    assert keys.org(org, "dedupe", "SM1") == f"tm:org:{org}:dedupe:SM1"
    assert keys.org_pattern(org) == f"tm:org:{org}:*"
    assert keys.system("stream", "intake") == "tm:sys:stream:intake"
    with pytest.raises(TypeError):
        keys.org(str(org), "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        keys.org(None, "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        keys.org(org, "")
    with pytest.raises(ValueError):
        Keys("bad:ns")


async def test_one_orgs_redis_keys_are_invisible_to_another(redis, keys):
    org_a, org_b = uuid.uuid4(), uuid.uuid4()
    await redis.set(keys.org(org_a, "session", "1"), "a")
    await redis.set(keys.org(org_b, "session", "1"), "b")
    seen_a = [k async for k in redis.scan_iter(match=keys.org_pattern(org_a))]
    assert seen_a == [keys.org(org_a, "session", "1")]
    assert await redis.get(keys.org(org_a, "session", "1")) == "a"


async def test_the_database_refuses_rows_that_point_across_orgs(conn, two_orgs):
    """Composite foreign keys: even a buggy query can't attach A's rows to B's parents."""
    import asyncpg

    a, b = two_orgs
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO customer_identities (org_id, customer_id, channel_id, external_id)"
                " VALUES ($1, $2, $3, 'x')",
                a["org"].id,
                a["customer"].id,
                b["channel"].id,
            )
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO messages (org_id, conversation_id, channel_id, direction,"
                " sender_type, content) VALUES ($1, $2, $3, 'inbound', 'customer', 'x')",
                a["org"].id,
                b["convo"].id,
                a["channel"].id,
            )
