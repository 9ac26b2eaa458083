"""The content studio's pieces in the web inbox: listed by status, approved or rejected here.

Generation happens in the bot (``/content``, ``/hooks``, ``/script``) and the CLI; this page
is where a team reviews what was generated, and where the approved library lives. Blocked
pieces are listed with the rule that blocked them and cannot be approved.
"""

from __future__ import annotations

from aiohttp import web

from agents.content import actions
from storage.repositories import content as content_repo

from .viewer import flash, path_id, render_page, require_editor, see_other, state, viewer

STATUSES = ("draft", "flagged", "blocked", "approved", "rejected")
DECISIONS = {"approve": "approved", "reject": "rejected"}


async def pieces(request: web.Request) -> web.Response:
    who = viewer(request)
    status = request.query.get("status", "draft")
    if status not in STATUSES:
        status = "draft"
    async with state(request).services.pool.acquire() as conn:
        variants = await content_repo.list_variants(conn, who.org_id, status=status, limit=100)
        problems = await content_repo.violations_of(
            conn, who.org_id, [v for v in variants if v.status in ("flagged", "blocked")]
        )
        counts = await content_repo.status_counts(conn, who.org_id)
    return await render_page(
        request,
        "content.html",
        current=status,
        statuses=STATUSES,
        counts=counts,
        variants=variants,
        problems=problems,
    )


async def decide(request: web.Request) -> web.Response:
    """Approve (into the library) or reject a draft or flagged piece; blocked ones stay put."""
    who = require_editor(request)
    variant_id = path_id(request)
    form = await request.post()
    new_status = DECISIONS.get(str(form.get("action", "")))
    back = f"/inbox/content?status={form.get('status', 'draft')}"
    if new_status is None:
        raise web.HTTPBadRequest(text="action must be approve or reject")
    changed, variant = await actions.decide(
        state(request).services.pool, who.org_id, variant_id, new_status, who.user.id
    )
    if changed:
        await flash(request, "ok", f"{variant.kind.title()} {new_status}.")
    else:
        await flash(request, "warn", f"Not changed: this {variant.kind} is {variant.status}.")
    return see_other(back)


__all__ = ("STATUSES", "decide", "pieces")
