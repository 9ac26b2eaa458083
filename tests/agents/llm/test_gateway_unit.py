"""The gateway with an injected fake chat model (no HTTP), and its config."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from agents.errors import LLMUnavailable
from agents.llm import LLMConfig, LLMConfigError, LLMGateway, ModelPrice, PromptError
from agents.llm.models import model_kwargs
from agents.llm.schemas import ClassificationOut, MemoriesOut
from tests.fakes.chat_model import FakeModels

from .conftest import usage_rows

VARS = {"shop_name": "Acme", "recent_turns": "", "customer_message": "I need 500 pcs"}
MEMORY_VARS = {"known_memories": "", "recent_turns": "", "customer_message": "We are in Lima"}
FAKE = LLMConfig(provider="fake", model="fake-main", cheap_model="fake-cheap")


async def test_no_provider_means_unavailable_and_no_call(make_gateway, org_id):
    models = FakeModels()
    for config in (LLMConfig(), LLMConfig(provider="openai"), LLMConfig(model="gpt-4o-mini")):
        gateway = make_gateway(config, model_factory=models.factory)
        assert not gateway.available
        with pytest.raises(LLMUnavailable, match="no LLM configured"):
            await gateway.text(org_id, "classify", VARS, purpose="classify")
    assert models.calls == []


async def test_the_fake_model_supports_structured_output(make_gateway, org_id, pool):
    models = FakeModels(
        [{"memories": [{"category": "location", "content": "Based in Lima.", "importance": 1.7}]}]
    )
    gateway = make_gateway(FAKE, model_factory=models.factory)
    out = await gateway.structured(
        org_id, "extract_memories", MEMORY_VARS, MemoriesOut, purpose="memory"
    )
    assert out.memories[0].content == "Based in Lima."
    assert out.memories[0].importance == 1.0  # clamped, not refused
    model, messages, kwargs = models.calls[0]
    assert model == "fake-main" and kwargs["tools"][0]["function"]["name"] == "MemoriesOut"
    assert '<data name="customer_message">\nWe are in Lima\n</data>' in messages[1].content
    [row] = await usage_rows(pool, org_id)
    assert (row.feature, row.prompt_tokens, row.completion_tokens) == ("memory", 11, 7)
    assert row.cost == 0  # no price configured for the fake model


async def test_a_provider_exception_is_unavailable_from_the_original(make_gateway, org_id):
    boom = ConnectionResetError("peer went away")
    gateway = make_gateway(FAKE, model_factory=FakeModels([boom]).factory)
    with pytest.raises(LLMUnavailable) as caught:
        await gateway.text(org_id, "classify", VARS, purpose="classify")
    assert caught.value.__cause__ is boom


async def test_the_hard_timeout_bounds_any_model(make_gateway, org_id):
    config = LLMConfig(provider="fake", model="fake-main", timeout_seconds=0.05)
    gateway = make_gateway(config, model_factory=FakeModels(delay=1.0).factory)
    with pytest.raises(LLMUnavailable, match="timeout") as caught:
        await gateway.text(org_id, "classify", VARS, purpose="classify")
    assert isinstance(caught.value.__cause__, TimeoutError)


async def test_an_empty_answer_is_invalid(make_gateway, org_id):
    gateway = make_gateway(FAKE, model_factory=FakeModels(["   "]).factory)
    with pytest.raises(LLMUnavailable, match="invalid output"):
        await gateway.text(org_id, "classify", VARS, purpose="classify")


async def test_wrong_prompt_variables_are_a_bug_not_a_fallback(make_gateway, org_id):
    models = FakeModels()
    gateway = make_gateway(FAKE, model_factory=models.factory)
    with pytest.raises(PromptError, match="missing variables"):
        await gateway.text(org_id, "classify", {"shop_name": "Acme"}, purpose="classify")
    assert models.calls == []


async def test_redis_down_costs_only_the_cache(pool, keys, org_id):
    # Nothing listens on port 1: every cache read and write fails with a RedisError (no
    # retries, to keep the test fast; the cache's own timeout bounds the default retries).
    broken = aioredis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    models = FakeModels(["first", "second"])
    gateway = LLMGateway(FAKE, pool, broken, keys, model_factory=models.factory)
    try:
        assert await gateway.text(org_id, "classify", VARS, purpose="classify") == "first"
        assert await gateway.text(org_id, "classify", VARS, purpose="classify") == "second"
    finally:
        await broken.aclose()


async def test_text_and_structured_requests_never_share_a_cache_entry(make_gateway, org_id):
    models = FakeModels(["not a classification", CLASSIFICATION_DICT])
    gateway = make_gateway(FAKE, model_factory=models.factory)
    assert await gateway.text(org_id, "classify", VARS, purpose="classify")
    out = await gateway.structured(org_id, "classify", VARS, ClassificationOut, purpose="classify")
    assert out.category == "purchase_intent" and len(models.calls) == 2


async def test_a_cache_entry_that_no_longer_fits_the_schema_is_dropped(
    make_gateway, org_id, redis, keys
):
    models = FakeModels([CLASSIFICATION_DICT, CLASSIFICATION_DICT])
    gateway = make_gateway(FAKE, model_factory=models.factory)
    await gateway.structured(org_id, "classify", VARS, ClassificationOut, purpose="classify")
    [key] = [k async for k in redis.scan_iter(match=keys.org(org_id, "llm", "*"))]
    entry = json.loads(await redis.get(key))
    entry["data"]["category"] = "retired-category"
    await redis.set(key, json.dumps(entry))
    out = await gateway.structured(org_id, "classify", VARS, ClassificationOut, purpose="classify")
    assert out.category == "purchase_intent" and len(models.calls) == 2
    assert json.loads(await redis.get(key))["data"]["category"] == "purchase_intent"


CLASSIFICATION_DICT = {
    "category": "purchase_intent",
    "sub_intent": None,
    "confidence": 0.8,
    "sentiment": "neutral",
    "language": "en",
    "urgency": "normal",
    "is_hot_lead": True,
    "lead_score": 70,
}


def test_an_unusable_model_config_fails_at_start_up(pool, redis, keys, monkeypatch):
    with pytest.raises(LLMConfigError, match="no-such-provider"):
        LLMGateway(LLMConfig(provider="no-such-provider", model="m"), pool, redis, keys)
    # OpenAI itself without a key: the SDK's own error, reported as a config error.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LLMConfigError, match="gpt-4o-mini"):
        LLMGateway(LLMConfig(provider="openai", model="gpt-4o-mini"), pool, redis, keys)


def test_config_from_mapping_parses_money_and_refuses_typos():
    config = LLMConfig.from_mapping(
        {
            "provider": "openai",
            "model": "deepseek-chat",
            "daily_budget_usd": "2.50",
            "prices": {"deepseek-chat": {"input_per_1k": 0.00027, "output_per_1k": "0.0011"}},
        }
    )
    assert config.daily_budget_usd == Decimal("2.50")
    price = config.price("deepseek-chat")
    assert price == ModelPrice(Decimal("0.00027"), Decimal("0.0011"))
    assert price.cost(1000, 1000) == Decimal("0.001370")
    assert "sk-secret" not in repr(LLMConfig(api_key="sk-secret"))
    with pytest.raises(LLMConfigError, match="unknown llm config keys: modle"):
        LLMConfig.from_mapping({"modle": "x"})
    with pytest.raises(LLMConfigError, match="input_per_1k"):
        LLMConfig.from_mapping({"prices": {"m": {"input": 1}}})
    with pytest.raises(LLMConfigError, match="structured_method"):
        LLMConfig(structured_method="xml")  # type: ignore[arg-type]


def test_model_kwargs_for_a_compatible_endpoint_and_for_openai_itself():
    compatible = model_kwargs(
        LLMConfig(provider="openai", model="qwen", base_url="http://127.0.0.1:8000/v1")
    )
    assert compatible["api_key"] == "not-needed"  # vLLM/Ollama need none, the SDK wants one
    assert compatible["extra_body"] == {"max_tokens": 800}
    assert compatible["use_responses_api"] is False and compatible["max_retries"] == 0
    native = model_kwargs(LLMConfig(provider="openai", model="gpt-4o-mini", api_key="sk-x"))
    assert native["max_tokens"] == 800 and "base_url" not in native
    assert "use_responses_api" not in native and "extra_body" not in native
