"""What staff do with a variant: approve it (the merchant's library), regenerate its
request, or localize it to a market."""

from __future__ import annotations

import uuid

import asyncpg

from storage.db import transaction
from storage.repositories import audit, products
from storage.repositories import content as repo

from .checks import check
from .errors import ContentError, TranslationUnavailable
from .facts import from_product
from .models import Scene, Variant
from .outcome import ContentRequest, Outcome, Shown
from .platforms import platform
from .sourcing import status_for
from .studio import Studio, store_variant, violation_row


async def approve(
    studio: Studio, org_id: uuid.UUID, variant_id: uuid.UUID, user_id: uuid.UUID | None
) -> bool:
    """Approve a shown (draft or flagged) variant; False when it was blocked, or already
    decided. Approved variants are the library later LLM generations learn the voice from."""
    changed, _ = await decide(studio.pool, org_id, variant_id, "approved", user_id)
    return changed


async def reject(
    studio: Studio, org_id: uuid.UUID, variant_id: uuid.UUID, user_id: uuid.UUID | None
) -> bool:
    changed, _ = await decide(studio.pool, org_id, variant_id, "rejected", user_id)
    return changed


async def decide(
    pool: asyncpg.Pool,
    org_id: uuid.UUID,
    variant_id: uuid.UUID,
    status: str,
    user_id: uuid.UUID | None,
) -> tuple[bool, repo.Variant]:
    """Move a draft or flagged variant to ``status`` (approved/rejected), audited, whichever
    front end asked; returns whether it changed, and the variant as it was."""
    async with transaction(pool) as conn:
        variant = await repo.find_variant(conn, org_id, variant_id)
        changed = await repo.set_status(
            conn, org_id, variant.table, variant.id, status, user_id=user_id
        )
        if changed:
            await audit.record(
                conn,
                org_id,
                f"content.{status}",
                actor_kind="user" if user_id else "system",
                actor_user_id=user_id,
                entity_type=variant.table,
                entity_id=variant.id,
                before={"status": variant.status},
                after={"status": status},
            )
    return changed, variant


async def regenerate(
    studio: Studio,
    org_id: uuid.UUID,
    variant_id: uuid.UUID,
    *,
    source: str = "bot",
    user_id: uuid.UUID | None = None,
) -> Outcome:
    """A new request like the variant's, with the next seed (so new variants)."""
    async with studio.pool.acquire() as conn:
        row = await repo.find_variant(conn, org_id, variant_id)
        if row.request_id is None or row.product_id is None:
            raise ContentError("this piece has no request to regenerate (it is a localization)")
        request = await repo.get_request(conn, org_id, row.request_id)
        sku = await repo.product_sku(conn, org_id, row.product_id)
    return await studio.generate(
        org_id,
        ContentRequest(
            kind=request.kind,
            sku=sku,
            platform=request.platform,
            language=request.language,
            market=request.market,
            n=request.n_variants,
            seed=(request.seed or 0) + 1,
            seconds=request.params.get("seconds"),
            source=source,
            user_id=user_id,
        ),
    )


async def localize(
    studio: Studio,
    org_id: uuid.UUID,
    variant_id: uuid.UUID,
    market: str,
    *,
    user_id: uuid.UUID | None = None,
) -> Shown:
    """A caption or script rewritten for ``market``, checked and stored (linked to its
    original). Another language needs the LLM: offline, :class:`TranslationUnavailable`."""
    from agents.errors import LLMUnavailable

    from . import llm as llm_engine

    async with studio.pool.acquire() as conn:
        row = await repo.find_variant(conn, org_id, variant_id)
        if row.table != "content_pieces":
            raise ContentError(
                "only captions and scripts are localized; generate hooks per language"
            )
        scenes = await repo.scenes(conn, org_id, row.id)
        params = await repo.market_params(conn, org_id, market)
        sku = await repo.product_sku(conn, org_id, row.product_id) if row.product_id else None
        facts = (
            from_product(await products.get_by_sku(conn, org_id, sku), params.language)
            if sku
            else None
        )
        plat = platform(row.platform)
        # The market's parameters, read once above, and the glossary, read once here.
        audience = await studio.audience(conn, org_id, plat, params.language, params, facts)
    ctx = audience.checks
    variant = _as_variant(row, scenes)
    ctx.source_text = variant.full_text()
    engine = "offline"
    if params.language != row.language:
        llm = studio.llm
        if llm is None or not llm.available:
            raise TranslationUnavailable(
                f"offline translation from {row.language} to {params.language} is not "
                "available: configure an LLM (llm.provider, llm.model), or generate the piece "
                f"in {params.language} directly (--lang {params.language} --market {market})"
            )
        terms = [
            {k: t[k] for k in ("term", "rule", "translation", "target_language")}
            for t in audience.glossary
            if t["target_language"] in (None, params.language)
        ]
        try:
            variant = await llm_engine.localize(
                llm,
                org_id,
                variant,
                language=params.language,
                market=params.market,
                formality=params.formality,
                emoji_density=params.emoji_density,
                glossary=terms,
            )
        except LLMUnavailable as err:
            raise TranslationUnavailable(f"the LLM could not translate this piece: {err}") from err
        engine = "llm"
    adapted = studio.market_adapt(variant, audience)
    violations = check(adapted, ctx)
    status = status_for(violations)
    resolution = "blocked" if status == "blocked" else ("shown" if violations else None)
    async with studio.pool.acquire() as conn, conn.transaction():
        versions = await studio._versions(conn, {"content_localize"} if engine == "llm" else set())
        values = {
            "request_id": None,
            "product_id": row.product_id,
            "prompt_version_id": versions.get("content_localize", row.prompt_version_id),
            "localized_from_id": row.id,
            "platform": row.platform,
            "language": params.language,
            "market": params.market,
            "rank": None,
            "score": row.score,
            "seed": None,
            "engine": engine,
            "status": status,
            "created_by": user_id,
        }
        table, new_id = await store_variant(conn, org_id, adapted, values)
        for v in violations:
            await repo.insert_violation(conn, org_id, table, new_id, violation_row(v), resolution)
    studio.known_versions.update(versions)  # committed now
    return Shown(new_id, table, adapted, status, None, violations, resolution)


def _as_variant(row: repo.Variant, scenes: list[repo.SceneRow]) -> Variant:
    return Variant(
        kind=row.kind,  # type: ignore[arg-type]
        text=row.text,
        template="stored",
        score=row.score or 0.0,
        title=row.title,
        call_to_action=row.call_to_action,
        hashtags=list(row.hashtags),
        narrative_template=row.narrative_template,
        scenes=[
            Scene(
                s.purpose,  # type: ignore[arg-type]
                s.duration_seconds,
                s.visual or "",
                s.on_screen_text or "",
                s.voiceover or "",
            )
            for s in scenes
        ],
    )
