"""Who is looking (the logged-in user and their session) and rendering pages for them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from storage.models import User

from ..approvals import DECIDING_ROLES
from .sessions import Flash, Session

if TYPE_CHECKING:
    from .app import InboxState

STATE: web.AppKey[InboxState] = web.AppKey("inbox_state")

# Roles that may decide drafts (the decision core's rule) may also edit memories; readonly
# staff see everything and change nothing.
EDITING_ROLES = DECIDING_ROLES


@dataclass(frozen=True)
class Viewer:
    session: Session
    user: User
    # The organization's time zone: pages show times as the shop lives them.
    timezone: str = "UTC"

    @property
    def org_id(self) -> uuid.UUID:
        return self.user.org_id

    @property
    def can_decide(self) -> bool:
        return self.user.role in EDITING_ROLES

    @property
    def name(self) -> str:
        return self.user.display_name or self.user.email


VIEWER: web.RequestKey[Viewer] = web.RequestKey("viewer", Viewer)


def viewer(request: web.Request) -> Viewer:
    return request[VIEWER]


def see_other(location: object) -> web.Response:
    """A 303 redirect as a plain response (so cookies can be set on it)."""
    return web.Response(status=303, headers={"Location": str(location)})


def state(request: web.Request) -> InboxState:
    return request.app[STATE]


def path_id(request: web.Request, name: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise web.HTTPNotFound(text="no such page") from None


def require_editor(request: web.Request) -> Viewer:
    who = viewer(request)
    if not who.can_decide:
        raise web.HTTPForbidden(text=f"{who.name} has read-only access")
    return who


def safe_next(value: str | None, default: str = "/inbox/") -> str:
    """A local inbox path to go back to; anything else (another site) becomes ``default``."""
    if value and value.startswith("/inbox") and not value.startswith("//"):
        return value
    return default


async def flash(request: web.Request, kind: str, text: str) -> None:
    await state(request).sessions.set_flash(viewer(request).session, kind, text)


def render(
    request: web.Request, template: str, *, status: int = 200, flash: Flash | None = None, **ctx
) -> web.Response:
    st = state(request)
    who: Viewer | None = request.get(VIEWER)
    page: dict[str, Any] = {
        "app_name": st.services.settings.app.name,
        "viewer": who,
        "csrf_token": who.session.csrf_token if who else "",
        "flash": flash,
        "request_path": request.path_qs,
        **ctx,
    }
    body = st.templates.get_template(template).render(page)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


async def render_page(request: web.Request, template: str, **ctx) -> web.Response:
    """A full page for a logged-in viewer, showing (and consuming) the pending flash."""
    who = viewer(request)
    message = await state(request).sessions.pop_flash(who.session)
    return render(request, template, flash=message, **ctx)


def session_cookie(response: web.StreamResponse, st: InboxState, session: Session | None) -> None:
    """Set the session cookie (or clear it when ``session`` is None)."""
    if session is None:
        response.del_cookie(st.cookie_name, path="/inbox")
        return
    response.set_cookie(
        st.cookie_name,
        session.id,
        max_age=st.sessions.ttl_seconds,
        path="/inbox",
        httponly=True,
        samesite="Lax",
        secure=st.cookie_secure,
    )
