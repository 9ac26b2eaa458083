"""Silent customers already followed up never fill a sweep's batch.

Regression: the candidate query skipped only customers with a *scheduled* follow-up, so a
silence whose follow-up was drafted (or sent, or cancelled) came back on every run, oldest
first. Once batch_size such customers existed, every batch was full of them and a customer
who fell silent later never got a follow-up.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from agents.followups import due, silent

from .helpers import CONFIG, NOW, make_customer, make_shop


async def test_handled_silences_leave_room_for_new_ones(conn):
    shop = await make_shop(conn)
    config = dataclasses.replace(CONFIG, batch_size=2)
    for days in (9, 8):
        await make_customer(conn, shop, name=f"old {days}", last_inbound_at=NOW - timedelta(days))
    assert (await silent.sweep(conn, NOW, config, org_id=shop.org.id)).counts == {"scheduled": 2}
    assert (await due.sweep(conn, NOW, config, org_id=shop.org.id)).counts == {"drafted": 2}

    newcomer, _ = await make_customer(
        conn, shop, name="new", last_inbound_at=NOW - timedelta(days=4)
    )
    later = NOW + timedelta(hours=1)
    assert (await silent.sweep(conn, later, config, org_id=shop.org.id)).counts == {"scheduled": 1}
    planned = await conn.fetchval(
        "SELECT count(*) FROM followups WHERE org_id = $1 AND customer_id = $2",
        shop.org.id,
        newcomer,
    )
    assert planned == 1


async def test_the_sql_key_is_the_python_key(conn):
    shop = await make_shop(conn)
    for inbound in (
        datetime(2026, 3, 1, 9, 30, tzinfo=UTC),  # no microseconds: isoformat writes none
        datetime(2026, 3, 1, 9, 30, 5, 120, tzinfo=UTC),
        datetime(2026, 3, 1, 9, 30, 5, 999999, tzinfo=UTC),
    ):
        customer, _ = await make_customer(conn, shop, last_inbound_at=inbound)
        in_sql = await conn.fetchval(
            f"SELECT {silent.KEY_SQL} FROM customers c WHERE c.id = $1", customer
        )
        assert in_sql == silent.dedupe_key(customer, inbound)
