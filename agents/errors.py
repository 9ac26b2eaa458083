"""The agents package's exception tree."""

from __future__ import annotations


class AgentError(Exception):
    """Base class for errors raised on purpose by the agent core."""


class IngestError(AgentError):
    """A knowledge file could not be read or indexed (the message says which and why)."""


class ModelError(AgentError):
    """A classifier model is missing, corrupt, or could not be trained."""


class LLMUnavailable(AgentError):
    """The configured LLM failed, timed out, or is over budget: use the offline engine."""
