"""Building langchain chat models from :class:`LLMConfig` (the one place that does).

Any langchain provider works through ``init_chat_model`` (its integration package must be
installed; only ``langchain-openai`` ships with TradeMate). OpenAI-compatible servers —
DeepSeek, Qwen (DashScope), vLLM, Ollama, LM Studio — use provider ``openai`` with
``base_url``. Tests inject their own factory (a fake chat model) instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from langchain.chat_models import init_chat_model
from langchain_core.language_models import BaseChatModel

from .config import LLMConfig

log = logging.getLogger(__name__)

ChatModelFactory = Callable[[str], BaseChatModel]
"""Builds the chat model for one model name (the main model, or the cheap one)."""

# Local OpenAI-compatible servers (vLLM, Ollama) need no key, but the openai SDK refuses to
# start without one; this placeholder is what their docs tell clients to send.
_NO_KEY = "not-needed"


def default_model_factory(config: LLMConfig) -> ChatModelFactory:
    """A factory calling ``init_chat_model`` with the config's provider, endpoint and knobs."""
    _warn_about_environment(config)

    def build(model: str) -> BaseChatModel:
        return init_chat_model(model, model_provider=config.provider, **model_kwargs(config))

    return build


def model_kwargs(config: LLMConfig) -> dict[str, Any]:
    """Constructor arguments for the provider's chat model class (unset knobs left out, so
    each provider keeps its own default)."""
    kwargs: dict[str, Any] = {
        "timeout": config.timeout_seconds,
        # No client-side retries: a failed call falls back to the offline engine at once, and
        # the worker's own attempts are the retry policy (one place, see STYLE.md).
        "max_retries": 0,
    }
    if config.temperature is not None:
        kwargs["temperature"] = config.temperature
    compatible = config.provider == "openai" and config.base_url is not None
    if config.base_url is not None:
        kwargs["base_url"] = config.base_url
    if config.api_key is not None:
        kwargs["api_key"] = config.api_key
    elif compatible:
        kwargs["api_key"] = _NO_KEY
    if config.max_tokens is not None:
        if compatible:
            # ChatOpenAI always renames max_tokens to max_completion_tokens, which DeepSeek,
            # Qwen and older vLLM/Ollama ignore: the cap would silently vanish. extra_body
            # goes into the request as written.
            kwargs["extra_body"] = {"max_tokens": config.max_tokens}
        else:
            kwargs["max_tokens"] = config.max_tokens
    if compatible:
        # ChatOpenAI switches some model names to OpenAI's Responses API (/v1/responses),
        # which compatible servers don't have: always speak Chat Completions to them.
        kwargs["use_responses_api"] = False
    return kwargs


def _warn_about_environment(config: LLMConfig) -> None:
    # langchain reads these variables on its own, behind our config's back.
    for var in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"):
        if os.environ.get(var, "").lower() == "true":
            log.warning(
                "%s=true: langchain sends every LLM call, customer text included, to LangSmith", var
            )
    if config.base_url is None:
        for var in ("LANGSMITH_GATEWAY", "OPENAI_BASE_URL", "OPENAI_API_BASE"):
            if os.environ.get(var):
                log.warning(
                    "llm.base_url is unset and %s is set: langchain sends LLM calls "
                    "where it points",
                    var,
                )
