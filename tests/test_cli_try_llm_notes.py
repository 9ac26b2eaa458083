"""`trademate try` says which engine classified and drafted, and why an LLM step fell back."""

from __future__ import annotations

import uuid

from bot.cli_try import format_turn
from bot.playground import Turn


def turn(**fields) -> Turn:
    return Turn("hi", uuid.uuid4(), category="question", confidence=0.9, **fields)


def test_the_engines_and_every_fallback_are_shown():
    shown = format_turn(
        turn(
            engine="offline",
            classified_by="offline",
            llm_fallback="timeout",
            llm_fallbacks={"classify": "invalid output", "draft": "timeout"},
        )
    )
    assert "confidence 0.9, by offline)" in shown
    assert (
        "engine     offline (the LLM's draft was not used: timeout; "
        "the LLM's classification was not used: invalid output)"
    ) in shown


def test_a_turn_the_llm_did_whole_has_no_note():
    shown = format_turn(turn(engine="llm", classified_by="llm"))
    assert "by llm)" in shown and "engine     llm\n" in shown
    assert turn(classified_by="llm").as_json()["classified_by"] == "llm"
