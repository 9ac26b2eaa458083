"""The studio: one request in, ranked and checked variants stored and returned.

Per request: the product's facts; the engine (LLM when configured and answering, else the
offline templates); each candidate checked (:mod:`.checks`). A clean variant is a ``draft``;
one with only warnings is ``flagged`` and shown with the reasons; one that breaks a blocking
rule is stored ``blocked`` (never shown) and replaced once by a regenerated variant — which
is checked again and blocked too if it also fails. Every violation is a
``red_line_violations`` row saying what was done. Variants carry the prompt version that
made them (the offline template bank is registered as a version of its own).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from agents.quotes.pricing import Rates
from storage.db import Connection
from storage.repositories import content as repo
from storage.repositories import organizations, products, prompt_versions

from .bank_copy import CALLS_TO_ACTION, CAPTION, SCRIPT
from .bank_hooks import HOOKS
from .checks import CheckContext, Term, Violation
from .config import ContentConfig
from .errors import ContentError
from .facts import from_product
from .localize import adapt, convert_price
from .models import Facts, Variant
from .outcome import ContentRequest, Outcome, Shown
from .platforms import Platform, check_language, platform
from .rules import Disclaimer, market_rules, org_rule
from .sourcing import OFFLINE_PROMPT, Picked, Source

log = logging.getLogger(__name__)

KINDS = ("hook", "caption", "script")


@dataclass(frozen=True)
class Audience:
    """Who a piece is for, read once per request: the checks' context, the market's
    parameters (None: no market), the org's glossary rows and its exchange rates."""

    checks: CheckContext
    market: repo.MarketParams | None
    glossary: list[dict[str, Any]]
    rates: Rates
    # Names copied as the catalog writes them: never unit-converted ("AquaFlask 500ml" is
    # a name, not a volume to write as "16.9 fl oz").
    names: tuple[str, ...] = ()


class Studio:
    """Generates, checks and stores content for one org at a time.

    ``llm`` is an :class:`agents.content.llm.LLMEngine` or None (offline only).
    """

    def __init__(self, pool: asyncpg.Pool, config: ContentConfig, llm: Any = None) -> None:
        self.pool = pool
        self.config = config
        self.llm = llm
        # Prompt version rows known to be committed, by name. A row never changes (another
        # text is another version), so the studio, which lives as long as the app, ensures
        # each once instead of upserting its whole template with every request.
        self.known_versions: dict[str, uuid.UUID] = {}

    async def generate(self, org_id: uuid.UUID, req: ContentRequest) -> Outcome:
        if req.kind not in KINDS:
            raise ContentError(f"kind must be one of {', '.join(KINDS)}")
        plat = platform(req.platform)
        language = req.language = check_language(req.language)
        req.market = req.market.strip().upper() if req.market else None
        n = req.n or self.config.default_variants
        if not 1 <= n <= self.config.max_variants:
            raise ContentError(f"n must be between 1 and {self.config.max_variants}")
        seed = req.seed if req.seed is not None else random.SystemRandom().randrange(2**31)
        async with self.pool.acquire() as conn:
            product = await products.get_by_sku(conn, org_id, req.sku)
            facts = from_product(product, language)
            audience = await self.context(conn, org_id, plat, language, req.market, facts)
            examples = await repo.approved_examples(conn, org_id, req.kind, language)
        notes: list[str] = []
        if req.seconds and req.seconds > plat.video_max_seconds:
            notes.append(f"{plat.name} videos are capped at {plat.video_max_seconds}s here")
        source = Source(self, org_id, req, facts, plat, language, seed, examples, notes)
        picked = await source.pick(n, audience)
        if len([p for p in picked if p[1] != "blocked"]) < n:
            notes.append(
                f"only {len([p for p in picked if p[1] != 'blocked'])} of {n} variants: the "
                "product's catalog facts don't support more (or the rest broke rules)"
            )
        async with self.pool.acquire() as conn, conn.transaction():
            row = await repo.create_request(
                conn,
                org_id,
                kind=req.kind,
                product_id=product.id,
                platform=plat.name,
                language=language,
                market=req.market,
                n_variants=n,
                seed=seed,
                engine=source.engine,
                source=req.source,
                params={"seconds": req.seconds} if req.seconds else {},
                created_by=req.user_id,
            )
            version_ids = await self._versions(conn, source.versions)
            stored = await self._store(
                conn, org_id, row.id, req, picked, version_ids, seed, product.id
            )
        self.known_versions.update(version_ids)  # committed now
        return Outcome(
            row.id, req.kind, source.engine, seed, plat.name, language, req.market, stored, notes
        )

    async def context(
        self,
        conn: Connection,
        org_id: uuid.UUID,
        plat: Platform,
        language: str,
        market: str | None,
        facts: Facts | None,
    ) -> Audience:
        """The rules a piece for this audience is checked against (``market`` a code)."""
        params = await repo.market_params(conn, org_id, market) if market else None
        return await self.audience(conn, org_id, plat, language, params, facts)

    async def audience(
        self,
        conn: Connection,
        org_id: uuid.UUID,
        plat: Platform,
        language: str,
        params: repo.MarketParams | None,
        facts: Facts | None,
    ) -> Audience:
        """The same for a market whose parameters the caller has read already."""
        rows = await repo.red_line_rules(conn, org_id)
        market = params.market if params else None
        rules = [r for r in map(org_rule, rows) if r is not None]
        disclaimers = [
            Disclaimer(r["pattern"], "org_required_disclaimer", r["id"])
            for r in rows
            if r["kind"] == "required_disclaimer"
            and (r["language"] in (None, language))
            and (r["market"] is None or (market or "").upper() == r["market"].upper())
            and (r["platform"] in (None, plat.name))
        ]
        if params:
            rules += market_rules(params.market, params.forbidden_phrases)
            disclaimers += [
                Disclaimer(d, f"market_{params.market.lower()}_disclaimer")
                for d in params.required_disclaimers
            ]
        glossary = await repo.glossary(conn, org_id)
        org = await organizations.get(conn, org_id)
        rates = self.config.rates.for_org(org.settings)
        trusted = facts.corpus() if facts else ""
        if facts and facts.price is not None and params and params.currency:
            # The market's price is ours too: converted by our code from the catalog's.
            trusted += "\n" + convert_price(facts.price, facts.currency, params.currency, rates)
        ctx = CheckContext(
            platform=plat,
            language=language,
            market=market,
            rules=rules,
            disclaimers=disclaimers,
            glossary=[_term(t) for t in glossary],
            trusted_text=trusted,
        )
        names = (facts.name,) if facts else ()
        return Audience(ctx, params, glossary, rates, names)

    def market_adapt(self, variant: Variant, audience: Audience) -> Variant:
        """Units, prices, glossary, emoji and disclaimers for the market (if any)."""
        ctx, market = audience.checks, audience.market
        return adapt(
            variant,
            unit_system=market.unit_system if market else None,
            currency=market.currency if market else None,
            rates=audience.rates,
            terms=ctx.glossary,
            language=ctx.language,
            emoji_density=market.emoji_density if market else None,
            disclaimers=[d.text for d in ctx.disclaimers],
            names=audience.names,
        )

    # --- storing -------------------------------------------------------------------------
    async def _versions(self, conn: Connection, names: set[str]) -> dict[str, uuid.UUID]:
        """The version row ids of ``names``, stored when new (call in the transaction that
        uses them; add them to :attr:`known_versions` once it commits)."""
        from agents.llm.prompts import load_prompt

        ids = {n: self.known_versions[n] for n in names if n in self.known_versions}
        for name in names - ids.keys():
            if name == OFFLINE_PROMPT:
                text = json.dumps(
                    {"hooks": HOOKS, "caption": CAPTION, "cta": CALLS_TO_ACTION, "script": SCRIPT},
                    ensure_ascii=False,
                    sort_keys=True,
                )
                digest = hashlib.sha256(text.encode()).hexdigest()
                row = await prompt_versions.ensure(
                    conn,
                    name=OFFLINE_PROMPT,
                    version=digest[:12],
                    template=text,
                    content_hash=digest,
                    description="offline content templates (agents/content/bank_*.py)",
                )
            else:
                t = load_prompt(name)
                row = await prompt_versions.ensure(
                    conn,
                    name=t.name,
                    version=t.version,
                    template=t.text,
                    content_hash=t.checksum,
                    description=t.description,
                    params={"variables": dict(t.variables)},
                )
            ids[name] = row.id
        return ids

    async def _store(
        self,
        conn: Connection,
        org_id: uuid.UUID,
        request_id: uuid.UUID,
        req: ContentRequest,
        picked: list[Picked],
        version_ids: dict[str, uuid.UUID],
        seed: int,
        product_id: uuid.UUID | None,
    ) -> list[Shown]:
        shown_order = sorted((p for p in picked if p[1] != "blocked"), key=lambda p: -p[0].score)
        ranks = {id(p[0]): i + 1 for i, p in enumerate(shown_order)}
        out: list[Shown] = []
        for variant, status, violations, resolution, prompt in picked:
            rank = ranks.get(id(variant))
            values = {
                "request_id": request_id,
                "product_id": product_id,
                "prompt_version_id": version_ids.get(prompt),
                "platform": req.platform,
                "language": req.language,
                "market": req.market,
                "rank": rank,
                "score": variant.score,
                "seed": seed,
                "engine": "offline" if prompt == OFFLINE_PROMPT else "llm",
                "status": status,
                "created_by": req.user_id,
            }
            table, new_id = await store_variant(conn, org_id, variant, values)
            for v in violations:
                await repo.insert_violation(
                    conn, org_id, table, new_id, violation_row(v), resolution or "shown"
                )
            out.append(Shown(new_id, table, variant, status, rank, violations, resolution))
        return sorted(out, key=lambda s: (s.rank is None, s.rank or 0))


async def store_variant(
    conn: Connection, org_id: uuid.UUID, variant: Variant, values: dict[str, Any]
) -> tuple[repo.Table, uuid.UUID]:
    if variant.kind == "hook":
        hook_id = await repo.insert_hook(
            conn,
            org_id,
            values
            | {
                "text": variant.text,
                "hook_type": variant.hook_type or "fact",
                "emotion": variant.emotion,
                "length_category": variant.length_category or "mid",
            },
        )
        return "hooks", hook_id
    piece_id = await repo.insert_piece(
        conn,
        org_id,
        values
        | {
            "kind": variant.kind,
            "text": variant.text,
            "title": variant.title,
            "call_to_action": variant.call_to_action,
            "hashtags": variant.hashtags,
            "narrative_template": variant.narrative_template,
            "duration_seconds": variant.duration_seconds,
        },
        [
            {
                "purpose": s.purpose,
                "duration_seconds": s.duration_seconds,
                "visual": s.visual,
                "on_screen_text": s.on_screen_text,
                "voiceover": s.voiceover,
            }
            for s in variant.scenes
        ],
    )
    return "content_pieces", piece_id


def violation_row(v: Violation) -> dict[str, Any]:
    return {
        "rule_id": v.rule_id,
        "kind": v.kind,
        "rule_code": v.rule_code,
        "severity": v.severity,
        "matched_text": v.matched_text,
        "message": v.message,
        "details": v.details,
    }


def _term(row: dict[str, Any]) -> Term:
    return Term(
        term=row["term"],
        rule=row["rule"],
        translation=row["translation"],
        target_language=row["target_language"],
        case_sensitive=row["case_sensitive"],
    )
