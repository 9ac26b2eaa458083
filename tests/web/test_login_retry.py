"""Retrying the login form: the token of the page first loaded stays valid while the browser
keeps its login cookie. Regression: every re-shown form (after a wrong password, or the
login page open in a second tab) replaced the cookie, so the next attempt with the token the
person or script already had got "403 the login form expired" instead of 401 / 429 / in."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD, csrf_token

pytestmark = pytest.mark.slow


async def test_wrong_passwords_then_the_right_one_with_the_first_pages_token(inbox):
    user = await inbox.user("agent")
    browser = inbox.browser()
    _, page = await browser.get("/inbox/login")
    token = csrf_token(page)
    _, second_tab = await browser.get("/inbox/login")
    assert csrf_token(second_tab) == token

    for _ in range(2):
        form = {"email": user.email, "password": "wrong", "csrf_token": token}
        status, body = await browser.post("/inbox/login", form, token=False)
        assert status == 401 and "Wrong e-mail or password." in body
        assert csrf_token(body) == token

    form = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    status, body = await browser.post("/inbox/login", form, token=False)
    assert status == 200 and "Log out" in body


async def test_the_throttle_answers_429_to_a_script_reusing_its_token(inbox):
    user = await inbox.user("agent")
    limit = inbox.stack.services.settings.web.login_max_failures
    browser = inbox.browser()
    _, page = await browser.get("/inbox/login")
    form = {"email": user.email, "password": "wrong", "csrf_token": csrf_token(page)}
    statuses = [
        (await browser.post("/inbox/login", form, token=False))[0] for _ in range(limit + 1)
    ]
    assert statuses == [401] * limit + [429]


async def test_a_forged_login_without_the_cookie_is_still_refused(inbox):
    user = await inbox.user("agent")
    _, page = await inbox.browser().get("/inbox/login")
    stranger = inbox.browser()  # another browser: no login cookie
    form = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page)}
    status, _ = await stranger.post("/inbox/login", form, token=False)
    assert status == 403
