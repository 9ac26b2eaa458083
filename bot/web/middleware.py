"""Middlewares of the inbox: the login guard (session, user, CSRF), error pages, and
security headers on every response."""

from __future__ import annotations

from aiohttp import web

from storage.errors import NotFound
from storage.models import User

from ..approvals import NotAllowed
from . import csrf
from .viewer import STATE, VIEWER, Viewer, render, see_other, session_cookie

# Routes reachable without a session.
PUBLIC_ROUTES = frozenset({"login", "login_post", "static"})


@web.middleware
async def require_login(request: web.Request, handler) -> web.StreamResponse:
    """Every page but the login form needs a live session of an active user; every POST
    needs the session's CSRF token. The viewer's org scopes everything downstream."""
    route = request.match_info.route.name
    if route in PUBLIC_ROUTES:
        return await handler(request)
    state = request.app[STATE]
    session = await state.sessions.get(request.cookies.get(state.cookie_name))
    user, timezone = None, "UTC"
    if session is not None:
        async with state.services.pool.acquire() as conn:
            record = await conn.fetchrow(
                """
                SELECT to_jsonb(u) AS u, o.timezone FROM users u
                JOIN organizations o ON o.id = u.org_id
                WHERE u.org_id = $1 AND u.id = $2 AND u.is_active
                """,
                session.org_id,
                session.user_id,
            )
        if record is None:  # deactivated or deleted since login
            await state.sessions.delete(session.id)
        else:
            user, timezone = User.model_validate(record["u"]), record["timezone"]
    if session is None or user is None:
        if request.method == "GET" and route != "events":
            location = request.app.router["login"].url_for().with_query(next=request.path_qs)
            response = see_other(location)
            session_cookie(response, state, None)
            return response
        raise web.HTTPUnauthorized(text="log in first")
    if request.method == "POST":
        await csrf.require_token(request, session.csrf_token)
    request[VIEWER] = Viewer(session, user, timezone)
    return await handler(request)


# Pages load scripts and styles from /inbox/static only; nothing may frame them.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@web.middleware
async def security_headers(request: web.Request, handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as err:
        err.headers.update(SECURITY_HEADERS)
        raise
    if not response.prepared:  # the event stream has sent its headers already
        response.headers.update(SECURITY_HEADERS)
        if request.match_info.route.name != "static":
            response.headers.setdefault("Cache-Control", "no-store")
    return response


@web.middleware
async def error_pages(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFound:
        text = "That page does not exist, or it belongs to another organization."
        return render(request, "error.html", status=404, title="Not found", text=text)
    except NotAllowed as err:
        return render(request, "error.html", status=403, title="Not allowed", text=str(err))
