"""The web inbox in a real browser: headless Chromium (Debian's package) driven by Playwright.

Log in through the form, see the draft, click Approve, and the fake Twilio API receives the
reply exactly once; a draft created while the page is open appears without a reload.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SENT = (
    "SELECT count(*) FROM messages WHERE conversation_id = $1 AND direction = 'outbound'"
    " AND status = 'sent'"
)

try:
    from playwright.async_api import async_playwright, expect

    # How long an expectation waits for the page (a guard against hangs, not a timing check).
    expect.set_options(timeout=15_000)
except ImportError:  # pragma: no cover - dev extra not installed
    async_playwright = None


@pytest.fixture
async def browser_page():
    if async_playwright is None:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    if not HAVE_CHROMIUM:
        pytest.skip("no /usr/bin/chromium: install Debian's package (apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            page = await browser.new_page()
            yield page
        finally:
            await browser.close()


async def test_log_in_and_approve_a_draft_in_chromium(inbox, browser_page):
    page = browser_page
    agent = await inbox.user("agent")
    draft = await inbox.draft("do you deliver to Coimbra?", "Yes, Coimbra in 2 days.")

    await page.goto(inbox.stack.base_url + "/inbox/")
    await expect(page.locator("form.login")).to_be_visible()  # redirected to log in
    await page.fill("input[name=email]", agent.email)
    await page.fill("input[name=password]", "correct horse battery")
    await page.click("form.login button[type=submit]")

    card = page.locator(f"#s-{draft.suggestion_id}")
    await expect(card).to_contain_text("Yes, Coimbra in 2 days.")
    await expect(card).to_contain_text("do you deliver to Coimbra?")
    await card.get_by_role("button", name="Approve").click()
    await expect(page.locator(".flash")).to_contain_text("Approved")
    await expect(card).to_have_count(0)

    await inbox.stack.wait_for(SENT, draft.conversation_id, expect=1)
    assert [p["Body"] for p in inbox.stack.fakes.twilio.sent()] == ["Yes, Coimbra in 2 days."]


async def test_a_new_draft_appears_without_a_reload(inbox, browser_page):
    page = browser_page
    agent = await inbox.user("agent")
    await page.goto(inbox.stack.base_url + "/inbox/login")
    await page.fill("input[name=email]", agent.email)
    await page.fill("input[name=password]", "correct horse battery")
    await page.click("form.login button[type=submit]")
    await expect(page.locator("#live")).to_have_class("live on")  # the stream is open
    await page.evaluate("window.__sameDocument = true")

    draft = await inbox.draft("is the green kettle back?", "Back in stock on Friday.")
    card = page.locator(f"#s-{draft.suggestion_id}")
    await expect(card).to_contain_text("Back in stock on Friday.")
    assert await page.evaluate("window.__sameDocument === true")  # no reload happened

    # Decided elsewhere (another agent's tab): the card leaves this page too.
    other = inbox.browser()
    await other.login(agent.email)
    await other.post(f"/inbox/suggestions/{draft.suggestion_id}/decide", {"action": "reject"})
    await expect(card).to_have_count(0)
    assert await page.evaluate("window.__sameDocument === true")
