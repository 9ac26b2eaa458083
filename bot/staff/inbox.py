"""``/inbox`` and the decision buttons: pending drafts, paged, and Approve / Edit / Reject /
Escalate on each one (the same buttons as the approval cards: ``ap:<action>:<id>``).

Edit is two steps: the button remembers, per user, which draft is being edited (Redis, with a
TTL); the user's next plain text message is the reply (:func:`finish_edit`).
"""

from __future__ import annotations

import logging
import uuid

from redis.exceptions import RedisError

from storage.errors import NotFound

from ..paging import page_number
from .commands import Button, CommandContext, Reply, callback, command

log = logging.getLogger(__name__)

PAGE_SIZE = 5
EDIT_TTL_SECONDS = 15 * 60
# The staff bot's way to the template follow-up a closed window asks for (bot.staff.followups).
# Worded for a shop that has no approved template yet: then the follow-up is drafted as text
# and refused again, and the agent must know why rather than go round in a loop.
REMIND_HINT = (
    "/remind CUSTOMER 1m note drafts one that goes out as your approved template, if one is"
    " set up for this channel; without one, wait for the customer to write again."
)
DONE = {
    "approve": "Approved ✓ The reply is on its way to the customer.",
    "edit": "Edited ✓ Your reply is on its way to the customer.",
    "reject": "Rejected ✓ Nothing was sent.",
    "escalate": "Escalated ✓ High priority; the owner is notified.",
}


def _buttons(suggestion_id: uuid.UUID | str) -> list[list[Button]]:
    from ..cards import decision_buttons

    return decision_buttons(suggestion_id)


@command("inbox", help="/inbox — drafts waiting for a decision", min_role="readonly")
async def inbox(ctx: CommandContext) -> list[Reply]:
    return await _page(ctx, page_number(ctx.args))


@callback("ib", min_role="readonly")
async def inbox_page(ctx: CommandContext) -> list[Reply]:
    return await _page(ctx, page_number(ctx.args))


async def _page(ctx: CommandContext, page: int) -> list[Reply]:
    async with ctx.services.pool.acquire() as conn:
        # Sandbox drafts (`trademate try`) can never be sent: not in the inbox.
        total = await conn.fetchval(
            "SELECT count(*) FROM reply_suggestions s"
            " JOIN conversations cv ON cv.id = s.conversation_id AND NOT cv.is_test"
            " WHERE s.org_id = $1 AND s.status IN ('pending', 'escalated')",
            ctx.org_id,
        )
        rows = await conn.fetch(
            """
            SELECT s.id, s.status, s.draft, m.content AS message, cu.display_name AS customer,
                   ch.platform
            FROM reply_suggestions s
            JOIN conversations cv ON cv.id = s.conversation_id AND NOT cv.is_test
            JOIN customers cu ON cu.id = cv.customer_id
            JOIN channels ch ON ch.id = cv.channel_id
            LEFT JOIN messages m ON m.id = s.message_id
            WHERE s.org_id = $1 AND s.status IN ('pending', 'escalated')
            ORDER BY (s.status = 'escalated') DESC, s.created_at
            LIMIT $2 OFFSET $3
            """,
            ctx.org_id,
            PAGE_SIZE,
            (page - 1) * PAGE_SIZE,
        )
    if total == 0:
        return [Reply("Inbox zero: no drafts are waiting. 🎉")]
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    if not rows:
        return [Reply(f"There are only {pages} page(s). Send /inbox to start over.")]
    may_decide = ctx.user.role != "readonly"
    replies = [Reply(f"{total} draft(s) waiting — page {page} of {pages}.")]
    for row in rows:
        mark = "⚠️ ESCALATED · " if row["status"] == "escalated" else ""
        text = (
            f"{mark}{row['customer'] or 'customer'} ({row['platform']}) wrote:\n"
            f"{_short(row['message'])}\n\nDraft:\n{_short(row['draft'], 600)}"
        )
        replies.append(Reply(text, _buttons(row["id"]) if may_decide else []))
    nav = []
    if page > 1:
        nav.append(Button("◀ Previous", f"ib:{page - 1}"))
    if page < pages:
        nav.append(Button("Next ▶", f"ib:{page + 1}"))
    if nav:
        replies.append(Reply(f"Page {page} of {pages}", [nav]))
    return replies


@command("duty", help="/duty on|off — receive new approval cards here, or not", min_role="readonly")
async def duty(ctx: CommandContext) -> Reply:
    choice = ctx.args.strip().lower()
    async with ctx.services.pool.acquire() as conn:
        if choice in ("on", "off"):
            await conn.execute(
                "UPDATE users SET on_duty = $3 WHERE org_id = $1 AND id = $2",
                ctx.org_id,
                ctx.user.id,
                choice == "on",
            )
        on_duty = await conn.fetchval(
            "SELECT on_duty FROM users WHERE org_id = $1 AND id = $2", ctx.org_id, ctx.user.id
        )
    if on_duty:
        return Reply("You are on duty: new drafts reach you as cards. /duty off to pause.")
    note = " (owners still get escalations)" if ctx.user.role == "owner" else ""
    return Reply(f"You are off duty: no new cards{note}. /duty on to resume.")


def _short(text: str | None, limit: int = 300) -> str:
    text = (text or "(no text)").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- decisions --------------------------------------------------------------------------
@callback("ap", min_role="agent")
async def decide_button(ctx: CommandContext) -> Reply | list[Reply]:
    action, _, raw_id = ctx.args.partition(":")
    try:
        suggestion_id = uuid.UUID(raw_id)
    except ValueError:
        return Reply("That button is broken.", notice=True)
    if action == "edit":
        return await _start_edit(ctx, suggestion_id)
    return await decide(ctx, suggestion_id, action)


async def decide(
    ctx: CommandContext, suggestion_id: uuid.UUID, action: str, text: str | None = None
) -> Reply:
    """Run one decision through :class:`bot.approvals.Approvals` and say what happened."""
    from ..approvals import ApprovalError, ClosedWindow, NotAllowed, already_decided

    approvals = ctx.extra["approvals"]  # the app's one Approvals, passed by the staff bot
    try:
        result = await approvals.decide(ctx.org_id, suggestion_id, ctx.user, action, text)
    except NotAllowed:
        return Reply(f"Your role ({ctx.user.role}) can't decide drafts.", notice=True)
    except NotFound:
        return Reply("That draft no longer exists.", notice=True)
    except ClosedWindow as err:
        # A refusal with what to do: a message that stays in the chat, not a toast that is
        # gone in seconds, with this front end's way of sending a template follow-up.
        how = f"\n\n{REMIND_HINT}" if err.templates else ""
        return Reply(f"{err}{how}")
    except ApprovalError as err:
        return Reply(str(err), notice=True)
    on_decided = ctx.extra.get("on_decided")
    if on_decided is not None:
        await on_decided(ctx.org_id, suggestion_id)
    if not result.applied:
        by = await _decider_name(ctx, result.decided_by)
        text = already_decided(result.suggestion.status, by)
        return Reply(f"{text}: nothing more was sent.", notice=True)
    log.info(
        "suggestion %s %s by user %s via staff bot (org=%s)",
        suggestion_id,
        result.suggestion.status,
        ctx.user.id,
        ctx.org_id,
    )
    return Reply(DONE[action], notice=True)


async def _decider_name(ctx: CommandContext, user_id: uuid.UUID | None) -> str | None:
    """Who decided first (as the web inbox names them); None when nobody did (autopilot)."""
    if user_id is None:
        return None
    async with ctx.services.pool.acquire() as conn:
        return await conn.fetchval(
            "SELECT COALESCE(display_name, email) FROM users WHERE org_id = $1 AND id = $2",
            ctx.org_id,
            user_id,
        )


def _edit_key(ctx: CommandContext) -> str:
    return ctx.services.keys.org(ctx.org_id, "staff-edit", ctx.user.id)


async def _start_edit(ctx: CommandContext, suggestion_id: uuid.UUID) -> list[Reply]:
    async with ctx.services.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, draft FROM reply_suggestions WHERE org_id = $1 AND id = $2",
            ctx.org_id,
            suggestion_id,
        )
    if row is None:
        return [Reply("That draft no longer exists.", notice=True)]
    if row["status"] not in ("pending", "escalated"):
        return [Reply(f"Already {row['status']}: it can't be edited now.", notice=True)]
    await ctx.services.redis.set(_edit_key(ctx), str(suggestion_id), ex=EDIT_TTL_SECONDS)
    minutes = EDIT_TTL_SECONDS // 60
    return [
        Reply("Editing: send your reply as your next message.", notice=True),
        Reply(
            f"✏️ Send the reply to the customer as your next message (within {minutes} "
            f"minutes). The draft was:\n\n{row['draft']}"
        ),
    ]


async def finish_edit(ctx: CommandContext, text: str) -> Reply | None:
    """If this user pressed Edit, ``text`` is their reply: decide the draft with it. None
    when no edit is pending (the text is just text)."""
    try:
        pending = await ctx.services.redis.getdel(_edit_key(ctx))
    except (RedisError, OSError) as err:
        log.warning("pending edit lookup failed for user %s: %s", ctx.user.id, err)
        return Reply("Sorry, I can't reach the edit you started; press Edit again.")
    if pending is None:
        return None
    if isinstance(pending, bytes):
        pending = pending.decode()
    reply = await decide(ctx, uuid.UUID(pending), "edit", text)
    return Reply(reply.text)  # an answer to a message: a message, not a toast
