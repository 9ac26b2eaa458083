"""The LLM gateway: the one door between the agent core and any chat model.

A call names a prompt template and its variables, never raw prompt text, and is made for one
organization (``org_id`` always comes from our code, never from a model). Around the model
call the gateway adds what every caller needs and none should re-implement:

* a Redis cache of identical requests (per org), served at zero cost;
* the per-org daily budget: main model, then the cheap model, then none;
* a hard timeout, and *every* failure — timeout, HTTP error, refusal, output that does not
  fit the schema — raised as :class:`agents.errors.LLMUnavailable` (chained to the cause),
  so the caller falls back to the offline engine;
* a ``usage_logs`` row per call with tokens, cost, model, prompt name and version.

Structured output uses langchain's ``with_structured_output(schema, include_raw=True)``
(``include_raw`` keeps the raw message, hence its token usage). The method comes from the
config: ``function_calling`` (default; a forced tool call, which DeepSeek, Qwen, vLLM and
Ollama all serve), ``json_schema`` (OpenAI's strict structured outputs) or ``json_mode``
(``{"type": "json_object"}``; the schema is then added to the system message).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import redis.asyncio as aioredis
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ValidationError

from agents.errors import LLMUnavailable
from storage.redis_client import Keys

from . import budget
from .accounting import Call, LLMResult, Spend, UsageRecorder
from .cache import CachedAnswer, ResponseCache
from .config import LLMConfig, LLMConfigError
from .models import ChatModelFactory, default_model_factory
from .prompts import RenderedPrompt, load_prompt

log = logging.getLogger(__name__)

S = TypeVar("S", bound=BaseModel)

# Format instruction for json_mode only: that mode constrains the output to *some* JSON
# object, so the model must be told which one. Plumbing, not product wording.
_JSON_MODE_INSTRUCTION = (
    "Answer with one JSON object, and nothing else, that validates against this JSON Schema:"
)


class LLMGateway:
    """Calls named prompts on the configured model for one org at a time.

    ``model_factory`` builds a chat model per model name; the default uses langchain's
    ``init_chat_model`` (tests inject a fake). Construction builds the configured models
    once, so an unknown provider or a missing integration package fails at start-up.
    """

    def __init__(
        self,
        config: LLMConfig,
        pool: asyncpg.Pool,
        redis: aioredis.Redis,
        keys: Keys,
        *,
        model_factory: ChatModelFactory | None = None,
        prompts_dir: Path | None = None,
    ) -> None:
        self.config = config
        self._pool = pool
        self._cache = ResponseCache(redis, keys, config.cache_ttl_seconds)
        self._factory = model_factory or default_model_factory(config)
        self._prompts_dir = prompts_dir
        self._usage = UsageRecorder(pool, config)
        self._models: dict[str, BaseChatModel] = {}
        if self.available:
            for name in filter(None, (config.model, config.cheap_model)):
                self._model(name)

    @property
    def available(self) -> bool:
        """False when no provider/model is configured: callers use the offline engine."""
        return self.config.configured

    async def structured(
        self,
        org_id: uuid.UUID,
        prompt_name: str,
        variables: Mapping[str, object],
        schema: type[S],
        *,
        purpose: str,
        entity_type: str | None = None,
        entity_id: uuid.UUID | None = None,
    ) -> S:
        """The model's answer parsed into ``schema``; raises :class:`LLMUnavailable`."""
        result = await self.run(
            org_id,
            prompt_name,
            variables,
            schema=schema,
            purpose=purpose,
            entity_type=entity_type,
            entity_id=entity_id,
        )
        return result.value

    async def text(
        self,
        org_id: uuid.UUID,
        prompt_name: str,
        variables: Mapping[str, object],
        *,
        purpose: str,
        entity_type: str | None = None,
        entity_id: uuid.UUID | None = None,
    ) -> str:
        """The model's answer as text; raises :class:`LLMUnavailable`."""
        result = await self.run(
            org_id,
            prompt_name,
            variables,
            purpose=purpose,
            entity_type=entity_type,
            entity_id=entity_id,
        )
        return result.value

    async def run(
        self,
        org_id: uuid.UUID,
        prompt_name: str,
        variables: Mapping[str, object],
        *,
        purpose: str,
        schema: type[BaseModel] | None = None,
        entity_type: str | None = None,
        entity_id: uuid.UUID | None = None,
    ) -> LLMResult:
        """One call with its provenance (model, prompt version, tokens, cost, cache hit).

        ``purpose`` (classify, draft, memory, quote, ...) becomes ``usage_logs.feature``;
        ``entity_type``/``entity_id`` point the usage row at what caused it. A prompt
        rendered with wrong variables raises :class:`PromptError` — a bug in the caller, not
        a model failure, so it is not turned into a silent fallback.
        """
        if not self.available or not self.config.model:
            raise LLMUnavailable("no LLM configured")
        if not isinstance(org_id, uuid.UUID):
            raise TypeError(f"org_id must be a UUID, got {type(org_id).__name__}")
        prompt = load_prompt(prompt_name, self._prompts_dir).render(variables)
        messages = self._messages(prompt, schema)
        call = Call(org_id, purpose, prompt, schema, messages, entity_type, entity_id)
        main = self.config.model
        key = self._cache.key(org_id, self.config, main, prompt, call.messages, schema)
        hit = await self._from_cache(call, key, main, None)
        if hit is not None:
            return hit
        decision = await budget.decide(self._pool, self.config, org_id, purpose=purpose)
        if decision.model != main:
            key = self._cache.key(
                org_id, self.config, decision.model, prompt, call.messages, schema
            )
            hit = await self._from_cache(call, key, decision.model, decision)
            if hit is not None:
                return hit
        return await self._call_model(call, key, decision)

    async def aclose(self) -> None:
        """Drop the chat models. Their HTTP clients are langchain-openai's process-wide
        cached ones (shared by every instance with the same endpoint), so they are not
        closed here; they go with the process."""
        self._models.clear()

    # --- steps ---------------------------------------------------------------------------
    async def _from_cache(
        self, call: Call, key: str, model: str, decision: budget.BudgetDecision | None
    ) -> LLMResult | None:
        answer = await self._cache.get(key)
        if answer is None:
            return None
        value: Any
        try:
            value = answer.text if call.schema is None else call.schema.model_validate(answer.data)
        except ValidationError:
            value = None
        if value is None:
            call.warn(model, "cache entry %s no longer fits: dropped", key)
            await self._cache.forget(key)
            return None
        spend = Spend(model, cached=True, decision=decision)
        saved = {
            "saved_prompt_tokens": answer.prompt_tokens,
            "saved_completion_tokens": answer.completion_tokens,
        }
        await self._usage.record(call, spend, saved)
        log.info(
            "org=%s purpose=%s prompt=%s model=%s llm answer from cache",
            call.org_id,
            call.purpose,
            call.prompt.name,
            model,
        )
        return spend.result(call, value)

    async def _call_model(self, call: Call, key: str, decision: budget.BudgetDecision) -> LLMResult:
        model = decision.model
        raw, value, error = await self._invoke(call, decision)
        usage_meta = getattr(raw, "usage_metadata", None) or {}
        prompt_tokens = int(usage_meta.get("input_tokens") or 0)
        completion_tokens = int(usage_meta.get("output_tokens") or 0)
        cost = self._usage.cost(model, prompt_tokens, completion_tokens)
        spend = Spend(model, prompt_tokens, completion_tokens, cost, decision=decision)
        if error is not None or value is None or value == "":
            # The tokens were paid for all the same: account for them, then fall back.
            detail = str(error or "empty or unparseable answer")
            await self._usage.record(
                call, spend, {"error": "invalid_output", "detail": detail[:500]}
            )
            call.warn(model, "invalid output: %s", detail)
            raise LLMUnavailable("invalid output") from error
        data = value.model_dump(mode="json") if isinstance(value, BaseModel) else None
        text = value if isinstance(value, str) else None
        # Cached before accounting, so a retry after a failed usage write costs nothing.
        await self._cache.set(
            key, CachedAnswer(model, text, data, prompt_tokens, completion_tokens)
        )
        extra: dict[str, Any] = {"usage_reported": bool(usage_meta)}
        if not usage_meta:
            call.warn(model, "reported no token usage: accounted at 0")
        if raw is not None:
            extra["response_model"] = raw.response_metadata.get("model_name")
        await self._usage.record(call, spend, extra)
        return spend.result(call, value)

    async def _invoke(
        self, call: Call, decision: budget.BudgetDecision
    ) -> tuple[AIMessage | None, Any, BaseException | None]:
        """(raw message, parsed value, parsing error) — or LLMUnavailable for a failed call."""
        model = decision.model
        messages = _to_langchain(call.messages)
        try:
            chat = self._model(model)
            # The client has the same timeout, but only per HTTP attempt; this one bounds the
            # whole call, whatever the provider's client does.
            async with asyncio.timeout(self.config.timeout_seconds):
                if call.schema is None:
                    raw = await chat.ainvoke(messages)
                    return raw, str(raw.text).strip(), None
                runnable = chat.with_structured_output(
                    call.schema, method=self.config.structured_method, include_raw=True
                )
                out = await runnable.ainvoke(messages)
        except TimeoutError as err:
            call.warn(model, "timed out after %ss", self.config.timeout_seconds)
            raise LLMUnavailable("timeout") from err
        except Exception as err:
            # Any provider's client may raise anything (openai, httpx, anthropic, langchain
            # and pydantic errors share no base class); each means the same here: offline.
            call.warn(model, "failed: %s: %s", type(err).__name__, err)
            invalid = isinstance(err, (ValidationError, OutputParserException))
            tokens = _usage_from_error(err)
            if tokens is not None:
                cost = self._usage.cost(model, *tokens)
                spend = Spend(model, *tokens, cost, decision=decision)
                detail = {"error": "invalid_output" if invalid else type(err).__name__}
                await self._usage.record(call, spend, detail)
            reason = "invalid output" if invalid else f"{type(err).__name__}: {err}"
            raise LLMUnavailable(reason) from err
        parsed = out.get("parsed")
        # A forced tool call with unparseable arguments comes back as parsed=None and no
        # parsing error at all (langchain-openai 1.x), hence the isinstance check.
        if parsed is not None and not isinstance(parsed, call.schema):
            parsed = None
        return out.get("raw"), parsed, out.get("parsing_error")

    # --- helpers -------------------------------------------------------------------------
    def _model(self, name: str) -> BaseChatModel:
        model = self._models.get(name)
        if model is None:
            try:
                model = self._factory(name)
            except Exception as err:
                # Each provider fails in its own way: ImportError (package missing),
                # ValueError (bad argument), openai.OpenAIError (no API key), ...
                raise LLMConfigError(
                    f"cannot build chat model {name!r} for provider {self.config.provider!r}: {err}"
                ) from err
            self._models[name] = model
        return model

    def _messages(
        self, prompt: RenderedPrompt, schema: type[BaseModel] | None
    ) -> list[tuple[str, str]]:
        messages = list(prompt.messages)
        if schema is not None and self.config.structured_method == "json_mode":
            spec = json.dumps(schema.model_json_schema(), ensure_ascii=False)
            instruction = f"{_JSON_MODE_INSTRUCTION}\n{spec}"
            if messages and messages[0][0] == "system":
                messages[0] = ("system", f"{messages[0][1]}\n\n{instruction}")
            else:
                messages.insert(0, ("system", instruction))
        return messages


def _to_langchain(messages: Sequence[tuple[str, str]]) -> list[BaseMessage]:
    return [
        SystemMessage(text) if role == "system" else HumanMessage(text) for role, text in messages
    ]


def _usage_from_error(err: BaseException) -> tuple[int, int] | None:
    """Tokens of a call that failed *after* the answer arrived, when the error carries it.

    With ``json_schema`` the openai SDK validates the answer itself and raises before
    langchain sees a message; langchain-openai attaches the HTTP response to that error, and
    its body still reports what was consumed (and paid for).
    """
    response = getattr(err, "response", None)
    try:
        body = response.json() if response is not None else None
    except (AttributeError, TypeError, ValueError):
        return None
    found = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(found, dict):
        return None
    return int(found.get("prompt_tokens") or 0), int(found.get("completion_tokens") or 0)
