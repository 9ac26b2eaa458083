"""A customer whose time zone is unknown but whose country is gets their country's hours.

Regression: customers added with `customer add --country CN` (or imported) have no
timezone, so quiet hours were the merchant's: a Madrid shop's follow-up to a Shanghai buyer
was planned for 09:00 Madrid, 16:00-17:00 in Shanghai at best and, from a US merchant, in
the middle of the buyer's night.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.followups import silent
from agents.followups.quiet_hours import country_zone

from .helpers import CONFIG, make_customer, make_shop

# 15:00 UTC: daytime in London, 23:00 in Shanghai (quiet), 10:00 in New York.
AFTERNOON_UTC = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


async def test_a_chinese_buyer_without_time_zone_is_followed_up_in_their_morning(conn):
    shop = await make_shop(conn)
    customer, _ = await make_customer(
        conn, shop, timezone=None, last_inbound_at=AFTERNOON_UTC - timedelta(days=4)
    )
    await conn.execute("UPDATE customers SET country = 'CN' WHERE id = $1", customer)
    await conn.execute(
        "UPDATE organizations SET timezone = 'Europe/London' WHERE id = $1", shop.org.id
    )
    assert (await silent.sweep(conn, AFTERNOON_UTC, CONFIG, org_id=shop.org.id)).counts == {
        "scheduled": 1,
        "deferred": 1,
    }
    due_at = await conn.fetchval("SELECT due_at FROM followups WHERE customer_id = $1", customer)
    assert due_at == datetime(2026, 3, 5, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


async def test_an_explicit_time_zone_wins_over_the_country(conn):
    shop = await make_shop(conn)
    customer, _ = await make_customer(
        conn, shop, timezone="America/New_York", last_inbound_at=AFTERNOON_UTC - timedelta(days=4)
    )
    await conn.execute("UPDATE customers SET country = 'CN' WHERE id = $1", customer)
    assert (await silent.sweep(conn, AFTERNOON_UTC, CONFIG, org_id=shop.org.id)).counts == {
        "scheduled": 1
    }


def test_country_codes():
    assert country_zone("cn") == "Asia/Shanghai" and country_zone("ES") == "Europe/Madrid"
    assert country_zone(None) is None and country_zone("XX") is None
