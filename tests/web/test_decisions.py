"""Deciding drafts from the web inbox: forms → Approvals → the customer's app, once."""

from __future__ import annotations

import pytest

from bot.web import queries
from tests.query_log import logged_queries

pytestmark = pytest.mark.slow

SENT = (
    "SELECT count(*) FROM messages WHERE conversation_id = $1 AND direction = 'outbound'"
    " AND status = 'sent'"
)


async def _status(inbox, suggestion_id) -> dict:
    rows = await inbox.stack.fetch(
        "SELECT status, reviewer_id, edited_text FROM reply_suggestions WHERE id = $1",
        suggestion_id,
    )
    return dict(rows[0])


async def test_the_inbox_shows_the_draft_beside_its_conversation(inbox):
    agent = await inbox.user("agent")
    older = await inbox.draft("anyone there?", "Hi! How can we help?", phone="+34600000001")
    draft = await inbox.draft("how much is shipping to Porto?", "Shipping to Porto is 5 EUR.")
    browser = inbox.browser()
    await browser.login(agent.email)
    status, page = await browser.get("/inbox/")
    assert status == 200
    assert "how much is shipping to Porto?" in page  # the customer's message
    assert "Shipping to Porto is 5 EUR." in page  # the draft
    assert "Marta" in page and "whatsapp" in page  # customer and channel
    assert "faq: FAQ" in page  # its source
    assert page.index(str(draft.suggestion_id)) < page.index(str(older.suggestion_id))  # newest


async def test_approve_sends_the_draft_to_the_customer_once(inbox):
    agent = await inbox.user("agent")
    draft = await inbox.draft("do you ship to Porto?", "Yes, we ship to Porto in 3 days.")
    browser = inbox.browser()
    await browser.login(agent.email)
    path = f"/inbox/suggestions/{draft.suggestion_id}/decide"
    status, page = await browser.post(path, {"action": "approve", "next": "/inbox/"})
    assert status == 200 and "Approved: the reply is on its way to Marta." in page
    assert "Yes, we ship to Porto in 3 days." not in page  # the card left the inbox
    await inbox.stack.wait_for(SENT, draft.conversation_id, expect=1)
    bodies = [p["Body"] for p in inbox.stack.fakes.twilio.sent()]
    assert bodies == ["Yes, we ship to Porto in 3 days."]
    decided = await _status(inbox, draft.suggestion_id)
    assert decided["status"] == "approved" and decided["reviewer_id"] == agent.id

    # A second press (another tab, a double click) sends nothing and says who decided.
    status, page = await browser.post(path, {"action": "approve"})
    assert status == 200 and "Already approved by Agent Person" in page
    assert len(inbox.stack.fakes.twilio.sent()) == 1


async def test_edit_sends_the_agents_text(inbox):
    agent = await inbox.user("agent")
    draft = await inbox.draft("price of 500 mugs?", "Mugs are 2 EUR each.")
    browser = inbox.browser()
    await browser.login(agent.email)
    path = f"/inbox/suggestions/{draft.suggestion_id}/decide"
    status, page = await browser.post(path, {"action": "edit", "text": "  "})
    assert status == 200 and "needs the reply text" in page
    status, page = await browser.post(path, {"action": "edit", "text": "500 mugs: 1.80 EUR each."})
    assert status == 200 and "Edited reply sent to Marta." in page
    await inbox.stack.wait_for(SENT, draft.conversation_id, expect=1)
    assert [p["Body"] for p in inbox.stack.fakes.twilio.sent()] == ["500 mugs: 1.80 EUR each."]
    decided = await _status(inbox, draft.suggestion_id)
    assert decided["status"] == "edited" and decided["edited_text"] == "500 mugs: 1.80 EUR each."


async def test_reject_and_escalate_send_nothing(inbox):
    agent = await inbox.user("agent")
    rejected = await inbox.draft("cheap watches!!!", "Thanks for your message.")
    escalated = await inbox.draft("my order arrived broken", "Sorry to hear that.", name="Ana")
    browser = inbox.browser()
    await browser.login(agent.email)
    status, page = await browser.post(
        f"/inbox/suggestions/{rejected.suggestion_id}/decide", {"action": "reject"}
    )
    assert status == 200 and "Draft rejected." in page
    status, page = await browser.post(
        f"/inbox/suggestions/{escalated.suggestion_id}/decide", {"action": "escalate"}
    )
    assert status == 200 and "Escalated" in page
    assert (await _status(inbox, rejected.suggestion_id))["status"] == "rejected"
    assert (await _status(inbox, escalated.suggestion_id))["status"] == "escalated"
    # The escalated draft stays in the inbox for someone to decide; the rejected one left.
    _, page = await browser.get("/inbox/")
    assert str(escalated.suggestion_id) in page and str(rejected.suggestion_id) not in page
    assert inbox.stack.fakes.twilio.sent() == []


async def test_readonly_staff_see_drafts_but_cannot_decide(inbox):
    viewer = await inbox.user("readonly")
    draft = await inbox.draft("is the red one in stock?", "Yes, 12 left.")
    browser = inbox.browser()
    await browser.login(viewer.email)
    status, page = await browser.get("/inbox/")
    assert status == 200 and "Yes, 12 left." in page
    assert "Read-only access" in page and 'value="approve"' not in page
    status, _ = await browser.post(
        f"/inbox/suggestions/{draft.suggestion_id}/decide", {"action": "approve"}
    )
    assert status == 403
    assert (await _status(inbox, draft.suggestion_id))["status"] == "pending"
    assert inbox.stack.fakes.twilio.sent() == []


async def test_the_conversation_page_shows_the_thread_and_its_open_draft(inbox):
    agent = await inbox.user("agent")
    draft = await inbox.draft("and do you have it in blue?", "Blue arrives next week.")
    browser = inbox.browser()
    await browser.login(agent.email)
    status, page = await browser.get(f"/inbox/conversations/{draft.conversation_id}")
    assert status == 200
    assert "and do you have it in blue?" in page and "Blue arrives next week." in page
    # Deciding from here comes back here.
    back = f"/inbox/conversations/{draft.conversation_id}"
    status, page = await browser.post(
        f"/inbox/suggestions/{draft.suggestion_id}/decide", {"action": "approve", "next": back}
    )
    assert status == 200 and "and do you have it in blue?" in page and "Approved" in page


async def test_the_conversation_page_reads_all_its_open_drafts_in_one_query(inbox):
    first = await inbox.draft("is the red one in stock?", "Yes, 4 left.", phone="+34600000077")
    second = await inbox.draft("and the green one?", "Sold out.", phone="+34600000077")
    assert first.conversation_id == second.conversation_id
    async with inbox.stack.services.pool.acquire() as conn, logged_queries(conn) as seen:
        page = await queries.conversation_page(conn, inbox.stack.org_id, first.conversation_id)
    assert [c["id"] for c in page["cards"]] == [second.suggestion_id, first.suggestion_id]
    assert all(c["recent"] for c in page["cards"])
    assert sum("reply_suggestions" in q for q in seen) == 1  # was one per open draft


async def test_a_draft_decided_elsewhere_says_by_whom_and_sends_nothing_more(inbox):
    """The staff bot and the web inbox share one decision core: a draft approved from
    Telegram (here: the same Approvals call the bot makes) is refused politely on the web."""
    from bot.approvals import Approvals
    from bot.outbox import ChannelOutbox

    ana = await inbox.user("agent")
    ben = await inbox.user("owner")
    draft = await inbox.draft("open on Sunday?", "Yes, 10 to 14.")
    browser = inbox.browser()
    await browser.login(ben.email)
    _, page = await browser.get("/inbox/")
    assert "Yes, 10 to 14." in page

    stack = inbox.stack
    approvals = Approvals(
        stack.services, ChannelOutbox(stack.services.pool, stack.runtime.outbound_queue)
    )
    result = await approvals.decide(stack.org_id, draft.suggestion_id, ana, "approve")
    assert result.applied

    path = f"/inbox/suggestions/{draft.suggestion_id}/decide"
    status, page = await browser.post(path, {"action": "edit", "text": "Closed on Sundays."})
    assert status == 200 and "Already approved by Agent Person: nothing was sent." in page
    await stack.wait_for(SENT, draft.conversation_id, expect=1)
    assert [p["Body"] for p in stack.fakes.twilio.sent()] == ["Yes, 10 to 14."]


async def test_the_inbox_pages_through_many_drafts(inbox):
    agent = await inbox.user("agent")
    size = inbox.stack.services.settings.web.page_size
    drafts = []
    for n in range(size + 1):
        drafts.append(await inbox.draft(f"question {n}", f"answer {n}", phone=f"+3460000{n:04d}"))
    browser = inbox.browser()
    await browser.login(agent.email)
    _, first = await browser.get("/inbox/")
    _, second = await browser.get("/inbox/?page=2")
    assert str(drafts[-1].suggestion_id) in first and str(drafts[0].suggestion_id) not in first
    assert str(drafts[0].suggestion_id) in second and "older →" in first


async def test_a_card_shows_the_classification_and_hot_lead_flag(inbox):
    agent = await inbox.user("agent")
    draft = await inbox.draft("I want 2000 units, what is your best price?", "Let me check.")
    async with inbox.stack.services.pool.acquire() as conn:
        await conn.execute(
            """
            INSERT INTO message_classifications (org_id, message_id, category, sub_intent,
                                                 confidence, is_hot_lead)
            SELECT org_id, message_id, 'purchase_intent', 'price_inquiry', 0.91, true
            FROM reply_suggestions WHERE id = $1
            """,
            draft.suggestion_id,
        )
    browser = inbox.browser()
    await browser.login(agent.email)
    _, fragment = await browser.get(f"/inbox/cards/{draft.suggestion_id}")
    assert "purchase_intent / price_inquiry" in fragment and "hot lead" in fragment


async def test_sandbox_drafts_stay_out_of_the_inbox(inbox):
    agent = await inbox.user("agent")
    draft = await inbox.draft("sandbox question", "sandbox answer")
    async with inbox.stack.services.pool.acquire() as conn:
        await conn.execute(
            "UPDATE conversations SET is_test = true WHERE id = $1", draft.conversation_id
        )
    browser = inbox.browser()
    await browser.login(agent.email)
    _, page = await browser.get("/inbox/")
    assert "sandbox answer" not in page and "0 open" in page
