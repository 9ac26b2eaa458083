"""What an approval teaches retrieval: knowledge answers and people's edits, never a
greeting, thank-you, apology, hand-off note or catalog price (those are still sent).

Regression: an approved hand-off note ("Thanks for your message Lucia! A member of our team
will get back to you shortly.") became a corpus answer, and the next customer asking the same
question was drafted it — Lucia's name and all — at 0.97 confidence, enough for autopilot.
"""

from __future__ import annotations

import pytest

from tests.agents.test_pipeline import shop as shop  # noqa: F401 - the fixture
from tests.test_approvals import corpus_rows, draft_for, outbound_rows
from tests.test_approvals import desk as desk  # noqa: F401 - the fixture


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Do you sell red paint?", "handoff"),  # a question nothing in the shop answers
        ("thanks, great bottles", "template"),  # praise: a thank-you
        ("my bottle arrived broken", "template"),  # complaint: an apology
        ("price for 500 pcs of BTL-500?", "catalog"),  # today's price, from the catalog
    ],
)
async def test_an_approved_non_answer_is_sent_but_not_learned(desk, message, kind):
    outcome = await draft_for(desk, message)
    async with desk.pool.acquire() as conn:
        drafted_kind = await conn.fetchval(
            "SELECT metadata->>'kind' FROM reply_suggestions WHERE id = $1",
            outcome.suggestion_id,
        )
    assert drafted_kind == kind

    result = await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve"
    )

    assert result.applied and result.suggestion.status == "approved"
    [sent] = await outbound_rows(desk.pool, desk.ref.org_id)
    assert sent["content"] == outcome.draft.text
    assert await corpus_rows(desk.pool, desk.ref.org_id) == []


async def test_an_edited_non_answer_is_learned_as_the_agents_answer(desk):
    outcome = await draft_for(desk, "Do you sell red paint?")

    await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "edit",
        "No paint, only steel bottles.",
    )  # fmt: skip

    [learned] = await corpus_rows(desk.pool, desk.ref.org_id)
    assert learned["question"] == "Do you sell red paint?"
    assert learned["answer"] == "No paint, only steel bottles." and learned["source"] == "edited"


async def test_an_approved_faq_answer_is_still_learned(desk):
    outcome = await draft_for(desk, "How long does shipping to Spain take?")

    await desk.approvals.decide(desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve")

    [learned] = await corpus_rows(desk.pool, desk.ref.org_id)
    assert learned["answer"] == outcome.draft.text and learned["source"] == "approved"
