"""The one definition of the day's figures (storage.repositories.stats), on known data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.repositories import stats
from tests.agents.followups.helpers import add_message, make_customer, make_shop

DAY = datetime(2026, 3, 3, tzinfo=UTC)


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


async def _suggestion(conn, shop, conversation, status, *, created, decided=None):
    await conn.execute(
        """
        INSERT INTO reply_suggestions (org_id, kind, conversation_id, draft, status,
                                       decided_at, created_at)
        VALUES ($1, 'followup', $2, 'draft', $3, $4, $5)
        """,
        shop.org.id,
        conversation,
        status,
        decided,
        created,
    )


async def test_sandbox_events_and_failed_replies_do_not_count(conn):
    shop = await make_shop(conn)
    _, real = await make_customer(conn, shop, name="Real")
    # A test customer in a conversation not flagged as a test (and the other way round):
    # either flag makes it sandbox.
    _, test_conversation = await make_customer(conn, shop, name="T", is_test=True)
    await conn.execute("UPDATE conversations SET is_test = false WHERE id = $1", test_conversation)
    _, flagged_conversation = await make_customer(conn, shop, name="Flagged")
    await conn.execute(
        "UPDATE conversations SET is_test = true WHERE id = $1", flagged_conversation
    )
    for conversation in (test_conversation, flagged_conversation):
        await add_message(conn, shop, conversation, "inbound", at(9))
        await add_message(conn, shop, conversation, "outbound", at(9.1))
        await _suggestion(conn, shop, conversation, "approved", created=at(9), decided=at(9.1))

    # Real: asks at 10:00; our 10:05 reply failed to send, the 10:20 one went: 1200 s.
    await add_message(conn, shop, real, "inbound", at(10))
    failed = await add_message(conn, shop, real, "outbound", at(10 + 5 / 60))
    await conn.execute("UPDATE messages SET status = 'failed' WHERE id = $1", failed)
    await add_message(conn, shop, real, "outbound", at(10 + 20 / 60))
    # A platform event (a menu tap) is not a customer message and starts no turn.
    event = await add_message(conn, shop, real, "inbound", at(11))
    await conn.execute("UPDATE messages SET content_type = 'event' WHERE id = $1", event)
    # A draft made yesterday and approved today counts as approved today, not as drafted.
    await _suggestion(conn, shop, real, "approved", created=at(-2), decided=at(10.3))
    await _suggestion(conn, shop, real, "edited", created=at(10), decided=at(10.3))
    await _suggestion(conn, shop, real, "auto_sent", created=at(12), decided=at(12))
    await _suggestion(conn, shop, real, "rejected", created=at(13), decided=at(13.5))
    await _suggestion(conn, shop, real, "escalated", created=at(14))
    await _suggestion(conn, shop, real, "hidden", created=at(15))
    # Tomorrow's draft is outside the window.
    await _suggestion(conn, shop, real, "pending", created=at(25))

    figures = await stats.figures(conn, shop.org.id, DAY, DAY + timedelta(days=1))
    assert figures == stats.Figures(
        inbound=1,
        drafted=4,  # edited, auto_sent, rejected, escalated
        approved=1,
        edited=1,
        rejected=1,
        auto_sent=1,
        median_response_seconds=1200.0,
    )
    assert figures.as_metrics()["median_response_seconds"] == 1200.0


async def test_an_empty_day_has_no_median(conn):
    shop = await make_shop(conn)
    _, conversation = await make_customer(conn, shop)
    await add_message(conn, shop, conversation, "inbound", at(10))  # not answered yet
    figures = await stats.figures(conn, shop.org.id, DAY, DAY + timedelta(days=1))
    assert figures.inbound == 1 and figures.median_response_seconds is None
