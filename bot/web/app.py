"""Mounting the inbox: its state, the login guard, error pages and the route table."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from aiohttp import web

from storage.errors import NotFound
from storage.models import User

from ..approvals import Approvals, NotAllowed
from . import csrf, events, views_auth, views_inbox, views_people
from .auth import LoginThrottle
from .sessions import SessionStore
from .viewer import STATE, VIEWER, Viewer, render, see_other, session_cookie

if TYPE_CHECKING:
    from ..services import Services

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PREFIX = "/inbox"
# Routes reachable without a session.
PUBLIC_ROUTES = frozenset({"login", "login_post", "static"})


@dataclass
class InboxState:
    services: Services
    sessions: SessionStore
    throttle: LoginThrottle
    approvals: Approvals
    templates: jinja2.Environment
    cookie_name: str
    cookie_secure: bool
    # Set when the server shuts down, so open live-update streams end at once.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)


def add_inbox_routes(app: web.Application, services: Services, approvals: Approvals) -> None:
    """Mount the web inbox under ``/inbox`` of the main application; decisions go through
    the app's one ``approvals`` (shared with the staff bot)."""
    settings = services.settings
    inbox = web.Application(middlewares=[error_pages, require_login])
    inbox[STATE] = InboxState(
        services=services,
        sessions=SessionStore(services.redis, services.keys, settings.security.session_ttl_seconds),
        throttle=LoginThrottle(
            services.redis,
            services.keys,
            limit=settings.web.login_max_failures,
            window=settings.web.login_window_seconds,
        ),
        approvals=approvals,
        templates=_templates(),
        cookie_name=settings.web.cookie_name,
        cookie_secure=_secure(settings.web.cookie_secure, settings.app.public_url),
    )
    inbox.on_shutdown.append(_stop_streams)
    r = inbox.router
    r.add_get("/login", views_auth.login_form, name="login")
    r.add_post("/login", views_auth.login, name="login_post")
    r.add_post("/logout", views_auth.logout, name="logout")
    r.add_get("/", views_inbox.inbox, name="inbox")
    r.add_get("/cards/{id}", views_inbox.card, name="card")
    r.add_post("/suggestions/{id}/decide", views_inbox.decide, name="decide")
    r.add_get("/events", events.stream, name="events")
    r.add_get("/conversations/{id}", views_people.conversation, name="conversation")
    r.add_get("/customers/{id}", views_people.customer, name="customer")
    r.add_post("/customers/{id}/memories/{memory_id}", views_people.edit_memory, name="memory")
    r.add_get("/search", views_people.search, name="search")
    r.add_static("/static", HERE / "static", name="static")
    app.router.add_get(PREFIX, _to_inbox)
    app.add_subapp(PREFIX, inbox)


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M") if value else ""
    return env


def _secure(policy: str, public_url: str) -> bool:
    if policy == "auto":
        return public_url.startswith("https://")
    return policy == "always"


async def _to_inbox(request: web.Request) -> web.Response:
    raise web.HTTPFound(PREFIX + "/")


async def _stop_streams(app: web.Application) -> None:
    app[STATE].stopping.set()


@web.middleware
async def require_login(request: web.Request, handler) -> web.StreamResponse:
    """Every page but the login form needs a live session of an active user; every POST
    needs the session's CSRF token. The viewer's org scopes everything downstream."""
    route = request.match_info.route.name
    if route in PUBLIC_ROUTES:
        return await handler(request)
    state = request.app[STATE]
    session = await state.sessions.get(request.cookies.get(state.cookie_name))
    user = None
    if session is not None:
        async with state.services.pool.acquire() as conn:
            record = await conn.fetchrow(
                "SELECT to_jsonb(u) AS u FROM users u WHERE org_id = $1 AND id = $2 AND is_active",
                session.org_id,
                session.user_id,
            )
        if record is None:  # deactivated or deleted since login
            await state.sessions.delete(session.id)
        else:
            user = User.model_validate(record["u"])
    if session is None or user is None:
        if request.method == "GET" and route != "events":
            location = request.app.router["login"].url_for().with_query(next=request.path_qs)
            response = see_other(location)
            session_cookie(response, state, None)
            return response
        raise web.HTTPUnauthorized(text="log in first")
    if request.method == "POST":
        await csrf.require_token(request, session.csrf_token)
    request[VIEWER] = Viewer(session, user)
    return await handler(request)


@web.middleware
async def error_pages(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFound:
        text = "That page does not exist, or it belongs to another organization."
        return render(request, "error.html", status=404, title="Not found", text=text)
    except NotAllowed as err:
        return render(request, "error.html", status=403, title="Not allowed", text=str(err))
