"""The per-org daily budget: main model, cheap model, then offline; the same across processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from agents.errors import LLMUnavailable
from storage.repositories import usage

from .conftest import create_org, openai_config, usage_rows

VARS = {"shop_name": "Acme", "recent_turns": "", "customer_message": "hello"}


async def spend(pool, org_id, cost: str, *, at: datetime | None = None) -> None:
    async with pool.acquire() as conn:
        row_id = await usage.record(conn, org_id, kind="llm", model="qwen-plus", cost=Decimal(cost))
        if at is not None:
            await conn.execute("UPDATE usage_logs SET created_at = $2 WHERE id = $1", row_id, at)


async def test_over_budget_switches_to_the_cheap_model(make_gateway, fake_openai, org_id, pool):
    config = openai_config(fake_openai, daily_budget_usd=Decimal("1.00"), cheap_model="qwen-turbo")
    gateway = make_gateway(config)
    await gateway.text(org_id, "classify", VARS, purpose="draft")
    await spend(pool, org_id, "1.00")
    result = await gateway.run(
        org_id, "classify", {**VARS, "customer_message": "again"}, purpose="draft"
    )
    assert fake_openai.models_called() == ["qwen-plus", "qwen-turbo"]
    assert (result.model, result.budget) == ("qwen-turbo", "cheap_model")
    last = (await usage_rows(pool, org_id))[-1]
    assert last.model == "qwen-turbo"
    assert last.metadata["budget"] == {
        "decision": "cheap_model",
        "spent_usd": str(sum((r.cost for r in (await usage_rows(pool, org_id))[:-1]), Decimal(0))),
        "budget_usd": "1.00",
    }


async def test_over_budget_without_a_cheap_model_is_unavailable(
    make_gateway, fake_openai, org_id, pool
):
    gateway = make_gateway(openai_config(fake_openai, daily_budget_usd=Decimal("0.50")))
    await spend(pool, org_id, "0.50")
    with pytest.raises(LLMUnavailable, match="^budget$"):
        await gateway.text(org_id, "classify", VARS, purpose="draft")
    assert fake_openai.requests() == []


async def test_an_answer_cached_before_the_budget_ran_out_is_still_served(
    make_gateway, fake_openai, org_id, pool
):
    gateway = make_gateway(openai_config(fake_openai, daily_budget_usd=Decimal("0.50")))
    first = await gateway.text(org_id, "classify", VARS, purpose="draft")
    await spend(pool, org_id, "5")
    assert await gateway.text(org_id, "classify", VARS, purpose="draft") == first
    assert len(fake_openai.requests()) == 1


async def test_the_org_quota_overrides_the_configured_budget(make_gateway, fake_openai, pool):
    org_id = await create_org(pool, daily_llm_budget_usd="0.25")
    try:
        config = openai_config(
            fake_openai, daily_budget_usd=Decimal("100"), cheap_model="qwen-turbo"
        )
        gateway = make_gateway(config)
        await spend(pool, org_id, "0.30")
        await gateway.text(org_id, "classify", VARS, purpose="draft")
        assert fake_openai.models_called() == ["qwen-turbo"]
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", org_id)


async def test_yesterdays_spend_does_not_count(make_gateway, fake_openai, org_id, pool):
    gateway = make_gateway(openai_config(fake_openai, daily_budget_usd=Decimal("1")))
    await spend(pool, org_id, "50", at=datetime.now(UTC) - timedelta(days=2))
    await gateway.text(org_id, "classify", VARS, purpose="draft")
    assert fake_openai.models_called() == ["qwen-plus"]


async def test_spend_is_shared_by_every_process(make_gateway, fake_openai, org_id):
    """Two gateways stand for two worker processes: what one spends, the other sees."""
    config = openai_config(fake_openai, daily_budget_usd=Decimal("0.001"), cheap_model="qwen-turbo")
    first, second = make_gateway(config), make_gateway(config)
    fake_openai.reply("expensive", prompt_tokens=10_000, completion_tokens=1_000)
    await first.text(org_id, "classify", VARS, purpose="draft")
    await second.text(org_id, "classify", {**VARS, "customer_message": "other"}, purpose="draft")
    assert fake_openai.models_called() == ["qwen-plus", "qwen-turbo"]


async def test_the_day_is_the_orgs_own(pool, org_id):
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE organizations SET timezone = 'Asia/Shanghai' WHERE id = $1", org_id
        )
        spent = await usage.daily_llm_spend(conn, org_id)
        local_midnight = await conn.fetchval(
            "SELECT date_trunc('day', now() AT TIME ZONE $1) AT TIME ZONE $1", "Asia/Shanghai"
        )
    assert spent.day_start == local_midnight
    assert spent.spent_usd == 0 and spent.quota_budget_usd is None
