"""Page numbers people type into /inbox: anything that isn't a page is page 1, and a page past
the end says so. Regression: ``/inbox 99999999999999999999``, ``/inbox ²`` and the button
``ib:0`` each answered "Sorry, that failed on our side" (an OFFSET past bigint, ``int("²")``
raising, a negative OFFSET)."""

from __future__ import annotations

import pytest

from bot.paging import MAX_PAGE, page_number
from bot.staff.inbox import inbox, inbox_page
from tests.agents.test_pipeline import shop as shop  # noqa: F401 - the fixture
from tests.test_staff_commands import desk as desk  # noqa: F401 - the fixture
from tests.test_staff_commands import texts


@pytest.mark.parametrize(
    ("typed", "page"),
    [("2", 2), (" 3 ", 3), ("", 1), ("0", 1), ("-1", 1), ("two", 1), ("²", 1), ("٣", 1),
     ("99999999999999999999", MAX_PAGE), (None, 1)],
)  # fmt: skip
def test_page_number_reads_plain_numbers_only(typed, page):
    assert page_number(typed) == page


async def test_odd_page_numbers_get_an_answer_not_an_error(desk):
    await desk.say("How long does shipping take to Lisbon?")
    ana = desk.staff.ana
    assert texts(await inbox(desk.ctx(ana, "99999999999999999999"))) == [
        "There are only 1 page(s). Send /inbox to start over."
    ]
    assert texts(await inbox(desk.ctx(ana, "²")))[0] == "1 draft(s) waiting — page 1 of 1."
    assert texts(await inbox_page(desk.ctx(ana, "0")))[0] == "1 draft(s) waiting — page 1 of 1."
