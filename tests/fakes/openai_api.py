"""A fake OpenAI Chat Completions API: ``POST /v1/chat/completions`` in the real wire format.

The real ``langchain-openai`` client (and the ``openai`` SDK under it) talks to this server
with ``base_url`` pointed at ``fake.base_url + "/v1"``, so tests exercise our request
building, response parsing and error mapping exactly as against DeepSeek, Qwen or vLLM.

Answers are programmed with :meth:`FakeOpenAI.reply` (``tool=`` keeps one for the requests of
that schema, e.g. "DraftOut", whatever their order). A reply for a structured request is
shaped after what the request asked for: a forced tool call when it carries ``tools``
(``function_calling``), JSON in ``content`` when it carries ``response_format``
(``json_schema`` / ``json_mode``). ``delay`` holds every answer back (timeouts); a wrong
bearer token gets OpenAI's 401; ``fail_next`` (from :class:`FakeAPI`) programs 429/500s.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .base import FakeAPI

DEFAULT_API_KEY = "sk-test-trademate-0123456789"


def error_body(message: str, *, type_: str, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error envelope (what ``fail_next`` should answer with)."""
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


@dataclass
class Reply:
    """One programmed answer. ``text`` is the content (or, for a structured request, the raw
    JSON text of the arguments: give invalid JSON to test parsing failures)."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    include_usage: bool = True


class FakeOpenAI(FakeAPI):
    """Start with ``async with FakeOpenAI() as fake:``; point the client at ``fake.v1_url``."""

    def __init__(self, api_key: str = DEFAULT_API_KEY, *, delay: float = 0.0) -> None:
        self.api_key = api_key
        self.delay = delay
        self._replies: deque[Reply] = deque()
        self._by_tool: dict[str, deque[Reply]] = {}
        self._ids = itertools.count(1)
        super().__init__()

    @property
    def v1_url(self) -> str:
        return f"{self.base_url}/v1"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_post("/chat/completions", self._completions)

    # --- programming answers -------------------------------------------------------------
    def reply(
        self,
        content: str | dict[str, Any] | list[Any],
        *,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        include_usage: bool = True,
        tool: str | None = None,
    ) -> None:
        """Queue one answer; a dict or list is sent as JSON (structured output). With
        ``tool``, it answers only a request for that schema (function or JSON-schema name);
        those are served before the plain queue."""
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        reply = Reply(text, prompt_tokens, completion_tokens, include_usage)
        if tool is None:
            self._replies.append(reply)
        else:
            self._by_tool.setdefault(tool, deque()).append(reply)

    # --- what tests read -----------------------------------------------------------------
    def requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of every chat-completion call, in order."""
        return [c.json for c in self.calls if c.path.endswith("/chat/completions")]

    def models_called(self) -> list[str]:
        return [r["model"] for r in self.requests()]

    def tools_called(self) -> list[str | None]:
        """The schema each request asked for (function or JSON-schema name), in order."""
        return [_schema_name(r) for r in self.requests()]

    # --- the API -------------------------------------------------------------------------
    async def _completions(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            body = error_body(
                "Incorrect API key provided.", type_="invalid_request_error", code="invalid_api_key"
            )
            return web.json_response(body, status=401)
        try:
            payload = json.loads(await request.read())
        except json.JSONDecodeError:
            body = error_body("We could not parse the JSON body.", type_="invalid_request_error")
            return web.json_response(body, status=400)
        if not isinstance(payload.get("messages"), list) or not payload.get("model"):
            body = error_body("'model' and 'messages' are required.", type_="invalid_request_error")
            return web.json_response(body, status=400)
        if payload.get("stream"):
            body = error_body("The fake does not stream.", type_="invalid_request_error")
            return web.json_response(body, status=400)
        if self.delay:
            await asyncio.sleep(self.delay)
        routed = self._by_tool.get(_schema_name(payload) or "")
        if routed:
            reply = routed.popleft()
        else:
            reply = self._replies.popleft() if self._replies else Reply("OK")
        return web.json_response(self._completion(payload, reply))

    def _completion(self, payload: dict[str, Any], reply: Reply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None}
        finish_reason = "stop"
        tool_name = _forced_tool(payload)
        if tool_name is not None:
            n = next(self._ids)
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": f"call_fake{n}",
                    "type": "function",
                    "function": {"name": tool_name, "arguments": reply.text},
                }
            ]
            finish_reason = "tool_calls"
        prompt_chars = sum(len(json.dumps(m, ensure_ascii=False)) for m in payload["messages"])
        # Unless programmed, tokens are estimated the usual way: about 4 characters each.
        prompt_tokens = (
            reply.prompt_tokens if reply.prompt_tokens is not None else max(1, prompt_chars // 4)
        )
        completion_tokens = (
            reply.completion_tokens
            if reply.completion_tokens is not None
            else max(1, len(reply.text) // 4)
        )
        body: dict[str, Any] = {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": payload["model"],
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}
            ],
            "system_fingerprint": None,
        }
        if reply.include_usage:
            body["usage"] = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
        return body


def _forced_tool(payload: dict[str, Any]) -> str | None:
    """The function the request wants called: the named ``tool_choice``, else the first tool
    (a model told "auto" or "required" with one tool calls it), none for ``"none"``."""
    tools = payload.get("tools") or []
    choice = payload.get("tool_choice")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        return choice.get("function", {}).get("name")
    return tools[0]["function"]["name"]


def _schema_name(payload: dict[str, Any]) -> str | None:
    """The structured output a request asks for: its forced tool, else its JSON schema's name
    (json_mode names none)."""
    tool = _forced_tool(payload)
    if tool is not None:
        return tool
    schema = (payload.get("response_format") or {}).get("json_schema") or {}
    return schema.get("name")
