"""Mounting the inbox: its state, the login guard, error pages and the route table."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from aiohttp import web

from ..approvals import Approvals
from . import events, views_auth, views_content, views_inbox, views_people
from .auth import LoginThrottle
from .middleware import error_pages, require_login, security_headers
from .sessions import SessionStore
from .viewer import STATE

if TYPE_CHECKING:
    from ..services import Services

HERE = Path(__file__).resolve().parent
PREFIX = "/inbox"


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
    inbox = web.Application(middlewares=[security_headers, error_pages, require_login])
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
    r.add_get("/count", views_inbox.count, name="count")
    r.add_post("/suggestions/{id}/decide", views_inbox.decide, name="decide")
    r.add_get("/events", events.stream, name="events")
    r.add_get("/conversations/{id}", views_people.conversation, name="conversation")
    r.add_get("/customers/{id}", views_people.customer, name="customer")
    r.add_post("/customers/{id}/memories/{memory_id}", views_people.edit_memory, name="memory")
    r.add_get("/search", views_people.search, name="search")
    r.add_get("/content", views_content.pieces, name="content")
    r.add_post("/content/{id}/decide", views_content.decide, name="content_decide")
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
    env.filters["when"] = _when
    return env


@jinja2.pass_context
def _when(context, value: datetime | None) -> str:
    """A timestamp in the viewer's organization's time zone."""
    if value is None:
        return ""
    who = context.get("viewer")
    try:
        zone = ZoneInfo(who.timezone) if who else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _secure(policy: str, public_url: str) -> bool:
    if policy == "auto":
        return public_url.startswith("https://")
    return policy == "always"


async def _to_inbox(request: web.Request) -> web.Response:
    raise web.HTTPFound(PREFIX + "/")


async def _stop_streams(app: web.Application) -> None:
    app[STATE].stopping.set()
