"""Memory decay, daily stats and the monthly quota period, on known data."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from agents.followups import daily_stats, memory_decay, quota
from storage.vectors import CollectionKind, VectorPoint, VectorStore, make_qdrant_client

from .helpers import CONFIG, NOW, add_message, make_customer, make_shop


async def _memory(
    conn, shop, customer, *, importance, rate, age_days, source="rules", expires_at=None, now=None
):
    at = (now or datetime.now(UTC)) - timedelta(days=age_days)
    return await conn.fetchval(
        """
        INSERT INTO memories (org_id, customer_id, category, content, importance, decay_rate,
                              source, expires_at, created_at, updated_at, vector_id)
        VALUES ($1, $2, 'need', $3, $4, $5, $6, $7, $8, $8, NULL) RETURNING id
        """,
        shop.org.id,
        customer,
        f"fact {uuid.uuid4().hex[:6]}",
        importance,
        rate,
        source,
        expires_at,
        at,
    )


async def test_memory_decay_lowers_old_memories_once_and_deletes_expired(conn):
    shop = await make_shop(conn)
    customer, _ = await make_customer(conn, shop)
    now = datetime.now(UTC)  # the UPDATE stamps updated_at with the database's clock
    old = await _memory(conn, shop, customer, importance=0.8, rate=0.02, age_days=10)
    fresh = await _memory(conn, shop, customer, importance=0.8, rate=0.02, age_days=0.2)
    ancient = await _memory(conn, shop, customer, importance=0.3, rate=0.05, age_days=100)
    staff = await _memory(
        conn, shop, customer, importance=0.9, rate=0.02, age_days=30, source="staff"
    )
    expired = await _memory(
        conn,
        shop,
        customer,
        importance=0.9,
        rate=0.01,
        age_days=1,
        expires_at=now - timedelta(minutes=1),
    )

    result = await memory_decay.sweep(conn, now, CONFIG, org_id=shop.org.id)
    assert result.counts == {"decayed": 2, "deleted": 1}
    importance = dict(
        await conn.fetch("SELECT id, importance FROM memories WHERE org_id = $1", shop.org.id)
    )
    assert importance[old] == pytest.approx(0.8 - 0.02 * 10, abs=1e-3)
    assert importance[fresh] == pytest.approx(0.8)
    assert importance[ancient] == pytest.approx(memory_decay.FLOOR)
    assert importance[staff] == pytest.approx(0.9)
    assert expired not in importance

    # Run again (another instance, or the next night too early): nothing is taken twice.
    assert (await memory_decay.sweep(conn, now, CONFIG, org_id=shop.org.id)).counts == {
        "decayed": 0,
        "deleted": 0,
    }


async def test_expired_memory_points_leave_the_vector_store(conn, tmp_path):
    shop = await make_shop(conn)
    customer, _ = await make_customer(conn, shop)
    store = VectorStore(
        make_qdrant_client(url=None, api_key=None, path=tmp_path / "qdrant"), dense_size=4
    )
    await store.ensure_collections()
    try:
        now = datetime.now(UTC)
        gone = await _memory(
            conn,
            shop,
            customer,
            importance=0.5,
            rate=0.01,
            age_days=0,
            expires_at=now - timedelta(seconds=1),
        )
        kept = await _memory(conn, shop, customer, importance=0.5, rate=0.01, age_days=0)
        await conn.execute("UPDATE memories SET vector_id = id WHERE org_id = $1", shop.org.id)
        await store.upsert(
            shop.org.id,
            CollectionKind.MEMORIES,
            [
                VectorPoint(
                    id=m,
                    dense=[1.0, 0.0, 0.0, 0.0],
                    sparse=None,
                    payload={"memory_id": str(m), "customer_id": str(customer)},
                )
                for m in (gone, kept)
            ],
        )
        assert await store.count(shop.org.id, CollectionKind.MEMORIES) == 2
        result = await memory_decay.sweep(conn, now, CONFIG, vectors=store, org_id=shop.org.id)
        assert result.counts["deleted"] == 1 and result.counts["points_deleted"] == 1
        assert await store.count(shop.org.id, CollectionKind.MEMORIES) == 1
    finally:
        await store.aclose()


async def test_daily_stats_figures_exclude_sandbox(conn):
    shop = await make_shop(conn)
    reviewer = await conn.fetchval(
        "INSERT INTO users (org_id, email, role) VALUES ($1, 'rev@example.com', 'agent')"
        " RETURNING id",
        shop.org.id,
    )
    day = datetime(2026, 3, 3, tzinfo=UTC)
    _, conv_a = await make_customer(conn, shop, name="A")
    _, conv_b = await make_customer(conn, shop, name="B")
    _, sandbox = await make_customer(conn, shop, name="sandbox", is_test=True)

    # A: asks at 10:00 and 10:01 (one turn), answered at 10:05 (300 s); asks again at 12:00,
    # answered 12:01 (60 s). B: asks at 15:00, answered at 15:10 (600 s); asks at 23:30, no
    # answer yet. Median of 300, 60, 600 = 300.
    at = lambda h, m=0: day + timedelta(hours=h, minutes=m)  # noqa: E731
    await add_message(conn, shop, conv_a, "inbound", at(10))
    await add_message(conn, shop, conv_a, "inbound", at(10, 1))
    await add_message(conn, shop, conv_a, "outbound", at(10, 5))
    await add_message(conn, shop, conv_a, "inbound", at(12))
    await add_message(conn, shop, conv_a, "outbound", at(12, 1), sender_type="ai")
    await add_message(conn, shop, conv_b, "inbound", at(15))
    await add_message(conn, shop, conv_b, "outbound", at(15, 10))
    await add_message(conn, shop, conv_b, "inbound", at(23, 30))
    # Sandbox traffic and the next day's message do not count.
    await add_message(conn, shop, sandbox, "inbound", at(11))
    await add_message(conn, shop, sandbox, "outbound", at(11, 30))
    await add_message(conn, shop, conv_a, "inbound", at(24, 30))

    async def suggestion(conversation, status, *, reviewed=False, edited=None, created=None):
        await conn.execute(
            """
            INSERT INTO reply_suggestions (org_id, kind, conversation_id, draft, status,
                                           reviewer_id, edited_text, decided_at, created_at)
            VALUES ($1, 'followup', $2, 'draft', $3, $4, $5, $6, $6)
            """,
            shop.org.id,
            conversation,
            status,
            reviewer if reviewed else None,
            edited,
            created or at(10),
        )

    await suggestion(conv_a, "approved", reviewed=True)
    await suggestion(conv_a, "hidden")  # spam: no draft to look at, not counted
    await suggestion(conv_b, "edited", reviewed=True, edited="better")
    await suggestion(conv_b, "auto_sent")
    await suggestion(conv_b, "rejected", reviewed=True)
    await suggestion(conv_b, "pending")
    await suggestion(sandbox, "auto_sent")
    await suggestion(conv_b, "pending", created=at(30))  # next day

    result = await daily_stats.sweep(conn, at(30), CONFIG, org_id=shop.org.id)  # Mar 4 06:00
    assert result.counts == {"days": 2}
    metrics = await conn.fetchval(
        "SELECT metrics FROM daily_stats WHERE org_id = $1 AND day = $2",
        shop.org.id,
        date(2026, 3, 3),
    )
    assert metrics == {
        "inbound": 5,
        "drafted": 5,
        "approved": 1,
        "edited": 1,
        "rejected": 1,
        "auto_sent": 1,
        "median_response_seconds": 300.0,
    }
    # Recomputing (next hour, another instance) updates the same row.
    await daily_stats.sweep(conn, at(31), CONFIG, org_id=shop.org.id)
    assert (
        await conn.fetchval("SELECT count(*) FROM daily_stats WHERE org_id = $1", shop.org.id) == 2
    )


async def test_daily_stats_day_is_the_orgs_local_day(conn):
    shop = await make_shop(conn)
    await conn.execute(
        "UPDATE organizations SET timezone = 'America/Mexico_City' WHERE id = $1", shop.org.id
    )
    _, conv = await make_customer(conn, shop)
    # 03:00 UTC on March 4 is still March 3 in Mexico City (UTC-6).
    await add_message(conn, shop, conv, "inbound", datetime(2026, 3, 4, 3, 0, tzinfo=UTC))
    await daily_stats.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    rows = dict(
        await conn.fetch(
            "SELECT day, (metrics ->> 'inbound')::int FROM daily_stats WHERE org_id = $1",
            shop.org.id,
        )
    )
    assert rows == {date(2026, 3, 3): 1, date(2026, 3, 4): 0}


async def test_monthly_quota_period_opens_once_at_zero(conn):
    shop = await make_shop(conn)
    await conn.execute(
        """
        UPDATE organizations
        SET quota = '{"monthly_messages": 5000, "daily_llm_budget_usd": "2"}' WHERE id = $1
        """,
        shop.org.id,
    )
    await conn.execute(
        """
        INSERT INTO org_quota_usage (org_id, period_start, metric, used) VALUES
            ($1, '2026-02-01', 'monthly_messages', 4200),
            ($1, '2026-02-01', 'monthly_llm_tokens', 90000)
        """,
        shop.org.id,
    )
    result = await quota.sweep(conn, NOW, CONFIG, org_id=shop.org.id)  # March
    assert result.counts == {"opened": 2, "orgs": 1}
    rows = {
        (r["period_start"], r["metric"]): r["used"]
        for r in await conn.fetch(
            "SELECT period_start, metric, used FROM org_quota_usage WHERE org_id = $1",
            shop.org.id,
        )
    }
    assert rows[(date(2026, 3, 1), "monthly_messages")] == 0
    assert rows[(date(2026, 3, 1), "monthly_llm_tokens")] == 0
    assert rows[(date(2026, 2, 1), "monthly_messages")] == 4200  # history kept
    assert (date(2026, 3, 1), "daily_llm_budget_usd") not in rows

    # Counting starts; a second run (or instance) never zeroes the month again.
    await conn.execute(
        "UPDATE org_quota_usage SET used = 7 WHERE org_id = $1 AND period_start = '2026-03-01'"
        " AND metric = 'monthly_messages'",
        shop.org.id,
    )
    assert (await quota.sweep(conn, NOW, CONFIG, org_id=shop.org.id)).counts == {
        "opened": 0,
        "orgs": 0,
    }
    assert (
        await conn.fetchval(
            "SELECT used FROM org_quota_usage WHERE org_id = $1 AND period_start = '2026-03-01'"
            " AND metric = 'monthly_messages'",
            shop.org.id,
        )
        == 7
    )
