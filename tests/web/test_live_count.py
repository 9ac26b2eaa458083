"""The live inbox's "N open" counts every waiting draft, not the cards on the page.

Regression: the script counted the cards in the page, so with more drafts than
``web.page_size`` the header dropped from "3 open" to "1 open" after one decision elsewhere;
and a new draft slid onto page 2 although drafts are listed newest first (it belongs on 1).
"""

from __future__ import annotations

import pytest

from storage.db import transaction
from storage.repositories import organizations
from tests.web.conftest import PASSWORD
from tests.web.test_browser import browser_page as browser_page  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow

try:
    from playwright.async_api import expect
except ImportError:  # pragma: no cover - dev extra not installed
    expect = None


@pytest.fixture
def two_per_page(monkeypatch):
    """Requested before ``inbox``: the stack reads its settings when it starts."""
    monkeypatch.setenv("TRADEMATE__WEB__PAGE_SIZE", "2")


async def test_count_says_how_many_drafts_wait_in_the_viewers_org(two_per_page, inbox):
    agent = await inbox.user("agent")
    for n in range(3):
        await inbox.draft(f"question {n}", f"answer {n}", phone=f"+3460000{n:04d}")
    stranger = await inbox.user("agent", org_id=await _other_org(inbox))
    browser, outsider = inbox.browser(), inbox.browser()
    await browser.login(agent.email)
    await outsider.login(stranger.email)

    assert await browser.get("/inbox/count") == (200, '{"open": 3}')
    assert await outsider.get("/inbox/count") == (200, '{"open": 0}')
    logged_out = inbox.browser()
    status, _ = await logged_out.get("/inbox/count", allow_redirects=False)
    assert status == 303  # to the login form, like every page


async def test_the_live_count_is_the_total_past_one_page(two_per_page, inbox, browser_page):
    page = browser_page
    agent = await inbox.user("agent")
    drafts = [
        await inbox.draft(f"question {n}", f"answer {n}", phone=f"+3460000{n:04d}")
        for n in range(3)
    ]
    await page.goto(inbox.stack.base_url + "/inbox/login")
    await page.fill("input[name=email]", agent.email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form.login button[type=submit]")
    await expect(page.locator("#live")).to_have_class("live on")
    await expect(page.locator("#open-count")).to_have_text("3 open")
    assert await page.locator(".card").count() == 2  # the two newest

    other = inbox.browser()
    await other.login(agent.email)
    await other.post(f"/inbox/suggestions/{drafts[2].suggestion_id}/decide", {"action": "reject"})
    await expect(page.locator(f"#s-{drafts[2].suggestion_id}")).to_have_count(0)
    await expect(page.locator("#open-count")).to_have_text("2 open")
    await expect(page).to_have_title(f"Inbox (2) · {inbox.stack.services.settings.app.name}")

    # On page 2 a new draft is counted but not shown: it belongs at the top of page 1.
    await page.goto(inbox.stack.base_url + "/inbox/?page=2")
    await expect(page.locator("#live")).to_have_class("live on")
    fresh = await inbox.draft("question 3", "answer 3", phone="+34600000003")
    await expect(page.locator("#open-count")).to_have_text("3 open")
    assert await page.locator(f"#s-{fresh.suggestion_id}").count() == 0


async def _other_org(inbox):
    async with transaction(inbox.stack.services.pool) as conn:
        org = await organizations.create(conn, "Another shop")
    return org.id
