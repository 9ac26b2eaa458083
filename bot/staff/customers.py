"""Merchant commands about customers and the day: ``/customer NAME``, ``/leads``, ``/stats``
and ``/autopilot on|off`` (with its praise and confidence settings).

Sandbox customers and conversations (``is_test``, from ``trademate try``) never count.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from agents.followups.daily_stats import day_bounds
from agents.followups.quiet_hours import zone
from agents.policy import AUTO_SEND_MIN_CONFIDENCE
from agents.retrieval.confidence import MAX_CONFIDENCE
from storage.db import Connection, transaction
from storage.models import Customer
from storage.repositories import audit, customers, organizations
from storage.repositories import stats as stats_repo

from .commands import CommandContext, Reply, command

RECENT_MESSAGES = 5
LEAD_DAYS = 14


async def pick_customer(conn: Connection, org_id: uuid.UUID, name: str) -> Customer | Reply:
    """The one customer ``name`` means (an exact name wins among several matches), or the
    reply that says there is none or asks which one."""
    found = await customers.search(conn, org_id, name, limit=6)
    if not found:
        return Reply(f"No customer matches {name!r}.")
    exact = [c for c in found if (c.display_name or "").lower() == name.lower()]
    if len(found) > 1 and len(exact) != 1:
        names = "\n".join(f"• {c.display_name or c.id}" for c in found[:5])
        return Reply(f"{len(found)} customers match {name!r}; which one?\n{names}")
    return exact[0] if exact else found[0]


@command("customer", help="/customer NAME — profile, memories, recent messages, leads")
async def customer(ctx: CommandContext) -> Reply:
    name = ctx.args.strip()
    if not name:
        return Reply("Send /customer followed by a name, e.g. /customer Marta")
    async with ctx.services.pool.acquire() as conn:
        person = await pick_customer(conn, ctx.org_id, name)
        if isinstance(person, Reply):
            return person
        memories = await conn.fetch(
            "SELECT content FROM memories WHERE org_id = $1 AND customer_id = $2"
            " AND (expires_at IS NULL OR expires_at > now())"
            " ORDER BY importance DESC, created_at DESC LIMIT 8",
            ctx.org_id,
            person.id,
        )
        recent = await conn.fetch(
            "SELECT direction, content, created_at FROM messages"
            " WHERE org_id = $1 AND customer_id = $2 AND content IS NOT NULL"
            " ORDER BY created_at DESC LIMIT $3",
            ctx.org_id,
            person.id,
            RECENT_MESSAGES,
        )
        leads = await conn.fetch(
            "SELECT title, status, score FROM leads WHERE org_id = $1 AND customer_id = $2"
            " ORDER BY created_at DESC LIMIT 3",
            ctx.org_id,
            person.id,
        )
        channels = await conn.fetch(
            "SELECT DISTINCT ch.platform FROM customer_identities i"
            " JOIN channels ch ON ch.id = i.channel_id WHERE i.customer_id = $1",
            person.id,
        )
    lines = [f"👤 {person.display_name or 'Unnamed customer'}"]
    facts = [
        f"status {person.status}",
        f"lead score {person.lead_score}",
        *(x for x in (person.company, person.country, person.language) if x),
    ]
    lines.append(" · ".join(facts))
    if channels:
        lines.append("On: " + ", ".join(sorted(r["platform"] for r in channels)))
    if memories:
        lines += ["", "What we know:", *(f"• {m['content']}" for m in memories)]
    if leads:
        lines += ["", "Leads:"]
        lines += [f"• {r['title'] or 'lead'} — {r['status']} ({r['score']})" for r in leads]
    if recent:
        lines += ["", "Recent messages:"]
        for m in reversed(recent):
            who = "them" if m["direction"] == "inbound" else "us"
            lines.append(f"{m['created_at']:%d %b %H:%M} {who}: {_short(m['content'])}")
    return Reply("\n".join(lines))


@command("leads", help="/leads — customers ready to buy (hot leads)", min_role="readonly")
async def leads(ctx: CommandContext) -> Reply:
    async with ctx.services.pool.acquire() as conn:
        rows = await conn.fetch(
            """
            SELECT cu.display_name, cu.lead_score, count(*) AS signals,
                   (array_agg(m.content ORDER BY mc.created_at DESC))[1] AS last_message,
                   max(mc.created_at) AS last_at
            FROM message_classifications mc
            JOIN messages m ON m.id = mc.message_id
            JOIN customers cu ON cu.id = m.customer_id
            WHERE mc.org_id = $1 AND mc.is_hot_lead AND NOT cu.is_test
              AND cu.merged_into_id IS NULL
              AND mc.created_at > now() - make_interval(days => $2)
            GROUP BY cu.id
            ORDER BY cu.lead_score DESC, last_at DESC
            LIMIT 10
            """,
            ctx.org_id,
            LEAD_DAYS,
        )
    if not rows:
        return Reply(f"No hot leads in the last {LEAD_DAYS} days.")
    lines = [f"🔥 Hot leads (last {LEAD_DAYS} days):"]
    for r in rows:
        lines.append(
            f"• {r['display_name'] or 'customer'} — score {r['lead_score']}, "
            f"{r['signals']} signal(s): “{_short(r['last_message'], 80)}”"
        )
    return Reply("\n".join(lines))


@command(
    "stats", help="/stats — today: messages, drafts, decisions, response time", min_role="readonly"
)
async def stats(ctx: CommandContext) -> Reply:
    """Today's figures (the org's calendar day), by the definitions the daily-stats sweep
    stores too (storage.repositories.stats)."""
    async with ctx.services.pool.acquire() as conn:
        org = await organizations.get(conn, ctx.org_id)
        today = datetime.now(UTC).astimezone(zone(org.timezone)).date()
        day = await stats_repo.figures(conn, ctx.org_id, *day_bounds(today, org.timezone))
    median = day.median_response_seconds
    lines = [
        "📊 Today",
        f"Inbound messages: {day.inbound}",
        f"Drafted: {day.drafted}",
        f"Approved: {day.approved}",
        f"Edited: {day.edited}",
        f"Auto-sent: {day.auto_sent}",
        f"Rejected: {day.rejected}",
        f"Median response time: {_duration(median) if median is not None else '—'}",
    ]
    return Reply("\n".join(lines))


@command(
    "autopilot",
    help=f"/autopilot on|off [praise on|off] [confidence {AUTO_SEND_MIN_CONFIDENCE:g}]"
    " — send replies without approval",
    min_role="admin",
)
async def autopilot(ctx: CommandContext) -> Reply:
    """``on``/``off``; ``praise on|off`` (thank praise by itself); ``confidence X`` (the
    lowest FAQ-answer confidence sent alone, 0.5-1). The settings agents/policy.py reads."""
    words = ctx.args.strip().lower().split()
    changes: dict[str, object] = {}
    note = ""
    if words in (["on"], ["off"]):
        changes["autopilot"] = words[0] == "on"
    elif len(words) == 2 and words[0] == "praise" and words[1] in ("on", "off"):
        changes["auto_send_praise"] = words[1] == "on"
    elif len(words) == 2 and words[0] == "confidence":
        try:
            threshold = float(words[1])
        except ValueError:
            threshold = -1.0
        if not 0.5 <= threshold <= 1.0:
            return Reply("The confidence is a number from 0.5 to 1, e.g. /autopilot confidence 0.9")
        if threshold > MAX_CONFIDENCE:
            # No draft is ever more confident than the calibration table's top: stored as
            # asked, 0.99 or 1 would switch FAQ autopilot off without a word.
            note = (
                f"No answer is ever {threshold:g} confident: the highest a FAQ answer reaches "
                f"is {MAX_CONFIDENCE:g}, so the bar is set to that. "
            )
            threshold = MAX_CONFIDENCE
        changes["auto_send_min_confidence"] = threshold
    async with transaction(ctx.services.pool) as conn:
        before = (await organizations.get(conn, ctx.org_id)).settings
        if changes:
            after = (await organizations.update_settings(conn, ctx.org_id, changes)).settings
            await audit.record(
                conn,
                ctx.org_id,
                "organization.autopilot",
                actor_kind="user",
                actor_user_id=ctx.user.id,
                entity_type="organization",
                entity_id=ctx.org_id,
                before={k: before.get(k) for k in changes},
                after=changes,
            )
        else:
            after = before
    return Reply(note + _autopilot_state(after, changed=bool(changes)))


def _autopilot_state(settings: dict, *, changed: bool) -> str:
    threshold = float(settings.get("auto_send_min_confidence", AUTO_SEND_MIN_CONFIDENCE))
    praise = "on" if settings.get("auto_send_praise", True) else "off"
    if settings.get("autopilot", False):
        text = (
            f"Autopilot is on: FAQ answers at least {threshold:g} confident go out by "
            f"themselves, and so do thank-yous to praise ({praise}); everything else still "
            "waits for you. Complaints are always escalated."
        )
    else:
        text = "Autopilot is off: every reply waits for a person's approval."
    if not changed:
        text += " Change it: /autopilot on|off, /autopilot praise on|off, /autopilot confidence 0.9"
    return text


def _short(text: str | None, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
