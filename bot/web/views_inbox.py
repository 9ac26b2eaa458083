"""The inbox: open drafts beside their conversations, and decisions on them."""

from __future__ import annotations

import logging

from aiohttp import web

from ..approvals import InvalidDecision, already_decided
from ..paging import page_number
from . import queries
from .viewer import (
    flash,
    path_id,
    render,
    render_page,
    require_editor,
    safe_next,
    see_other,
    state,
    viewer,
)

log = logging.getLogger(__name__)

DONE = {
    "approve": "Approved: the reply is on its way to {customer}.",
    "edit": "Edited reply sent to {customer}.",
    "reject": "Draft rejected.",
    "escalate": "Escalated: the owners were notified.",
}


async def inbox(request: web.Request) -> web.Response:
    who = viewer(request)
    size = state(request).services.settings.web.page_size
    page = page_number(request.query.get("page", ""))
    async with state(request).services.pool.acquire() as conn:
        cards = await queries.inbox_cards(conn, who.org_id, limit=size, offset=(page - 1) * size)
        total = await queries.count_open(conn, who.org_id)
    return await render_page(
        request, "inbox.html", cards=cards, total=total, page=page, more=page * size < total
    )


async def count(request: web.Request) -> web.Response:
    """How many drafts wait (``{"open": n}``), for the live page's counter: the page shows one
    page of cards, so counting the cards on it would be wrong past ``web.page_size``."""
    who = viewer(request)
    async with state(request).services.pool.acquire() as conn:
        total = await queries.count_open(conn, who.org_id)
    return web.json_response({"open": total})


async def card(request: web.Request) -> web.Response:
    """One card as an HTML fragment, for the live update script; 404 once decided."""
    who = viewer(request)
    async with state(request).services.pool.acquire() as conn:
        cards = await queries.inbox_cards(conn, who.org_id, limit=1, suggestion_id=path_id(request))
    if not cards:
        raise web.HTTPNotFound(text="no open draft with that id")
    return render(request, "_card.html", card=cards[0])


async def decide(request: web.Request) -> web.Response:
    who = require_editor(request)
    suggestion_id = path_id(request)
    form = await request.post()
    action = str(form.get("action", ""))
    text = str(form.get("text", "")) or None
    back = safe_next(str(form.get("next", "")))
    st = state(request)
    try:
        result = await st.approvals.decide(who.org_id, suggestion_id, who.user, action, text)
    except InvalidDecision as err:
        await flash(request, "error", str(err))
        return see_other(back)
    if result.applied:
        async with st.services.pool.acquire() as conn:
            customer = await conn.fetchval(
                "SELECT cu.display_name FROM conversations cv"
                " JOIN customers cu ON cu.id = cv.customer_id WHERE cv.org_id = $1 AND cv.id = $2",
                who.org_id,
                result.suggestion.conversation_id,
            )
        log.info("web decision %s on %s by %s", action, suggestion_id, who.user.id)
        await flash(request, "ok", DONE[action].format(customer=customer or "the customer"))
    else:
        async with st.services.pool.acquire() as conn:
            decided = await queries.decided_by(conn, who.org_id, suggestion_id)
        text = already_decided(decided["status"], decided["reviewer"])
        await flash(request, "warn", f"{text}: nothing was sent.")
    return see_other(back)
