"""The README's channel setup table is what people type: its example credentials must pass
the same validation ``trademate channel add`` applies (the Telegram example once did not)."""

from __future__ import annotations

import re
from pathlib import Path

from channels.telegram import TelegramAdapter

from .twilio_cases import make_adapter

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_telegram_example_token_is_accepted() -> None:
    tokens = re.findall(r"channel add telegram [^`|]*--bot-token (\S+?)`", README.read_text())
    assert tokens, "the README's channel table no longer shows a Telegram example"
    for token in tokens:
        assert TelegramAdapter.parse_config({"bot_token": token}).bot_token == token


async def test_whatsapp_channel_add_hint_says_where_to_paste_the_url() -> None:
    # README: "paste the printed URL as the sender's 'when a message comes in' webhook".
    adapter = make_adapter()
    hint = await adapter.register_webhook()
    assert "Twilio console" in hint and "When a message comes in" in hint
    assert adapter.env.webhook_url(adapter.ref) in hint
