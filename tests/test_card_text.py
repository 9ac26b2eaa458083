"""What an approval card says, per kind of draft."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.cards import card_text


def _row(kind: str, metadata: dict, message: str | None = None, **extra) -> dict:
    return {
        "kind": kind, "status": "pending", "metadata": metadata, "message": message,
        "platform": "whatsapp", "channel": "main", "customer": "Lucía", "priority": "normal",
        "draft": "the draft", "sources": [], "reviewer": None, "edited_text": None,
        "created_at": datetime.now(UTC), **extra,
    }  # fmt: skip


def test_a_reply_card_shows_the_message_and_its_classification():
    text = card_text(
        _row(
            "reply",
            {"classification": {"category": "question", "sentiment": "neutral"}},
            "How long to Spain?",
        )  # fmt: skip
    )
    assert "Classification: question · sentiment neutral" in text
    assert "Customer wrote:\nHow long to Spain?" in text


def test_a_quote_card_shows_number_total_and_warnings():
    meta = {"number": "Q-2026-0007", "total": "1050.00", "currency": "USD",
            "warnings": ["SKU-9: not in the catalog, not quoted"]}  # fmt: skip
    text = card_text(_row("quote", meta))
    assert "Quote Q-2026-0007: 1050.00 USD" in text
    assert "⚠️ SKU-9: not in the catalog, not quoted" in text
    assert "Customer wrote" not in text and "Classification" not in text


def test_a_followup_card_says_why_and_how_it_goes_out():
    meta = {"reason": "silent for 3 days", "send_as": "template", "note": "ask about colours"}
    text = card_text(_row("followup", meta))
    assert "Follow-up: silent for 3 days" in text and "Note: ask about colours" in text
    assert "approved template" in text
    missing = card_text(_row("followup", {"reason": "silent", "template_missing": "no template"}))
    assert "⚠️ no template" in missing
