"""Conversation and customer pages, memory edits, and search."""

from __future__ import annotations

from aiohttp import web

from storage.db import transaction
from storage.repositories import audit
from storage.repositories import memories as memory_repo

from . import queries
from .viewer import flash, path_id, render_page, require_editor, see_other, state, viewer


async def conversation(request: web.Request) -> web.Response:
    who = viewer(request)
    async with state(request).services.pool.acquire() as conn:
        page = await queries.conversation_page(conn, who.org_id, path_id(request))
    return await render_page(request, "conversation.html", **page)


async def customer(request: web.Request) -> web.Response:
    who = viewer(request)
    customer_id = path_id(request)
    async with state(request).services.pool.acquire() as conn:
        page = await queries.customer_page(conn, who.org_id, customer_id)
        memories = await memory_repo.for_customer(conn, who.org_id, customer_id)
    return await render_page(request, "customer.html", memories=memories, **page)


async def edit_memory(request: web.Request) -> web.Response:
    """Staff correct (``save``) or remove (``delete``) what the agent remembers."""
    who = require_editor(request)
    customer_id, memory_id = path_id(request), path_id(request, "memory_id")
    form = await request.post()
    operation = str(form.get("operation", "save"))
    content = str(form.get("content", "")).strip()
    back = request.app.router["customer"].url_for(id=str(customer_id))
    if operation == "save" and not content:
        await flash(request, "error", "A memory needs some text (or delete it).")
        return see_other(back)
    async with transaction(state(request).services.pool) as conn:
        before = await conn.fetchrow(
            "SELECT content FROM memories WHERE org_id = $1 AND id = $2 AND customer_id = $3",
            who.org_id,
            memory_id,
            customer_id,
        )
        if before is None:
            raise web.HTTPNotFound(text="no such memory")
        if operation == "delete":
            await memory_repo.delete(conn, who.org_id, memory_id)
            after = None
        else:
            await memory_repo.update(conn, who.org_id, memory_id, content=content, source="staff")
            after = {"content": content}
        await audit.record(
            conn,
            who.org_id,
            "memory.deleted" if after is None else "memory.edited",
            actor_kind="user",
            actor_user_id=who.user.id,
            entity_type="memory",
            entity_id=memory_id,
            before={"content": before["content"]},
            after=after,
        )
    await flash(request, "ok", "Memory deleted." if after is None else "Memory saved.")
    return see_other(back)


async def search(request: web.Request) -> web.Response:
    who = viewer(request)
    query = request.query.get("q", "").strip()[:200]
    customers, messages = [], []
    if query:
        async with state(request).services.pool.acquire() as conn:
            customers = await queries.search_customers(conn, who.org_id, query)
            messages = await queries.search_messages(conn, who.org_id, query)
    return await render_page(
        request, "search.html", query=query, customers=customers, messages=messages
    )
