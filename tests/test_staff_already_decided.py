"""A button pressed on a draft someone else decided says who did, as the web inbox does
("Already approved by Ana Person: nothing more was sent."), not just "Already approved"."""

from __future__ import annotations

from storage.db import transaction
from storage.repositories import users
from tests.agents.test_pipeline import shop as shop  # noqa: F401 - the fixture
from tests.test_staff_commands import desk as desk  # noqa: F401 - the fixture
from tests.test_staff_commands import texts


async def test_the_second_press_names_who_decided_first(desk):
    from bot.staff.inbox import decide_button

    async with transaction(desk.pool) as conn:
        ben = await users.create(
            conn, desk.ref.org_id, "ben@costa.test", "agent", display_name="Ben Costa"
        )
    outcome = await desk.say("How long does shipping take?")
    first = desk.ctx(ben, f"approve:{outcome.suggestion_id}")
    assert texts(await decide_button(first))[0].startswith("Approved ✓")

    second = desk.ctx(desk.staff.ana, f"approve:{outcome.suggestion_id}")
    [late] = texts(await decide_button(second))
    assert late == "Already approved by Ben Costa: nothing more was sent."
    # Rejecting it late says the same.
    again = desk.ctx(desk.staff.owner, f"reject:{outcome.suggestion_id}")
    assert texts(await decide_button(again)) == [
        "Already approved by Ben Costa: nothing more was sent."
    ]


async def test_a_draft_autopilot_sent_says_so(desk):
    from bot.staff.inbox import decide_button

    outcome = await desk.say("How long does shipping take?")
    async with desk.pool.acquire() as conn:
        await conn.execute(
            "UPDATE reply_suggestions SET status = 'auto_sent' WHERE id = $1",
            outcome.suggestion_id,
        )
    [late] = texts(
        await decide_button(desk.ctx(desk.staff.ana, f"approve:{outcome.suggestion_id}"))
    )
    assert late == "Already sent automatically: nothing more was sent."
