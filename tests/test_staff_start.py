"""Telegram's Start button from a linked staff member: who they are and where to begin.
Regression: it answered "Unknown command /start"; a customer's /start stays customer text
(tests/test_staff_gate.py)."""

from __future__ import annotations

from bot.cards import Cards
from bot.staff_bot.frontend import StaffBot
from tests.agents.test_pipeline import shop as shop  # noqa: F401 - the fixture
from tests.test_staff_commands import _message
from tests.test_staff_commands import desk as desk  # noqa: F401 - the fixture


async def test_start_from_linked_staff_says_who_they_are(desk):
    bot = StaffBot(desk.services, Cards(desk.services, hub=None), desk.approvals)
    [hello] = await bot.answer(desk.ref.org_id, desk.ref.id, _message("/start"), desk.staff.ana)
    assert hello.text.startswith("Hello ana@costa.test (agent).")
    assert "/inbox" in hello.text and "/help" in hello.text
    [viewer_help] = await bot.answer(
        desk.ref.org_id, desk.ref.id, _message("/help"), desk.staff.viewer
    )
    assert "/start" not in viewer_help.text  # not a command worth listing
