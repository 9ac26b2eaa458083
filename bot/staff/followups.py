"""Staff commands for follow-ups: ``/remind CUSTOMER 3d note`` and ``/followups``.

Also how an approved follow-up draft reaches the customer: when the draft was made while the
customer's 24-hour window was closed it carries an approved template in its metadata, and the
sender queues that template instead of free text (WhatsApp refuses free text then).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from agents.followups.quiet_hours import zone
from agents.followups.reminders import ReminderError, parse_request, plan
from storage.db import Connection, transaction
from storage.repositories import followups
from storage.repositories.suggestions import Suggestion

from ..approvals import register_sender, send_text
from ..followup_settings import followup_config, template_platforms
from ..outbox import queue_reply
from .commands import CommandContext, Reply, command
from .customers import pick_customer

if TYPE_CHECKING:
    from storage.models import User

    from ..services import Services

LIST_LIMIT = 20
_REASONS = {
    "silent_customer": "silent customer",
    "quote_expiry": "quote expiring",
    "manual": "reminder",
}


def _now(ctx: CommandContext) -> datetime:
    now = ctx.extra.get("now")
    return now if isinstance(now, datetime) else datetime.now(UTC)


@command("remind", help="/remind CUSTOMER 3d note — plan a follow-up (30m, 4h, 3d, 2w)")
async def remind(ctx: CommandContext) -> Reply:
    try:
        request = parse_request(ctx.args)
    except ReminderError as err:
        return Reply(str(err))
    now = _now(ctx)
    async with transaction(ctx.services.pool) as conn:
        person = await pick_customer(conn, ctx.org_id, request.customer)
        if isinstance(person, Reply):
            return person
        try:
            item = await plan(
                conn,
                person,
                delay=request.delay,
                note=request.note,
                now=now,
                config=followup_config(ctx.services.settings.scheduler),
                created_by=ctx.user.id,
            )
        except ReminderError as err:
            return Reply(str(err))
        tz_name = await conn.fetchval(
            "SELECT timezone FROM organizations WHERE id = $1", ctx.org_id
        )
    when = item.due_at.astimezone(zone(tz_name))
    text = f"⏰ Follow-up for {person.display_name or 'the customer'} on {when:%a %d %b %H:%M %Z}"
    if request.note:
        text += f": {request.note}"
    if item.due_at > now + request.delay:
        text += " (moved out of the customer's night time)"
    return Reply(text + ". A draft will come to you for approval then.")


@command("followups", help="/followups — follow-ups due and planned", min_role="readonly")
async def list_followups(ctx: CommandContext) -> Reply:
    now = _now(ctx)
    async with ctx.services.pool.acquire() as conn:
        items = await followups.list_open(conn, ctx.org_id, limit=LIST_LIMIT)
        tz_name = await conn.fetchval(
            "SELECT timezone FROM organizations WHERE id = $1", ctx.org_id
        )
    if not items:
        return Reply("No follow-ups planned. /remind CUSTOMER 3d note plans one.")
    tz = zone(tz_name)
    lines = ["Follow-ups:"]
    for item in items:
        if item.status == "drafted":
            state = "draft waiting for approval"
        elif item.due_at <= now:
            state = "due now"
        else:
            state = f"{item.due_at.astimezone(tz):%d %b %H:%M}"
        what = _REASONS.get(item.reason or "", item.reason or "follow-up")
        line = f"• {item.customer_name or 'customer'} — {what} — {state}"
        if item.note:
            line += f" — {item.note}"
        lines.append(line)
    return Reply("\n".join(lines))


async def send_followup(
    conn: Connection, services: Services, suggestion: Suggestion, user: User, text: str
) -> uuid.UUID:
    """The approved follow-up: its template when the draft was marked for one and the
    customer's channel can send templates, else text (a draft marked before the sweep read
    the channel's capability must not reach an adapter that refuses templates)."""
    template = suggestion.metadata.get("template")
    if suggestion.metadata.get("send_as") != "template" or not template:
        return await send_text(conn, services, suggestion, user, text)
    platform = await conn.fetchval(
        "SELECT ch.platform FROM conversations c JOIN channels ch ON ch.id = c.channel_id"
        " WHERE c.org_id = $1 AND c.id = $2",
        suggestion.org_id,
        suggestion.conversation_id,
    )
    if platform not in template_platforms():
        return await send_text(conn, services, suggestion, user, text)
    return await queue_reply(
        conn,
        suggestion.org_id,
        suggestion.id,
        suggestion.conversation_id,
        text,
        reviewer_id=user.id,
        content_type="template",
        metadata={"template": template},
    )


register_sender("followup", send_followup)
