"""The LLM plumbing: named prompts, the gateway (cache, budget, accounting) and its config.

Only this package imports langchain, and only when the gateway is first used: the offline
engine and the CLI import the prompt loader and config without paying langchain's second
of import time. Callers check :attr:`LLMGateway.available` and catch
:class:`agents.errors.LLMUnavailable` to fall back to the offline engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .config import LLMConfig, LLMConfigError, ModelPrice
from .prompts import PromptError, PromptTemplate, RenderedPrompt, load_prompt, register_versions

if TYPE_CHECKING:
    from .accounting import LLMResult
    from .gateway import LLMGateway
    from .models import ChatModelFactory, default_model_factory

_LAZY = {
    "LLMGateway": ".gateway",
    "LLMResult": ".accounting",
    "ChatModelFactory": ".models",
    "default_model_factory": ".models",
}

__all__ = [
    "ChatModelFactory",
    "LLMConfig",
    "LLMConfigError",
    "LLMGateway",
    "LLMResult",
    "ModelPrice",
    "PromptError",
    "PromptTemplate",
    "RenderedPrompt",
    "default_model_factory",
    "load_prompt",
    "register_versions",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
