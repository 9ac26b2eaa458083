"""The content studio's pieces in the web inbox: listed by status, approved or rejected here.

Generation happens in the bot (``/content``, ``/hooks``, ``/script``) and the CLI; this page
is where a team reviews what was generated, and where the approved library lives. Blocked
pieces are listed with the rule that blocked them and cannot be approved.
"""

from __future__ import annotations

from aiohttp import web

from storage.db import transaction
from storage.repositories import audit
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
        problems = {
            v.id: await content_repo.violations(conn, who.org_id, v.table, v.id)
            for v in variants
            if v.status in ("flagged", "blocked")
        }
        counts = dict(
            await conn.fetch(
                """
                SELECT status, count(*) FROM (
                    SELECT status FROM hooks WHERE org_id = $1
                    UNION ALL SELECT status FROM content_pieces WHERE org_id = $1) AS v
                GROUP BY status
                """,
                who.org_id,
            )
        )
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
    async with transaction(state(request).services.pool) as conn:
        variant = await content_repo.find_variant(conn, who.org_id, variant_id)
        changed = await content_repo.set_status(
            conn, who.org_id, variant.table, variant.id, new_status, user_id=who.user.id
        )
        if changed:
            await audit.record(
                conn,
                who.org_id,
                f"content.{new_status}",
                actor_kind="user",
                actor_user_id=who.user.id,
                entity_type=variant.table,
                entity_id=variant.id,
                before={"status": variant.status},
                after={"status": new_status},
            )
    if changed:
        await flash(request, "ok", f"{variant.kind.title()} {new_status}.")
    else:
        await flash(request, "warn", f"Not changed: this {variant.kind} is {variant.status}.")
    return see_other(back)


__all__ = ("STATUSES", "decide", "pieces")
