"""A learned reply never carries the customer it was written for (bot/learning_privacy.py).

Regression: an approved, unedited model draft citing a FAQ ("Hi Lucia, for your hotel in
Lisbon, returns are 30 days") became a corpus answer, and the offline drafter reuses corpus
answers word for word — the next customer asking about returns would have been sent Lucía's
name and hotel, possibly by autopilot.
"""

from __future__ import annotations

import pytest

from bot.learning_privacy import Customer, names, private_details
from tests.agents.test_pipeline import shop as shop  # noqa: F401 - the fixture
from tests.test_approvals import corpus_rows, draft_for, outbound_rows
from tests.test_approvals import desk as desk  # noqa: F401 - the fixture
from tests.test_approvals_learning import ModelDraft

FAQ_SOURCE = {"kind": "faq", "id": "f1", "score": 0.8, "title": "Returns"}


async def remember(desk, suggestion_id, *contents):
    """Memories of the customer the suggestion's conversation is with (as the pipeline
    stores them)."""
    async with desk.pool.acquire() as conn:
        for content in contents:
            await conn.execute(
                """
                INSERT INTO memories (org_id, customer_id, category, content, source)
                SELECT s.org_id, v.customer_id, 'other', $2, 'llm'
                FROM reply_suggestions s JOIN conversations v ON v.id = s.conversation_id
                WHERE s.id = $1
                """,
                suggestion_id,
                content,
            )


async def approve_model_draft(desk, reply, question, *, memories=(), sources=(FAQ_SOURCE,)):
    desk.pipeline.drafter = ModelDraft(reply, list(sources))
    outcome = await draft_for(desk, question)
    await remember(desk, outcome.suggestion_id, *memories)
    await desk.approvals.decide(desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve")
    [sent] = await outbound_rows(desk.pool, desk.ref.org_id)
    assert sent["content"] == reply  # sent as approved, whatever is learned
    return [r["answer"] for r in await corpus_rows(desk.pool, desk.ref.org_id)]


@pytest.mark.parametrize(
    "reply",
    [
        "Hi Lucia, returns are accepted within 30 days.",  # the name, accent dropped
        "LUCÍA: returns are accepted within 30 days.",
        "For your hotel in Lisbon, returns are accepted within 30 days.",  # a memory
    ],
)
async def test_an_unedited_model_draft_with_the_customers_details_is_not_learned(desk, reply):
    learned = await approve_model_draft(
        desk, reply, "what is your return policy?", memories=["Opening a new hotel in Lisbon"]
    )
    assert learned == []


async def test_the_same_answer_without_them_is_learned(desk):
    reply = "Returns are accepted within 30 days."
    learned = await approve_model_draft(
        desk, reply, "what is your return policy?", memories=["Opening a new hotel in Lisbon"]
    )
    assert learned == [reply]


async def test_a_memory_word_the_question_itself_asks_about_is_no_leak(desk):
    reply = "Yes, we ship to Lisbon in 5 to 7 days."
    learned = await approve_model_draft(
        desk, reply, "do you ship to Lisbon?", memories=["Opening a new hotel in Lisbon"]
    )
    assert learned == [reply]


async def test_a_memory_word_the_cited_faq_says_is_no_leak(desk):
    async with desk.pool.acquire() as conn:
        faq_id = await conn.fetchval(
            "INSERT INTO faqs (org_id, question, answer) VALUES ($1, $2, $3) RETURNING id",
            desk.ref.org_id,
            "Do you ship to Portugal?",
            "We ship to Portugal and Lisbon in 5 to 7 days.",
        )
    reply = "We ship to Lisbon in 5 to 7 days."
    source = {"kind": "faq", "id": str(faq_id), "score": 0.8, "title": "Portugal"}
    learned = await approve_model_draft(
        desk,
        reply,
        "how long does delivery take?",
        memories=["Opening a new hotel in Lisbon"],
        sources=[source],
    )
    assert learned == [reply]


async def test_an_edit_naming_the_customer_is_sent_but_not_learned(desk):
    desk.pipeline.drafter = ModelDraft("Returns are accepted within 30 days.", [FAQ_SOURCE])
    outcome = await draft_for(desk, "what is your return policy?")
    edit = "Hola Lucía, returns are accepted within 30 days."
    await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "edit", edit
    )
    [sent] = await outbound_rows(desk.pool, desk.ref.org_id)
    assert sent["content"] == edit
    assert await corpus_rows(desk.pool, desk.ref.org_id) == []


async def test_an_edit_may_use_the_customers_memories(desk):
    # Staff chose those words for this answer: a person's correction is still learned.
    desk.pipeline.drafter = ModelDraft("Returns are accepted within 30 days.", [FAQ_SOURCE])
    outcome = await draft_for(desk, "what is your return policy?")
    await remember(desk, outcome.suggestion_id, "Opening a new hotel in Lisbon")
    edit = "Hotels in Lisbon may return within 30 days."
    await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "edit", edit
    )
    assert [r["answer"] for r in await corpus_rows(desk.pool, desk.ref.org_id)] == [edit]


def test_names_and_memory_words_are_matched_as_words():
    customer = Customer(
        names=frozenset({"lucia", "garcia", "王芳"}), memory_words=frozenset({"lisbon", "500"})
    )
    assert names("王芳您好，退货期30天。", customer) == {"王芳"}
    assert names("Hi Luciana, hi García", customer) == {"garcia"}
    assert private_details("BTL-500 ships from Lisbon", customer) == {"lisbon", "500"}
    assert private_details("BTL-500 ships", customer, public=["BTL-500?"]) == set()
