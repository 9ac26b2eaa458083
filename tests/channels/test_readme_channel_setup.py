"""The README's channel setup table is what people type: its example credentials must pass
the same validation ``trademate channel add`` applies (the Telegram example once did not)."""

from __future__ import annotations

import re
from pathlib import Path

from channels.telegram import TelegramAdapter

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_telegram_example_token_is_accepted() -> None:
    tokens = re.findall(r"channel add telegram [^`|]*--bot-token (\S+?)`", README.read_text())
    assert tokens, "the README's channel table no longer shows a Telegram example"
    for token in tokens:
        assert TelegramAdapter.parse_config({"bot_token": token}).bot_token == token
