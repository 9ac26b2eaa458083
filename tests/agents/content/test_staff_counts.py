"""A count typed to /hooks that isn't a plain number is refused with the usage. Regression:
``/hooks BTL-500 ²`` ("²".isdigit() is true, int("²") raises) answered "Sorry, that failed
on our side"."""

from __future__ import annotations

from tests.agents.content.test_staff import desk as desk  # noqa: F401 - the fixture


async def test_a_superscript_count_gets_the_usage_not_an_error(desk):
    [reply] = await desk.call("hooks", "BTL-500 ²")
    assert reply.text == (
        "Can't generate this: don't know '²'; usage: /hooks SKU-1 10 [platform] [language]"
    )
