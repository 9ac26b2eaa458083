"""Logging in and out of the web inbox: passwords, throttling, sessions, CSRF."""

from __future__ import annotations

import hashlib

import pytest

from bot.web.app import _secure

from .conftest import PASSWORD

pytestmark = pytest.mark.slow


async def test_login_with_the_right_password_opens_the_inbox(inbox):
    user = await inbox.user("agent")
    browser = inbox.browser()
    status, page = await browser.login(user.email)
    assert status == 200
    assert "Inbox" in page and user.display_name in page
    status, page = await browser.get("/inbox/")
    assert status == 200 and "Log out" in page
    last_login = await inbox.stack.fetch("SELECT last_login_at FROM users WHERE id = $1", user.id)
    assert last_login[0]["last_login_at"] is not None


async def test_the_session_cookie_is_opaque_httponly_and_lax(inbox):
    user = await inbox.user("agent")
    browser = inbox.browser()
    _, page = await browser.get("/inbox/login")
    form = {"email": user.email, "password": PASSWORD, "csrf_token": _login_token(page)}
    async with browser.http.post(
        inbox.stack.base_url + "/inbox/login", data=form, allow_redirects=False
    ) as response:
        assert response.status == 303
        morsel = response.cookies["tm_session"]
    assert morsel["httponly"] and morsel["samesite"] == "Lax"
    assert not morsel["secure"]  # public_url is http in tests
    assert str(user.id) not in morsel.value and str(user.org_id) not in morsel.value
    # Redis holds the session under a hash of the cookie, with a server-side expiry.
    services = inbox.stack.services
    key = services.keys.system("web", "session", hashlib.sha256(morsel.value.encode()).hexdigest())
    ttl = await services.redis.ttl(key)
    assert 0 < ttl <= services.settings.security.session_ttl_seconds


def test_the_cookie_is_secure_when_the_public_url_is_https():
    assert _secure("auto", "https://shop.example") is True
    assert _secure("auto", "http://127.0.0.1:8080") is False
    assert _secure("always", "http://127.0.0.1:8080") is True


async def test_a_wrong_password_and_an_unknown_email_get_the_same_generic_answer(inbox):
    user = await inbox.user("agent")
    browser = inbox.browser()
    status, wrong = await browser.login(user.email, "not the password")
    assert status == 401 and "Wrong e-mail or password." in wrong
    status, unknown = await browser.login("nobody@nowhere.test", PASSWORD)
    assert status == 401 and "Wrong e-mail or password." in unknown
    assert browser.session_cookie() is None
    status, _ = await browser.get("/inbox/", allow_redirects=False)
    assert status == 303


async def test_failed_logins_are_throttled_per_email_and_address(inbox):
    user = await inbox.user("agent")
    limit = inbox.stack.services.settings.web.login_max_failures
    attacker = inbox.browser()
    for _ in range(limit):
        status, _ = await attacker.login(user.email, "guess")
        assert status == 401
    # Now even the right password is refused for this e-mail from this address...
    status, page = await attacker.login(user.email, PASSWORD)
    assert status == 429 and "Too many failed attempts" in page
    assert attacker.session_cookie() is None
    # ...while other accounts still log in.
    other = await inbox.user("agent")
    status, _ = await inbox.browser().login(other.email)
    assert status == 200


async def test_logout_deletes_the_session_on_the_server(inbox):
    user = await inbox.user("agent")
    browser = inbox.browser()
    await browser.login(user.email)
    stolen = browser.session_cookie()
    status, page = await browser.post("/inbox/logout", {})
    assert status == 200 and 'action="/inbox/login"' in page
    # A copy of the old cookie no longer opens anything.
    thief = inbox.browser()
    thief.http.cookie_jar.update_cookies({"tm_session": stolen})
    status, _ = await thief.get("/inbox/", allow_redirects=False)
    assert status == 303


async def test_an_expired_session_sends_the_user_back_to_the_login_form(inbox):
    user = await inbox.user("agent")
    browser = inbox.browser()
    await browser.login(user.email)
    services = inbox.stack.services
    digest = hashlib.sha256(browser.session_cookie().encode()).hexdigest()
    key = services.keys.system("web", "session", digest)
    assert await services.redis.exists(key)
    await services.redis.expire(key, 0)  # what Redis does when the TTL runs out
    status, page = await browser.get("/inbox/search?q=x")
    assert status == 200 and 'action="/inbox/login"' in page
    assert 'name="next" value="/inbox/search?q=x"' in page


async def test_a_deactivated_user_loses_access_at_once(inbox):
    user = await inbox.user("agent")
    browser = inbox.browser()
    await browser.login(user.email)
    async with inbox.stack.services.pool.acquire() as conn:
        await conn.execute("UPDATE users SET is_active = false WHERE id = $1", user.id)
    status, _ = await browser.get("/inbox/", allow_redirects=False)
    assert status == 303


async def test_posts_without_the_csrf_token_are_refused(inbox):
    user = await inbox.user("agent")
    draft = await inbox.draft("do you ship to Porto?", "Yes, in 3 days.")
    browser = inbox.browser()
    await browser.login(user.email)
    path = f"/inbox/suggestions/{draft.suggestion_id}/decide"
    status, _ = await browser.post(path, {"action": "approve"}, token=False)
    assert status == 403
    status, _ = await browser.post(path, {"action": "approve", "csrf_token": "forged"}, token=False)
    assert status == 403
    status, _ = await browser.post("/inbox/logout", {}, token=False)
    assert status == 403
    rows = await inbox.stack.fetch(
        "SELECT status FROM reply_suggestions WHERE id = $1", draft.suggestion_id
    )
    assert rows[0]["status"] == "pending"
    assert inbox.stack.fakes.twilio.sent() == []


async def test_the_login_form_needs_its_own_token(inbox):
    user = await inbox.user("agent")
    browser = inbox.browser()
    form = {"email": user.email, "password": PASSWORD}
    status, _ = await browser.post("/inbox/login", form, token=False)
    assert status == 403
    assert browser.session_cookie() is None


async def test_pages_need_a_session(inbox):
    browser = inbox.browser()
    for path in ("/inbox/", "/inbox/search?q=a", "/inbox/events"):
        status, _ = await browser.get(path, allow_redirects=False)
        assert status in (303, 401), path


def _login_token(page: str) -> str:
    from .conftest import csrf_token

    return csrf_token(page)


async def test_the_login_never_redirects_off_site(inbox):
    user = await inbox.user("agent")
    browser = inbox.browser()
    _, page = await browser.get("/inbox/login")
    form = {
        "email": user.email,
        "password": PASSWORD,
        "csrf_token": _login_token(page),
        "next": "//evil.example/phish",
    }
    async with browser.http.post(
        inbox.stack.base_url + "/inbox/login", data=form, allow_redirects=False
    ) as response:
        assert response.status == 303
        assert response.headers["Location"] == "/inbox/"


async def test_one_email_with_one_password_in_two_orgs_asks_which_org(inbox):
    from bot.passwords import hash_password
    from storage.db import transaction
    from storage.repositories import organizations, users

    mine = await inbox.user("agent")
    async with transaction(inbox.stack.services.pool) as conn:
        other = await organizations.create(conn, "Second Shop")
        await users.create(
            conn, other.id, mine.email, "owner", password_hash=hash_password(PASSWORD)
        )
    try:
        browser = inbox.browser()
        status, page = await browser.login(mine.email)
        assert status == 200 and "several organizations" in page
        assert browser.session_cookie() is None
        status, page = await browser.login(mine.email, organization=other.slug)
        assert status == 200 and "Log out" in page and "owner" in page
    finally:
        async with inbox.stack.services.pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", other.id)


async def test_pages_carry_security_headers_and_are_not_cached(inbox):
    user = await inbox.user("agent")
    browser = inbox.browser()
    await browser.login(user.email)
    async with browser.http.get(inbox.stack.base_url + "/inbox/") as response:
        assert response.status == 200
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"
