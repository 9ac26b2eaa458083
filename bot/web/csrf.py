"""CSRF protection: every POST of a logged-in user carries the session's token.

The token is a hidden ``csrf_token`` form field (or an ``X-CSRF-Token`` header for scripts)
compared in constant time. The login form, which has no session yet, uses a double-submit
cookie instead: a random value in a SameSite=Strict cookie that the form must echo.
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
LOGIN_COOKIE = "tm_login_csrf"


def token_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


async def require_token(request: web.Request, expected: str) -> None:
    """Raise 403 unless the request carries ``expected``."""
    given = request.headers.get(HEADER)
    if given is None:
        form = await request.post()
        given = form.get(FIELD)
    if not token_matches(expected, given if isinstance(given, str) else None):
        raise web.HTTPForbidden(text="missing or wrong CSRF token: reload the page and retry")


def login_token(current: str | None) -> str:
    """The login form's token: the browser's current one when it has a plausible one, so a
    form re-shown after a wrong password (or open in a second tab) still matches the cookie;
    else a new one."""
    if current is not None:
        plain = current.replace("-", "").replace("_", "")  # token_urlsafe's alphabet
        if 16 <= len(plain) <= 64 and plain.isascii() and plain.isalnum():
            return current
    return secrets.token_urlsafe(24)
