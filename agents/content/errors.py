"""The content studio's errors (part of the agents package's tree)."""

from __future__ import annotations

from agents.errors import AgentError


class ContentError(AgentError):
    """A content request can't be served (unknown platform, language, market, ...)."""


class TranslationUnavailable(ContentError):
    """Offline engine asked to translate: only an LLM translates."""
