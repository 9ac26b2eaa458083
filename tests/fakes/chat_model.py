"""A fake langchain chat model for unit tests, with structured output.

langchain-core's ``GenericFakeChatModel`` answers from a list but has no ``bind_tools``, so
``with_structured_output`` raises ``NotImplementedError`` on it. This subclass binds tools
the way real models do: when a call carries tools, the next programmed answer (a dict) comes
back as a tool call to the first tool, which langchain's own parser then validates against
the schema. Every call's messages are recorded; an ``Exception`` in the answers is raised
instead of answering (provider failures), and ``delay`` stalls each answer (timeouts).

Use it through the gateway's factory: ``LLMGateway(..., model_factory=fake.factory)``.
:meth:`FakeModels.answer` programs answers per schema (tool name: ``ClassificationOut``,
``MemoriesOut``, ``DraftOut``), so a test of a pipeline making several calls does not depend
on their order; answers without a schema name are taken in order by any call.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

Answer = str | dict[str, Any] | Exception


class FakeChatModel(GenericFakeChatModel):
    """Answers in order from ``answers``; ``calls`` holds (model name, messages, kwargs)."""

    model_name: str = "fake-model"
    # Any, not typed: pydantic would validate (and copy) them, losing the shared queue/log.
    messages: Any = Field(default_factory=lambda: iter(()))
    # Optional: answers per tool name, a dict of lists shared with FakeModels (popped first).
    by_tool: Any = Field(default_factory=dict)
    calls: Any = Field(default_factory=list)
    delay: float = 0.0
    prompt_tokens: int = 11
    completion_tokens: int = 7

    @property
    def _llm_type(self) -> str:
        return "trademate-fake"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any):  # type: ignore[override]
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        return self.bind(tools=formatted, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append((self.model_name, list(messages), kwargs))
        tools = kwargs.get("tools")
        routed = self.by_tool.get(tools[0]["function"]["name"]) if tools else None
        answer = routed.pop(0) if routed else next(self.messages, "OK")
        if isinstance(answer, Exception):
            raise answer
        usage = {
            "input_tokens": self.prompt_tokens,
            "output_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }
        if tools and isinstance(answer, dict):
            name = tools[0]["function"]["name"]
            call = {"name": name, "args": answer, "id": f"call_{len(self.calls)}"}
            message = AIMessage(content="", tool_calls=[call], usage_metadata=usage)
        else:
            text = answer if isinstance(answer, str) else json.dumps(answer)
            message = AIMessage(content=text, usage_metadata=usage)
        message.response_metadata["model_name"] = self.model_name
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.delay:
            await asyncio.sleep(self.delay)
        return self._generate(messages, stop=stop, **kwargs)


class FakeModels:
    """One :class:`FakeChatModel` per model name, sharing one answer queue and call log, so a
    test can program answers and see which model (main or cheap) each call went to."""

    def __init__(self, answers: Sequence[Answer] = (), *, delay: float = 0.0) -> None:
        self.answers: list[Answer] = list(answers)
        self.by_tool: dict[str, list[Answer]] = {}
        self.calls: list[tuple[str, list[BaseMessage], dict[str, Any]]] = []
        self.delay = delay

    def queue(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def answer(self, tool: str, *answers: Answer) -> None:
        """Answers for calls whose schema is ``tool`` (e.g. "DraftOut"), in order."""
        self.by_tool.setdefault(tool, []).extend(answers)

    def tools_called(self) -> list[str | None]:
        """The schema (tool) name of each call, in order; None for a call without one."""
        return [
            kwargs["tools"][0]["function"]["name"] if kwargs.get("tools") else None
            for _, _, kwargs in self.calls
        ]

    @property
    def factory(self) -> Callable[[str], BaseChatModel]:
        return self._build

    def _build(self, model: str) -> BaseChatModel:
        return FakeChatModel(
            model_name=model,
            messages=self._next(),
            calls=self.calls,
            delay=self.delay,
            by_tool=self.by_tool,
        )

    def _next(self) -> Iterator[Answer]:
        while True:
            yield self.answers.pop(0) if self.answers else "OK"
