"""Logging in and out."""

from __future__ import annotations

import logging

from aiohttp import web

from . import csrf
from .auth import authenticate, record_login
from .viewer import render, safe_next, see_other, session_cookie, state, viewer

log = logging.getLogger(__name__)

WRONG = "Wrong e-mail or password."
THROTTLED = "Too many failed attempts. Wait a few minutes and try again."


async def login_form(request: web.Request) -> web.Response:
    st = state(request)
    if await st.sessions.get(request.cookies.get(st.cookie_name)) is not None:
        return see_other(safe_next(request.query.get("next")))
    return _form(request, next_path=request.query.get("next"))


async def login(request: web.Request) -> web.Response:
    st = state(request)
    form = await request.post()
    email = str(form.get("email", "")).strip()
    password = str(form.get("password", ""))
    org_slug = str(form.get("organization", "")).strip() or None
    next_path = safe_next(str(form.get("next", "")))
    expected = request.cookies.get(csrf.LOGIN_COOKIE)
    if not expected or not csrf.token_matches(expected, str(form.get(csrf.FIELD, ""))):
        raise web.HTTPForbidden(text="the login form expired: reload the page and retry")
    address = request.remote or "unknown"
    if await st.throttle.blocked(email, address):
        log.warning("login throttled for %s from %s", email, address)
        return _form(request, error=THROTTLED, email=email, next_path=next_path, status=429)

    async with st.services.pool.acquire() as conn:
        matches = await authenticate(conn, email, password, org_slug=org_slug)
        if len(matches) == 1:
            await record_login(conn, matches[0].user)
    if not matches:
        await st.throttle.failed(email, address)
        return _form(request, error=WRONG, email=email, next_path=next_path, status=401)
    if len(matches) > 1:
        choices = [(m.org_slug, m.org_name) for m in matches]
        return _form(request, email=email, next_path=next_path, organizations=choices)

    user = matches[0].user
    await st.throttle.succeeded(email, address)
    old = request.cookies.get(st.cookie_name)
    if old:  # never keep a session id from before the login
        await st.sessions.delete(old)
    session = await st.sessions.create(user.org_id, user.id)
    log.info("web login: user %s (org %s)", user.id, user.org_id)
    response = see_other(next_path)
    session_cookie(response, st, session)
    response.del_cookie(csrf.LOGIN_COOKIE, path="/inbox")
    return response


async def logout(request: web.Request) -> web.Response:
    st = state(request)
    await st.sessions.delete(viewer(request).session.id)
    response = see_other(request.app.router["login"].url_for())
    session_cookie(response, st, None)
    return response


def _form(
    request: web.Request,
    *,
    error: str | None = None,
    email: str = "",
    next_path: str | None = None,
    organizations: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> web.Response:
    token = csrf.login_token(request.cookies.get(csrf.LOGIN_COOKIE))
    response = render(
        request,
        "login.html",
        status=status,
        error=error,
        email=email,
        next_path=safe_next(next_path),
        organizations=organizations or [],
        login_token=token,
    )
    response.set_cookie(
        csrf.LOGIN_COOKIE,
        token,
        path="/inbox",
        httponly=True,
        samesite="Strict",
        secure=state(request).cookie_secure,
        max_age=3600,
    )
    return response
