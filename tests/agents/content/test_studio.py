"""The studio against the real database: stored, ranked, checked, with prompt versions."""

from __future__ import annotations

import pytest

from agents.content import actions
from agents.content.errors import TranslationUnavailable
from agents.content.outcome import ContentRequest
from storage.errors import NotFound
from storage.repositories import content as repo
from storage.repositories import organizations, prompt_versions


def count_calls(monkeypatch, module, *names: str) -> dict[str, int]:
    """Count calls of the module's functions (they still run, on the real database)."""
    counts = dict.fromkeys(names, 0)
    for name in names:
        real = getattr(module, name)

        async def counted(*args, _name=name, _real=real, **kwargs):
            counts[_name] += 1
            return await _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return counts


async def test_hooks_are_stored_ranked_with_their_prompt_version(pool, studio, org_id):
    outcome = await studio.generate(
        org_id, ContentRequest("hook", "BTL-500", "instagram", "en", n=5, seed=11)
    )
    assert outcome.engine == "offline" and len(outcome.shown) == 5
    assert [s.rank for s in outcome.shown] == [1, 2, 3, 4, 5]
    scores = [s.variant.score for s in outcome.shown]
    assert scores == sorted(scores, reverse=True)
    async with pool.acquire() as conn:
        request = await repo.get_request(conn, org_id, outcome.request_id)
        stored = await repo.request_variants(conn, org_id, outcome.request_id)
        version = await conn.fetchrow(
            "SELECT name, template FROM llm_prompt_versions WHERE id = $1",
            stored[0].prompt_version_id,
        )
    assert request.seed == 11 and request.n_variants == 5 and request.engine == "offline"
    assert {v.text for v in stored} == {s.variant.text for s in outcome.shown}
    assert {v.status for v in stored} <= {"draft", "flagged"}
    assert version["name"] == "content_offline" and "{name}" in version["template"]


async def test_same_seed_same_pieces(studio, org_id):
    req = ContentRequest("caption", "BTL-500", "tiktok", "es", n=3, seed=5)
    first = await studio.generate(org_id, req)
    second = await studio.generate(org_id, req)
    assert [s.variant.text for s in first.shown] == [s.variant.text for s in second.shown]


async def test_a_script_is_stored_with_its_scenes_in_order(pool, studio, org_id):
    outcome = await studio.generate(
        org_id, ContentRequest("script", "BTL-500", "tiktok", "en", n=2, seed=3, seconds=30)
    )
    shown = outcome.shown[0]
    async with pool.acquire() as conn:
        scenes = await repo.scenes(conn, org_id, shown.id)
        row = await repo.find_variant(conn, org_id, shown.id)
    assert [s.purpose for s in scenes][0] == "hook" and scenes[-1].purpose == "cta"
    assert sum(s.duration_seconds for s in scenes) == 30 == row.duration_seconds
    assert row.narrative_template in {"PAS", "AIDA", "4U"}


async def test_a_blocked_variant_is_stored_with_its_violation_and_regenerated(pool, studio, org_id):
    async with pool.acquire() as conn:
        # The merchant banned the word in the first selling point: every variant using it is
        # blocked (and stored with the reason), the slot refilled by the next variant.
        await repo.add_rule(conn, org_id, "banned_term", "cold")
    outcome = await studio.generate(
        org_id, ContentRequest("hook", "BTL-500", "instagram", "en", n=10, seed=11)
    )
    blocked = [s for s in outcome.variants if s.status == "blocked"]
    assert blocked and all("cold" in s.variant.text.lower() for s in blocked)
    assert all("cold" not in s.variant.text.lower() for s in outcome.shown)
    async with pool.acquire() as conn:
        hits = await repo.violations(conn, org_id, "hooks", blocked[0].id)
    assert hits[0]["kind"] == "banned_term" and hits[0]["resolution"] in {"regenerated", "blocked"}
    assert hits[0]["rule_id"] is not None and hits[0]["matched_text"] == "cold"


async def test_a_product_without_a_price_gets_no_price(studio, org_id):
    outcome = await studio.generate(
        org_id, ContentRequest("caption", "MUG-1", "instagram", "en", n=3, seed=1)
    )
    assert outcome.shown
    for shown in outcome.shown:
        assert "USD" not in shown.variant.text and "Price" not in shown.variant.text


async def test_generating_for_a_market_converts_and_adds_its_disclaimer(studio, org_id):
    outcome = await studio.generate(
        org_id, ContentRequest("caption", "BTL-500", "instagram", "pt", market="BR", n=2, seed=2)
    )
    for shown in outcome.shown:
        text = shown.variant.text
        assert "67.50 BRL" in text and "USD" not in text  # 12.50 USD x 5.40
        assert "Imagens meramente ilustrativas." in text
        assert shown.violations == []


async def test_market_prices_use_the_orgs_own_quote_rates(pool, studio, org_id):
    # The org's settings["quotes"] rates win over config.yaml's, as on its quotations.
    async with pool.acquire() as conn:
        await organizations.update_settings(conn, org_id, {"quotes": {"rates": {"BRL": "6"}}})
    outcome = await studio.generate(
        org_id, ContentRequest("caption", "BTL-500", "instagram", "pt", market="BR", n=2, seed=2)
    )
    for shown in outcome.shown:
        assert "75.00 BRL" in shown.variant.text  # 12.50 USD x 6
        assert shown.violations == []  # the converted price is trusted, not a made-up one


async def test_an_unknown_product_is_not_found(studio, org_id):
    with pytest.raises(NotFound):
        await studio.generate(org_id, ContentRequest("hook", "NOPE", "instagram", "en"))


async def test_approve_keeps_the_piece_in_the_library(pool, studio, org_id):
    outcome = await studio.generate(
        org_id, ContentRequest("caption", "BTL-500", "instagram", "en", n=2, seed=4)
    )
    best = outcome.shown[0]
    assert await actions.approve(studio, org_id, best.id, None) is True
    assert await actions.approve(studio, org_id, best.id, None) is False  # decided already
    async with pool.acquire() as conn:
        library = await repo.approved_examples(conn, org_id, "caption", "en")
    assert library == [best.variant.text]


async def test_regenerate_makes_a_new_request_with_the_next_seed(pool, studio, org_id):
    first = await studio.generate(
        org_id, ContentRequest("hook", "BTL-500", "instagram", "en", n=3, seed=20)
    )
    again = await actions.regenerate(studio, org_id, first.shown[0].id)
    assert again.request_id != first.request_id and again.seed == 21
    assert [s.variant.text for s in again.shown] != [s.variant.text for s in first.shown]


async def test_localize_in_the_same_language_adapts_units_prices_and_glossary(
    pool, studio, org_id, monkeypatch
):
    async with pool.acquire() as conn:
        await repo.add_glossary_term(conn, org_id, "AquaFlask")
    outcome = await studio.generate(
        org_id, ContentRequest("caption", "BTL-500", "instagram", "en", n=1, seed=8)
    )
    reads = count_calls(monkeypatch, repo, "market_params", "glossary")
    local = await actions.localize(studio, org_id, outcome.shown[0].id, "US")
    assert reads == {"market_params": 1, "glossary": 1}  # each read once per localization
    assert "16.9 fl oz" in local.variant.text and "500 ml" not in local.variant.text
    assert "12.50 USD" in local.variant.text and "AquaFlask 500" in local.variant.text
    async with pool.acquire() as conn:
        row = await repo.find_variant(conn, org_id, local.id)
    assert row.localized_from_id == outcome.shown[0].id and row.market == "US"


async def test_offline_translation_is_not_available_with_a_clear_message(studio, org_id):
    outcome = await studio.generate(
        org_id, ContentRequest("caption", "BTL-500", "instagram", "en", n=1, seed=8)
    )
    with pytest.raises(TranslationUnavailable, match="configure an LLM.*--lang de"):
        await actions.localize(studio, org_id, outcome.shown[0].id, "DE")


async def test_org_a_cannot_touch_org_b_pieces(pool, studio, org_id):
    outcome = await studio.generate(
        org_id, ContentRequest("hook", "BTL-500", "instagram", "en", n=1, seed=1)
    )
    import uuid

    with pytest.raises(NotFound):
        await actions.approve(studio, uuid.uuid4(), outcome.shown[0].id, None)


async def test_when_no_candidate_is_left_a_blocked_slot_says_blocked_not_regenerated(
    pool, studio, org_id
):
    async with pool.acquire() as conn:
        # Every offline caption lists the specs: nothing can replace a blocked one.
        await repo.add_rule(conn, org_id, "banned_term", "volume")
    outcome = await studio.generate(
        org_id, ContentRequest("caption", "MUG-1", "instagram", "en", n=10, seed=1)
    )
    assert outcome.shown == [] and outcome.variants
    async with pool.acquire() as conn:
        for shown in outcome.variants:
            [hit] = await repo.violations(conn, org_id, "content_pieces", shown.id)
            assert (hit["kind"], hit["resolution"]) == ("banned_term", "blocked")


async def test_a_decision_from_any_front_end_is_audited_once(pool, studio, org_id):
    """Regression: the bot's Approve wrote no audit entry (only the web inbox did)."""
    outcome = await studio.generate(
        org_id, ContentRequest("caption", "BTL-500", "instagram", "en", n=2, seed=4)
    )
    best = outcome.shown[0]
    assert await actions.approve(studio, org_id, best.id, None) is True
    assert await actions.reject(studio, org_id, best.id, None) is False  # decided already
    async with pool.acquire() as conn:
        entries = await conn.fetch(
            "SELECT action, before, after FROM audit_logs WHERE org_id = $1 AND entity_id = $2",
            org_id,
            best.id,
        )
    assert [(e["action"], e["before"]["status"], e["after"]["status"]) for e in entries] == [
        ("content.approved", best.status, "approved")
    ]


async def test_a_studio_stores_each_prompt_version_once(pool, studio, org_id, monkeypatch):
    ensured = count_calls(monkeypatch, prompt_versions, "ensure")
    first = await studio.generate(
        org_id, ContentRequest("hook", "BTL-500", "instagram", "en", n=2, seed=3)
    )
    again = await studio.generate(
        org_id, ContentRequest("hook", "BTL-500", "tiktok", "en", n=2, seed=4)
    )
    assert ensured == {"ensure": 1}  # the offline bank's version, for the first request only
    async with pool.acquire() as conn:
        rows = [
            *await repo.request_variants(conn, org_id, first.request_id),
            *await repo.request_variants(conn, org_id, again.request_id),
        ]
    assert len({r.prompt_version_id for r in rows}) == 1 and rows[0].prompt_version_id
