"""The LLM path through a fake chat model with structured output: used when it answers
well, checked like offline output (a reply breaking a rule is caught and regenerated), and
replaced by the offline engine when it fails."""

from __future__ import annotations

import pytest

from agents.content import actions
from agents.content.llm import LLMEngine
from agents.content.outcome import ContentRequest
from agents.content.studio import Studio
from agents.llm import LLMConfig, LLMGateway
from storage.repositories import content as repo
from storage.repositories import usage
from tests.fakes.chat_model import FakeModels

from .conftest import config


def hooks_out(*texts: str, hook_type: str = "fact") -> dict:
    return {"hooks": [{"text": t, "hook_type": hook_type, "emotion": None} for t in texts]}


@pytest.fixture
def models() -> FakeModels:
    return FakeModels()


@pytest.fixture
def llm_studio(pool, redis, keys, models) -> Studio:
    gateway = LLMGateway(
        LLMConfig(provider="openai", model="fake-model", timeout_seconds=5.0, cache_ttl_seconds=0),
        pool,
        redis,
        keys,
        model_factory=models.factory,
    )
    return Studio(pool, config(), LLMEngine(gateway, "Test Shop"))


def prompt_text(models: FakeModels, call: int = 0) -> str:
    return "\n".join(str(m.content) for m in models.calls[call][1])


async def test_good_llm_hooks_are_used_with_their_prompt_version_and_usage(
    pool, llm_studio, models, org_id
):
    models.queue(
        hooks_out("AquaFlask 500 keeps drinks cold for 24 hours.", "Leak-proof lid, 500 ml.")
    )
    outcome = await llm_studio.generate(
        org_id, ContentRequest("hook", "BTL-500", "instagram", "en", n=2, seed=1)
    )
    assert outcome.engine == "llm"
    assert [s.variant.text for s in outcome.shown] == [
        "AquaFlask 500 keeps drinks cold for 24 hours.",
        "Leak-proof lid, 500 ml.",
    ]
    prompt = prompt_text(models)
    assert '<data name="product">' in prompt and "Keeps drinks cold for 24 hours" in prompt
    async with pool.acquire() as conn:
        [stored, _] = await repo.request_variants(conn, org_id, outcome.request_id)
        version = await conn.fetchval(
            "SELECT name FROM llm_prompt_versions WHERE id = $1", stored.prompt_version_id
        )
        [entry] = await usage.for_org(conn, org_id)
    assert version == "content_hooks" and stored.engine == "llm"
    assert entry.feature == "content" and entry.prompt_tokens > 0


async def test_a_model_reply_that_breaks_a_rule_is_caught_and_regenerated_once(
    pool, llm_studio, models, org_id
):
    models.queue(
        hooks_out("AquaFlask 500: 100% guaranteed cold for 24 hours!", "Leak-proof lid."),
        # The regeneration, told what was wrong; now at an invented price.
        hooks_out("AquaFlask 500, only 9.99 USD today!"),
    )
    outcome = await llm_studio.generate(
        org_id, ContentRequest("hook", "BTL-500", "instagram", "en", n=2, seed=1)
    )
    statuses = {s.variant.text: s.status for s in outcome.variants}
    assert statuses["AquaFlask 500: 100% guaranteed cold for 24 hours!"] == "blocked"
    assert statuses["AquaFlask 500, only 9.99 USD today!"] == "blocked"
    assert [s.variant.text for s in outcome.shown] == ["Leak-proof lid."]
    assert "absolute guarantee" in prompt_text(models, 1)  # the feedback reached the model
    async with pool.acquire() as conn:
        first = next(s for s in outcome.variants if "guaranteed" in s.variant.text)
        second = next(s for s in outcome.variants if "9.99" in s.variant.text)
        [hit1] = await repo.violations(conn, org_id, "hooks", first.id)
        [hit2] = await repo.violations(conn, org_id, "hooks", second.id)
    assert (hit1["rule_code"], hit1["resolution"]) == ("absolute_guarantee", "regenerated")
    assert (hit2["rule_code"], hit2["resolution"]) == ("invented_price", "blocked")
    assert len(models.calls) == 2  # regenerated once, not in a loop


async def test_a_failing_model_falls_back_to_the_offline_engine(llm_studio, models, org_id):
    models.queue(RuntimeError("provider is down"))
    outcome = await llm_studio.generate(
        org_id, ContentRequest("caption", "BTL-500", "instagram", "en", n=2, seed=1)
    )
    assert outcome.engine == "offline" and len(outcome.shown) == 2
    assert any("LLM unavailable" in note for note in outcome.notes)


async def test_approved_pieces_are_examples_for_later_generations(llm_studio, models, org_id):
    models.queue(hooks_out("Leak-proof lid, 500 ml."))
    first = await llm_studio.generate(
        org_id, ContentRequest("hook", "BTL-500", "instagram", "en", n=1, seed=1)
    )
    assert await actions.approve(llm_studio, org_id, first.shown[0].id, None)
    models.queue(hooks_out("AquaFlask 500: 304 stainless steel."))
    await llm_studio.generate(
        org_id, ContentRequest("hook", "BTL-500", "instagram", "en", n=1, seed=2)
    )
    examples = prompt_text(models, 1).split('<data name="examples">')[1].split("</data>")[0]
    assert "Leak-proof lid, 500 ml." in examples


async def test_llm_localization_keeps_glossary_terms_and_converts_prices(
    pool, studio, llm_studio, models, org_id
):
    async with pool.acquire() as conn:
        await repo.add_glossary_term(conn, org_id, "AquaFlask")
        await repo.add_glossary_term(
            conn,
            org_id,
            "Leak-proof lid",
            rule="translate",
            translation="Tapa antigoteo",
            target_language="es",
        )
    original = await studio.generate(
        org_id, ContentRequest("caption", "BTL-500", "instagram", "en", n=1, seed=8)
    )
    # The model lower-cases the brand and leaves the term untranslated: our code fixes both.
    models.queue(
        {
            "title": None,
            "body": "La aquaflask 500 mantiene el frío 24 horas. Leak-proof lid. 12.50 USD",
            "call_to_action": "Escríbenos para pedir.",
            "hashtags": ["#AquaFlask"],
            "scenes": [],
        }
    )
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO cultural_params (org_id, market, language, currency) "
            "VALUES ($1, 'ES', 'es', 'EUR')",
            org_id,
        )
    local = await actions.localize(llm_studio, org_id, original.shown[0].id, "ES")
    text = local.variant.text
    assert "AquaFlask 500" in text and "Tapa antigoteo" in text and "Leak-proof" not in text
    assert "11.50 EUR" in text  # 12.50 USD x 0.92, converted by our code
    assert local.status == "draft" and local.violations == []
    glossary = prompt_text(models).split('<data name="glossary">')[1]
    assert "Tapa antigoteo" in glossary


async def test_llm_localization_that_drops_a_kept_term_is_caught(
    pool, studio, llm_studio, models, org_id
):
    async with pool.acquire() as conn:
        await repo.add_glossary_term(conn, org_id, "AquaFlask")
    original = await studio.generate(
        org_id, ContentRequest("caption", "BTL-500", "instagram", "en", n=1, seed=8)
    )
    models.queue(
        {
            "title": None,
            "body": "La botella mantiene el frío 24 horas.",
            "call_to_action": "Escríbenos.",
            "hashtags": [],
            "scenes": [],
        }
    )
    local = await actions.localize(llm_studio, org_id, original.shown[0].id, "MX")
    assert local.status == "blocked"
    assert {v.rule_code for v in local.violations} == {"glossary_keep"}


def scene(purpose: str, seconds: float, text: str) -> dict:
    return {
        "purpose": purpose,
        "duration_seconds": seconds,
        "visual": "Close-up of the bottle",
        "on_screen_text": text,
        "voiceover": text,
    }


def script_out(*durations: float) -> dict:
    scenes = [scene("hook", durations[0], "AquaFlask 500")]
    scenes += [scene("body", d, "Keeps drinks cold for 24 hours") for d in durations[1:-1]]
    scenes.append(scene("cta", durations[-1], "Message us to order."))
    return {
        "scripts": [
            {"title": "AquaFlask 500", "narrative_template": "AIDA", "scenes": scenes},
        ]
    }


async def test_an_llm_script_longer_than_the_platform_allows_is_caught(
    pool, llm_studio, models, org_id
):
    models.queue(script_out(10, 40, 25), script_out(5, 20, 5))  # 75s on TikTok, then 30s
    outcome = await llm_studio.generate(
        org_id, ContentRequest("script", "BTL-500", "tiktok", "en", n=1, seed=1, seconds=30)
    )
    [blocked] = [s for s in outcome.variants if s.status == "blocked"]
    assert {v.rule_code for v in blocked.violations} == {"tiktok_video_max_60s"}
    [shown] = outcome.shown
    assert shown.variant.duration_seconds == 30 and shown.status == "draft"
    async with pool.acquire() as conn:
        scenes = await repo.scenes(conn, org_id, shown.id)
    assert [s.purpose for s in scenes] == ["hook", "body", "cta"]


async def test_an_llm_caption_over_the_hashtag_limit_is_caught(llm_studio, models, org_id):
    too_many = [f"#tag{i}" for i in range(31)]
    caption = {"body": "AquaFlask 500, 500 ml.", "call_to_action": "Message us."}
    models.queue(
        {"captions": [caption | {"hashtags": too_many}]},
        {"captions": [caption | {"hashtags": ["#AquaFlask"]}]},
    )
    outcome = await llm_studio.generate(
        org_id, ContentRequest("caption", "BTL-500", "instagram", "en", n=1, seed=1)
    )
    [blocked] = [s for s in outcome.variants if s.status == "blocked"]
    assert {v.rule_code for v in blocked.violations} == {"instagram_hashtags_max_30"}
    assert [s.variant.hashtags for s in outcome.shown] == [["#AquaFlask"]]
