"""The staff commands, called directly as the staff bot calls them (real database)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from agents.llm import LLMGateway
from bot.cli_content import open_studio
from bot.settings import load_settings
from bot.staff import commands as registry
from bot.staff.commands import CommandContext, as_list
from storage.repositories import content as repo
from storage.repositories import users
from tests.fakes.openai_api import DEFAULT_API_KEY, FakeOpenAI

registry.load_all()


@pytest.fixture
async def desk(pool, redis, keys, org_id):
    async with pool.acquire() as conn:
        ana = await users.create(conn, org_id, "ana@shop.test", "agent")
    services = SimpleNamespace(pool=pool, redis=redis, keys=keys, settings=load_settings())

    async with open_studio(services) as studio:  # the staff bot opens one with the app

        async def call(name: str, args: str = "", *, button: bool = False):
            table = registry.CALLBACKS if button else registry.COMMANDS
            handler = table[name]
            assert handler.allowed(ana.role)
            ctx = CommandContext(services, org_id, ana, args, extra={"studio": studio})
            return as_list(await handler.handler(ctx))

        yield SimpleNamespace(call=call, ana=ana, pool=pool, org_id=org_id)


def buttons(reply) -> dict[str, str]:
    return {b.text.split()[-1]: b.callback_data for row in reply.buttons for b in row}


async def test_content_caption_answers_one_card_per_variant_with_buttons(desk):
    replies = await desk.call("content", "caption BTL-500 instagram es")
    head, *cards = replies
    assert "caption variant(s) for instagram (es" in head.text and "offline" in head.text
    assert len(cards) == 3  # content.default_variants
    for card in cards:
        assert "12.50 USD" in card.text
        assert set(buttons(card)) == {"Approve", "Regenerate", "Localize"}
        assert all(len(data.encode()) <= 64 for data in buttons(card).values())


async def test_hooks_with_a_count_and_script_with_a_duration(desk):
    head, *hooks = await desk.call("hooks", "BTL-500 10")
    assert len(hooks) == 10 and len({h.text for h in hooks}) == 10
    assert "Localize" not in buttons(hooks[0])  # hooks are generated per language
    head, script, *_ = await desk.call("script", "BTL-500 tiktok 30s")
    assert "[hook," in script.text and "[cta," in script.text
    async with desk.pool.acquire() as conn:
        request = await conn.fetchrow(
            "SELECT * FROM content_requests WHERE org_id = $1 AND kind = 'script'", desk.org_id
        )
    assert request["platform"] == "tiktok" and request["params"] == {"seconds": 30}
    assert request["source"] == "bot" and request["created_by"] == desk.ana.id


async def test_approve_regenerate_and_localize_buttons(desk):
    _, card, *_ = await desk.call("content", "caption BTL-500 instagram en")
    data = buttons(card)
    [approved] = await desk.call("content", data["Approve"].split(":", 1)[1], button=True)
    assert "Approved" in approved.text
    [again] = await desk.call("content", data["Approve"].split(":", 1)[1], button=True)
    assert "Not approved" in again.text
    async with desk.pool.acquire() as conn:
        library = await repo.approved_examples(conn, desk.org_id, "caption", "en")
    assert len(library) == 1
    [listed] = await desk.call("library")
    assert card.text.splitlines()[1][:60] in listed.text and listed.text.count("• caption") == 1

    regenerated = await desk.call("content", data["Regenerate"].split(":", 1)[1], button=True)
    assert len(regenerated) == 4 and regenerated[1].text != card.text

    [markets] = await desk.call("content", data["Localize"].split(":", 1)[1], button=True)
    us = buttons(markets)["US"]
    [local] = await desk.call("content", us.split(":", 1)[1], button=True)
    assert local.text.startswith("US version:") and "16.9 fl oz" in local.text
    de = buttons(markets)["DE"]
    [offline] = await desk.call("content", de.split(":", 1)[1], button=True)
    assert "offline translation from en to de is not available" in offline.text


async def test_bad_input_gets_usage_not_a_crash(desk):
    [reply] = await desk.call("content", "poem BTL-500")
    assert reply.text.startswith("usage: /content caption")
    [reply] = await desk.call("hooks", "NOPE 3")
    assert "product not found" in reply.text
    [reply] = await desk.call("content", "x:not-a-uuid", button=True)
    assert "out of date" in reply.text


async def test_the_apps_studio_converts_with_the_quotes_rate_base(pool, redis, keys, monkeypatch):
    monkeypatch.setenv("TRADEMATE__QUOTES__RATE_BASE", "CNY")
    services = SimpleNamespace(pool=pool, redis=redis, keys=keys, settings=load_settings())
    async with open_studio(services) as studio:
        assert studio.config.rates.base == "CNY"
        assert studio.config.rates.per_base == {
            k.upper(): Decimal(v) for k, v in services.settings.quotes.rates.items()
        }


HOOK = {"text": "AquaFlask 500: cold for 24 hours.", "hook_type": "fact", "emotion": None}


async def test_with_an_llm_the_commands_share_the_apps_one_gateway(
    pool, redis, keys, org_id, monkeypatch
):
    async with FakeOpenAI() as fake:
        for name, value in {
            "PROVIDER": "openai",
            "MODEL": "qwen-plus",
            "BASE_URL": fake.v1_url,
            "API_KEY": DEFAULT_API_KEY,
            "CACHE_TTL_SECONDS": "0",
        }.items():
            monkeypatch.setenv(f"TRADEMATE__LLM__{name}", value)
        services = SimpleNamespace(pool=pool, redis=redis, keys=keys, settings=load_settings())
        async with pool.acquire() as conn:
            ana = await users.create(conn, org_id, "ana-llm@shop.test", "agent")
        async with open_studio(services) as studio:
            built = []
            init = LLMGateway.__init__
            monkeypatch.setattr(
                LLMGateway, "__init__", lambda self, *a, **k: built.append(init(self, *a, **k))
            )
            for _ in range(2):
                fake.reply({"hooks": [HOOK]})
                ctx = CommandContext(services, org_id, ana, "BTL-500 1", extra={"studio": studio})
                head, hook = as_list(await registry.COMMANDS["hooks"].handler(ctx))
                assert "llm" in head.text and "AquaFlask 500" in hook.text
            assert len(fake.requests()) == 2 and built == []  # no gateway per command
        assert studio.llm.gateway._models == {}  # closed with the studio
