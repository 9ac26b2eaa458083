"""Silent customers get one follow-up draft: in their language, out of quiet hours, as a
template when the WhatsApp window is closed; never when opted out or a sandbox customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.followups import due, silent
from agents.followups.optout import record_opt_out
from tests.query_log import logged_queries

from .helpers import CONFIG, NOW, make_customer, make_shop


async def _followups(conn, org_id):
    return await conn.fetch("SELECT * FROM followups WHERE org_id = $1 ORDER BY created_at", org_id)


async def _drafts(conn, org_id):
    return await conn.fetch(
        "SELECT * FROM reply_suggestions WHERE org_id = $1 AND kind = 'followup'", org_id
    )


async def test_silent_lead_gets_one_followup_draft_in_their_language(conn):
    shop = await make_shop(conn)
    customer, conversation = await make_customer(
        conn, shop, name="Lucía", language="es", last_inbound_at=NOW - timedelta(days=4)
    )

    first = await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    again = await silent.sweep(conn, NOW + timedelta(hours=1), CONFIG, org_id=shop.org.id)
    assert first.counts == {"scheduled": 1}
    assert again.counts == {}  # an open follow-up exists: nothing new

    [followup] = await _followups(conn, shop.org.id)
    assert followup["customer_id"] == customer
    assert followup["conversation_id"] == conversation
    assert followup["reason"] == "silent_customer"
    assert followup["due_at"] == NOW  # 14:00 UTC is daytime

    drafted = await due.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    assert drafted.counts == {"drafted": 1}
    [draft] = await _drafts(conn, shop.org.id)
    assert draft["status"] == "pending"
    assert draft["language"] == "es"
    assert "Lucía" in draft["draft"] and "Hola" in draft["draft"]
    assert draft["metadata"]["reason"] == "silent_customer"
    [followup] = await _followups(conn, shop.org.id)
    assert followup["status"] == "drafted" and followup["suggestion_id"] == draft["id"]

    # Drafted, not re-planned: the same silence never gets a second follow-up (nor is
    # found again: see test_silent_batches.py).
    assert (
        await silent.sweep(conn, NOW + timedelta(days=2), CONFIG, org_id=shop.org.id)
    ).counts == {}
    assert (await due.sweep(conn, NOW + timedelta(days=2), CONFIG, org_id=shop.org.id)).counts == {}
    assert len(await _drafts(conn, shop.org.id)) == 1


async def test_only_silent_leads_long_enough_are_chased(conn):
    shop = await make_shop(conn)
    await make_customer(conn, shop, name="recent", last_inbound_at=NOW - timedelta(days=2))
    await make_customer(
        conn, shop, name="customer", status="customer", last_inbound_at=NOW - timedelta(days=9)
    )
    negotiating, _ = await make_customer(
        conn,
        shop,
        name="nego",
        status="negotiating",
        last_inbound_at=NOW - timedelta(days=3, hours=1),
    )
    await make_customer(
        conn, shop, name="sandbox", is_test=True, last_inbound_at=NOW - timedelta(days=9)
    )
    opted, _ = await make_customer(
        conn, shop, name="stopper", last_inbound_at=NOW - timedelta(days=9)
    )
    assert await record_opt_out(conn, shop.org.id, opted, "STOP")

    result = await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    assert result.counts == {"scheduled": 1}
    [followup] = await _followups(conn, shop.org.id)
    assert followup["customer_id"] == negotiating


async def test_org_setting_overrides_the_silent_days(conn):
    shop = await make_shop(conn)
    await conn.execute(
        "UPDATE organizations SET settings = '{\"followup_days\": 7}' WHERE id = $1", shop.org.id
    )
    await make_customer(conn, shop, last_inbound_at=NOW - timedelta(days=5))
    assert (await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)).counts == {}
    assert (
        await silent.sweep(conn, NOW + timedelta(days=3), CONFIG, org_id=shop.org.id)
    ).counts == {"scheduled": 1}


async def test_quiet_hours_defer_to_the_customers_morning(conn):
    shop = await make_shop(conn)
    # 14:00 UTC is 22:00 in Shanghai: too late; the next allowed time is 09:00 local.
    await make_customer(
        conn,
        shop,
        name="王先生",
        language="zh",
        timezone="Asia/Shanghai",
        last_inbound_at=NOW - timedelta(days=5),
    )
    result = await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    assert result.counts == {"scheduled": 1, "deferred": 1}
    [followup] = await _followups(conn, shop.org.id)
    assert followup["due_at"] == datetime(2026, 3, 5, 1, 0, tzinfo=UTC)  # 09:00 CST

    # Not drafted while it is night there; drafted once the morning comes.
    assert (
        await due.sweep(conn, NOW + timedelta(hours=10), CONFIG, org_id=shop.org.id)
    ).counts == {}
    morning = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)
    assert (await due.sweep(conn, morning, CONFIG, org_id=shop.org.id)).counts == {"drafted": 1}
    [draft] = await _drafts(conn, shop.org.id)
    assert draft["language"] == "zh" and "王先生" in draft["draft"] and "您好" in draft["draft"]


async def test_closed_whatsapp_window_marks_the_draft_as_a_template(conn):
    shop = await make_shop(conn, "whatsapp")
    await make_customer(conn, shop, last_inbound_at=NOW - timedelta(days=4))
    await conn.execute(
        """
        INSERT INTO response_templates (org_id, name, kind, language, body, platform,
                                        external_template_id)
        VALUES ($1, 'followup_silent', 'followup', 'en', 'Hi {name}, any questions?',
                'whatsapp', 'HX0123456789abcdef')
        """,
        shop.org.id,
    )
    await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    await due.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    [draft] = await _drafts(conn, shop.org.id)
    meta = draft["metadata"]
    assert meta["window_open"] is False and meta["send_as"] == "template"
    assert meta["template"] == {
        "name": "HX0123456789abcdef",
        "language": "en",
        "variables": {"1": "Ana"},
    }
    assert draft["draft"] == "Hi Ana, any questions?"  # the merchant's own wording


async def test_a_closed_window_on_a_channel_without_templates_gets_no_template(conn):
    """Regression: a WeChat follow-up past the 48-hour window got the merchant's template
    (a row with no platform matches every platform), which WeChat can't send; the approval
    let it through and the send failed. Now it is text that waits for the customer."""
    shop = await make_shop(conn, "wechat")
    await make_customer(conn, shop, last_inbound_at=NOW - timedelta(days=4))
    await conn.execute(
        """
        INSERT INTO response_templates (org_id, name, kind, language, body, external_template_id)
        VALUES ($1, 'followup_silent', 'followup', 'en', 'Hi {name}, any questions?', 'HX01')
        """,
        shop.org.id,
    )
    await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    await due.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    [draft] = await _drafts(conn, shop.org.id)
    meta = draft["metadata"]
    assert meta["window_open"] is False and meta["send_as"] == "text"
    assert "template" not in meta
    assert "once the customer writes again" in meta["template_missing"]


async def test_open_window_or_no_window_platform_is_free_text(conn):
    shop = await make_shop(conn, "telegram")  # Telegram has no service window
    await make_customer(conn, shop, last_inbound_at=NOW - timedelta(days=4))
    await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    await due.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    [draft] = await _drafts(conn, shop.org.id)
    assert draft["metadata"]["send_as"] == "text" and "template" not in draft["metadata"]


async def test_missing_template_is_flagged_for_staff(conn):
    shop = await make_shop(conn, "whatsapp")
    await make_customer(conn, shop, last_inbound_at=NOW - timedelta(days=4))
    await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    await due.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    [draft] = await _drafts(conn, shop.org.id)
    assert draft["metadata"]["send_as"] == "template"
    assert draft["metadata"]["template"] is None
    assert "followup_silent" in draft["metadata"]["template_missing"]


async def test_opt_out_after_planning_skips_the_draft(conn):
    shop = await make_shop(conn)
    customer, _ = await make_customer(conn, shop, last_inbound_at=NOW - timedelta(days=4))
    await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    # Opted out by staff or an import (no keyword path): the due sweep still checks.
    await conn.execute(
        "INSERT INTO opt_outs (org_id, customer_id, source) VALUES ($1, $2, 'staff')",
        shop.org.id,
        customer,
    )
    assert (await due.sweep(conn, NOW, CONFIG, org_id=shop.org.id)).counts == {"skipped": 1}
    assert await _drafts(conn, shop.org.id) == []
    [followup] = await _followups(conn, shop.org.id)
    assert followup["status"] == "skipped" and "opted out" in followup["error"]


async def test_a_keyword_opt_out_cancels_the_planned_followup(conn):
    shop = await make_shop(conn)
    customer, _ = await make_customer(conn, shop, last_inbound_at=NOW - timedelta(days=4))
    await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    assert await record_opt_out(conn, shop.org.id, customer, "退订")
    assert (await due.sweep(conn, NOW, CONFIG, org_id=shop.org.id)).counts == {}
    assert await _drafts(conn, shop.org.id) == []
    [followup] = await _followups(conn, shop.org.id)
    assert followup["status"] == "cancelled"


def test_window_rule_follows_each_platforms_adapter():
    hours = CONFIG.service_window_hours
    assert due.window_open(hours, "whatsapp", NOW - timedelta(hours=2), NOW)
    assert not due.window_open(hours, "whatsapp", NOW - timedelta(hours=30), NOW)
    assert not due.window_open(hours, "whatsapp", None, NOW)
    assert due.window_open(hours, "telegram", None, NOW)  # no window on Telegram
    assert not due.window_open(hours, "carrier-pigeon", NOW, NOW)  # unknown: be careful


async def test_a_customer_who_writes_again_before_the_draft_is_not_chased(conn):
    shop = await make_shop(conn)
    customer, _ = await make_customer(
        conn, shop, language="zh", timezone="Asia/Shanghai", last_inbound_at=NOW - timedelta(days=4)
    )
    await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)  # deferred to the morning
    await conn.execute(
        "UPDATE customers SET last_inbound_at = $2 WHERE id = $1",
        customer,
        NOW + timedelta(hours=1),
    )
    morning = NOW + timedelta(hours=12)
    assert (await due.sweep(conn, morning, CONFIG, org_id=shop.org.id)).counts == {"skipped": 1}
    assert await _drafts(conn, shop.org.id) == []


async def test_a_sweep_reads_each_orgs_template_overrides_once(conn):
    shop = await make_shop(conn)
    for name in ("Ana", "Bea", "Cris"):
        await make_customer(conn, shop, name=name, last_inbound_at=NOW - timedelta(days=4))
    assert (await silent.sweep(conn, NOW, CONFIG, org_id=shop.org.id)).counts == {"scheduled": 3}
    async with logged_queries(conn) as seen:
        drafted = await due.sweep(conn, NOW, CONFIG, org_id=shop.org.id)
    assert drafted.counts == {"drafted": 3}
    overrides = [q for q in seen if "DISTINCT ON (name, language)" in q]
    assert len(overrides) == 1  # was one per follow-up
