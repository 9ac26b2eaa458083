"""What an approval teaches retrieval: knowledge answers and people's edits, never a
greeting, thank-you, apology, hand-off note or catalog price (those are still sent).

Regression: an approved hand-off note ("Thanks for your message Lucia! A member of our team
will get back to you shortly.") became a corpus answer, and the next customer asking the same
question was drafted it — Lucia's name and all — at 0.97 confidence, enough for autopilot.
"""

from __future__ import annotations

import pytest

from agents.drafting.offline import Draft
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


class ModelDraft:
    """A drafter answering what a model wrote, under the model's "llm" kind, citing
    ``sources`` (the pipeline's drafter contract: ``draft(ctx)``)."""

    def __init__(self, text: str, sources: list[dict]) -> None:
        self.text, self.sources = text, sources

    def draft(self, ctx) -> Draft:
        return Draft(self.text, "en", "llm", 0.9, self.sources)


@pytest.mark.parametrize(
    ("sources", "learned"),
    [
        ([], False),  # a greeting resting on nothing
        ([{"kind": "product", "id": "p1", "title": "BTL-500"}], False),  # today's price
        ([{"kind": "faq", "id": "f1", "score": 0.8, "title": "Shipping"}], True),
    ],
)
async def test_an_approved_model_draft_is_learned_only_when_it_rests_on_knowledge(
    desk, sources, learned
):
    # Regression: only the offline kinds were skipped, so an approved model greeting
    # ("Thanks Lucia, ...") became a corpus answer and was drafted to the next customer.
    # (A draft naming the customer is never learned: test_approvals_privacy.py.)
    reply = "Thanks, we will get back to you shortly!"
    desk.pipeline.drafter = ModelDraft(reply, sources)
    outcome = await draft_for(desk, "hello, do you ship to Spain?")

    await desk.approvals.decide(desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve")

    [sent] = await outbound_rows(desk.pool, desk.ref.org_id)
    assert sent["content"] == reply
    rows = await corpus_rows(desk.pool, desk.ref.org_id)
    assert [r["answer"] for r in rows] == ([reply] if learned else [])


async def test_an_edited_model_draft_is_learned(desk):
    desk.pipeline.drafter = ModelDraft("Thanks Lucía!", [])
    outcome = await draft_for(desk, "hello, do you ship to Spain?")

    await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "edit",
        "Yes, we ship to Spain in 7-10 days.",
    )  # fmt: skip

    [learned] = await corpus_rows(desk.pool, desk.ref.org_id)
    assert learned["answer"] == "Yes, we ship to Spain in 7-10 days."
