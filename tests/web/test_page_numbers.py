"""The inbox's ``?page=`` never fails: regression for ``?page=99999999999999999999``, which
answered 500 (an OFFSET past PostgreSQL's bigint)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


async def test_odd_page_numbers_show_a_page(inbox):
    agent = await inbox.user("agent")
    draft = await inbox.draft("do you ship to Faro?", "Yes, in 3 days.")
    browser = inbox.browser()
    await browser.login(agent.email)

    status, past_the_end = await browser.get("/inbox/?page=99999999999999999999")
    assert status == 200 and str(draft.suggestion_id) not in past_the_end
    for odd in ("abc", "0", "-3", "²"):
        status, first = await browser.get(f"/inbox/?page={odd}")
        assert status == 200 and str(draft.suggestion_id) in first
