"""Quotes nearing expiry get one reminder draft; quotes past their last valid day expire."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from agents.followups import due, quotes

from .helpers import CONFIG, NOW, make_customer, make_shop


async def _quote(conn, shop, customer, conversation, *, valid_until: date, status: str = "sent"):
    return await conn.fetchval(
        """
        INSERT INTO quotations (org_id, number, customer_id, conversation_id, status, currency,
                                valid_until, total)
        VALUES ($1, $2, $3, $4, $5, 'USD', $6, 1000) RETURNING id
        """,
        shop.org.id,
        f"Q-2026-{uuid.uuid4().hex[:4]}",
        customer,
        conversation,
        status,
        valid_until,
    )


async def test_reminder_once_then_expiry(conn):
    shop = await make_shop(conn, "telegram")
    customer, conversation = await make_customer(
        conn, shop, name="Li", language="zh", last_inbound_at=NOW - timedelta(days=1)
    )
    today = NOW.date()  # org time zone is UTC
    near = await _quote(conn, shop, customer, conversation, valid_until=today + timedelta(days=2))
    far = await _quote(conn, shop, customer, conversation, valid_until=today + timedelta(days=20))

    first = await quotes.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    again = await quotes.sweep(conn, NOW + timedelta(hours=3), CONFIG, org_id=shop.org.id)
    assert first.counts == {
        "expired": 0,
        "reminders_cancelled": 0,
        "drafts_expired": 0,
        "reminders": 1,
    }
    assert again.counts.get("reminders", 0) == 0  # once per quote

    [followup] = await conn.fetch("SELECT * FROM followups WHERE org_id = $1", shop.org.id)
    assert followup["quotation_id"] == near and followup["reason"] == "quote_expiry"
    assert (await due.sweep(conn, NOW, CONFIG, org_id=shop.org.id)).counts == {"drafted": 1}
    draft = await conn.fetchrow(
        "SELECT * FROM reply_suggestions WHERE org_id = $1 AND kind = 'followup'", shop.org.id
    )
    number = await conn.fetchval("SELECT number FROM quotations WHERE id = $1", near)
    assert draft["language"] == "zh" and number in draft["draft"]
    assert (today + timedelta(days=2)).isoformat() in draft["draft"]
    assert draft["metadata"]["quotation_id"] == str(near)

    # The day after its last valid day, the near quote expires; the far one stays sent.
    later = NOW + timedelta(days=3)
    result = await quotes.sweep(conn, later, CONFIG, org_id=shop.org.id)
    assert result.counts["expired"] == 1
    statuses = dict(
        await conn.fetch("SELECT id, status FROM quotations WHERE org_id = $1", shop.org.id)
    )
    assert statuses == {near: "expired", far: "sent"}
    assert await conn.fetchval("SELECT expired_at FROM quotations WHERE id = $1", near) == later


async def test_expiry_uses_the_merchants_calendar_day(conn):
    shop = await make_shop(conn, "telegram")
    await conn.execute(
        "UPDATE organizations SET timezone = 'Asia/Shanghai' WHERE id = $1", shop.org.id
    )
    customer, conversation = await make_customer(conn, shop)
    # NOW is 22:00 on March 4 in Shanghai: a quote valid until March 4 still holds...
    quote = await _quote(conn, shop, customer, conversation, valid_until=date(2026, 3, 4))
    assert (await quotes.sweep(conn, NOW, CONFIG, org_id=shop.org.id)).counts["expired"] == 0
    # ...and expires at local midnight (16:00 UTC).
    after_midnight = NOW + timedelta(hours=2, minutes=1)
    assert (await quotes.sweep(conn, after_midnight, CONFIG, org_id=shop.org.id)).counts[
        "expired"
    ] == 1
    assert await conn.fetchval("SELECT status FROM quotations WHERE id = $1", quote) == "expired"


async def test_reminder_skipped_for_opted_out_or_sandbox_and_cancelled_on_expiry(conn):
    shop = await make_shop(conn, "telegram")
    sandbox, sandbox_conv = await make_customer(conn, shop, name="sandbox", is_test=True)
    await _quote(conn, shop, sandbox, sandbox_conv, valid_until=NOW.date() + timedelta(days=1))
    opted, opted_conv = await make_customer(conn, shop, name="stopper")
    await conn.execute(
        "INSERT INTO opt_outs (org_id, customer_id, keyword) VALUES ($1, $2, 'stop')",
        shop.org.id,
        opted,
    )
    await _quote(conn, shop, opted, opted_conv, valid_until=NOW.date() + timedelta(days=1))
    assert (await quotes.sweep(conn, NOW, CONFIG, org_id=shop.org.id)).counts.get(
        "reminders", 0
    ) == 0

    # A reminder planned but not yet drafted is cancelled when its quote expires.
    customer, conversation = await make_customer(conn, shop, timezone="Asia/Shanghai")
    late = await _quote(conn, shop, customer, conversation, valid_until=NOW.date())
    planned = await quotes.sweep(conn, NOW, CONFIG, org_id=shop.org.id)  # 22:00 there: deferred
    assert planned.counts["reminders"] == 1
    expired = await quotes.sweep(conn, NOW + timedelta(days=1), CONFIG, org_id=shop.org.id)
    assert expired.counts["expired"] == 1 and expired.counts["reminders_cancelled"] == 1
    assert (
        await conn.fetchval("SELECT status FROM followups WHERE quotation_id = $1", late)
        == "cancelled"
    )


async def test_an_expiring_quotes_undecided_approval_draft_expires_too(conn):
    shop = await make_shop(conn, "telegram")
    customer, conversation = await make_customer(conn, shop)
    quote = await _quote(
        conn, shop, customer, conversation, valid_until=NOW.date(), status="pending_approval"
    )
    card = await conn.fetchval(
        """
        INSERT INTO reply_suggestions (org_id, kind, conversation_id, draft, status)
        VALUES ($1, 'quote', $2, 'Quotation', 'pending') RETURNING id
        """,
        shop.org.id,
        conversation,
    )
    await conn.execute("UPDATE quotations SET suggestion_id = $2 WHERE id = $1", quote, card)
    result = await quotes.sweep(conn, NOW + timedelta(days=1), CONFIG, org_id=shop.org.id)
    assert result.counts["expired"] == 1 and result.counts["drafts_expired"] == 1
    assert await conn.fetchval("SELECT status FROM reply_suggestions WHERE id = $1", card) == (
        "expired"
    )
