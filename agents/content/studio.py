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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from storage.db import Connection
from storage.repositories import content as repo
from storage.repositories import products, prompt_versions

from . import offline
from .bank_copy import CALLS_TO_ACTION, CAPTION, SCRIPT
from .bank_hooks import HOOKS
from .checks import CheckContext, Term, Violation, check
from .config import ContentConfig
from .errors import ContentError
from .facts import from_product
from .localize import adapt, convert_price
from .models import Facts, Variant
from .platforms import Platform, check_language, platform
from .rules import Disclaimer, market_rules, org_rule

log = logging.getLogger(__name__)

KINDS = ("hook", "caption", "script")
_LLM_PROMPTS = ("content_hooks", "content_caption", "content_script")
OFFLINE_PROMPT = "content_offline"


@dataclass
class ContentRequest:
    kind: str
    sku: str
    platform: str
    language: str
    market: str | None = None
    n: int | None = None
    seed: int | None = None
    seconds: int | None = None
    source: str = "cli"
    user_id: uuid.UUID | None = None


@dataclass
class Shown:
    """One stored variant with its checks: what the CLI prints and the bot shows."""

    id: uuid.UUID
    table: str
    variant: Variant
    status: str
    rank: int | None
    violations: list[Violation] = field(default_factory=list)
    resolution: str | None = None

    def as_dict(self) -> dict[str, Any]:
        v = self.variant
        data: dict[str, Any] = {
            "id": str(self.id),
            "kind": v.kind,
            "rank": self.rank,
            "status": self.status,
            "score": v.score,
            "text": v.text,
            "violations": [
                {
                    "kind": x.kind,
                    "rule": x.rule_code,
                    "severity": x.severity,
                    "message": x.message,
                    "matched": x.matched_text,
                }
                for x in self.violations
            ],
        }
        if v.kind == "hook":
            data |= {
                "hook_type": v.hook_type,
                "emotion": v.emotion,
                "length_category": v.length_category,
            }
        else:
            data |= {"call_to_action": v.call_to_action, "hashtags": v.hashtags}
        if v.kind == "script":
            data |= {
                "title": v.title,
                "narrative_template": v.narrative_template,
                "duration_seconds": float(v.duration_seconds or 0),
                "scenes": [
                    {
                        "purpose": s.purpose,
                        "duration_seconds": float(s.duration_seconds),
                        "visual": s.visual,
                        "on_screen_text": s.on_screen_text,
                        "voiceover": s.voiceover,
                    }
                    for s in v.scenes
                ],
            }
        return data


@dataclass
class Outcome:
    request_id: uuid.UUID
    kind: str
    engine: str
    seed: int
    platform: str
    language: str
    market: str | None
    variants: list[Shown]
    notes: list[str] = field(default_factory=list)

    @property
    def shown(self) -> list[Shown]:
        return [s for s in self.variants if s.status != "blocked"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": str(self.request_id),
            "kind": self.kind,
            "engine": self.engine,
            "seed": self.seed,
            "platform": self.platform,
            "language": self.language,
            "market": self.market,
            "notes": self.notes,
            "variants": [s.as_dict() for s in self.variants],
        }


class Studio:
    """Generates, checks and stores content for one org at a time.

    ``llm`` is an :class:`agents.content.llm.LLMEngine` or None (offline only).
    """

    def __init__(self, pool: asyncpg.Pool, config: ContentConfig, llm: Any = None) -> None:
        self.pool = pool
        self.config = config
        self.llm = llm

    async def generate(self, org_id: uuid.UUID, req: ContentRequest) -> Outcome:
        if req.kind not in KINDS:
            raise ContentError(f"kind must be one of {', '.join(KINDS)}")
        plat = platform(req.platform)
        language = check_language(req.language)
        n = req.n or self.config.default_variants
        if not 1 <= n <= self.config.max_variants:
            raise ContentError(f"n must be between 1 and {self.config.max_variants}")
        seed = req.seed if req.seed is not None else random.SystemRandom().randrange(2**31)
        async with self.pool.acquire() as conn:
            product = await products.get_by_sku(conn, org_id, req.sku)
            facts = from_product(product, language)
            ctx, market = await self.context(conn, org_id, plat, language, req.market, facts)
            examples = await repo.approved_examples(conn, org_id, req.kind, language)
        notes: list[str] = []
        if req.seconds and req.seconds > plat.video_max_seconds:
            notes.append(f"{plat.name} videos are capped at {plat.video_max_seconds}s here")
        source = _Source(self, org_id, req, facts, plat, language, seed, examples, notes)
        picked = await source.pick(n, ctx, market)
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
    ) -> tuple[CheckContext, repo.MarketParams | None]:
        """The rules a piece for this audience is checked against."""
        rows = await repo.red_line_rules(conn, org_id)
        rules = [r for r in map(org_rule, rows) if r is not None]
        disclaimers = [
            Disclaimer(r["pattern"], "org_required_disclaimer", r["id"])
            for r in rows
            if r["kind"] == "required_disclaimer"
            and (r["language"] in (None, language))
            and (r["market"] is None or (market or "").upper() == r["market"].upper())
            and (r["platform"] in (None, plat.name))
        ]
        params = None
        if market:
            params = await repo.market_params(conn, org_id, market)
            rules += market_rules(params.market, params.forbidden_phrases)
            disclaimers += [
                Disclaimer(d, f"market_{params.market.lower()}_disclaimer")
                for d in params.required_disclaimers
            ]
        terms = [_term(t) for t in await repo.glossary(conn, org_id)]
        trusted = facts.corpus() if facts else ""
        if facts and facts.price is not None and params and params.currency:
            # The market's price is ours too: converted by our code from the catalog's.
            converted = convert_price(
                facts.price, facts.currency, params.currency, self.config.rates
            )
            trusted += "\n" + converted
        ctx = CheckContext(
            platform=plat,
            language=language,
            market=market,
            rules=rules,
            disclaimers=disclaimers,
            glossary=terms,
            trusted_text=trusted,
        )
        return ctx, params

    def market_adapt(
        self, variant: Variant, ctx: CheckContext, market: repo.MarketParams | None
    ) -> Variant:
        """Units, prices, glossary, emoji and disclaimers for the market (if any)."""
        return adapt(
            variant,
            unit_system=market.unit_system if market else None,
            currency=market.currency if market else None,
            rates=self.config.rates,
            terms=ctx.glossary,
            language=ctx.language,
            emoji_density=market.emoji_density if market else None,
            disclaimers=[d.text for d in ctx.disclaimers],
        )

    # --- storing -------------------------------------------------------------------------
    async def _versions(self, conn: Connection, names: set[str]) -> dict[str, uuid.UUID]:
        from agents.llm.prompts import load_prompt

        ids: dict[str, uuid.UUID] = {}
        for name in names:
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
        picked: list[tuple[Variant, str, list[Violation], str | None, str]],
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


def status_for(violations: list[Violation]) -> str:
    if any(v.blocks for v in violations):
        return "blocked"
    return "flagged" if violations else "draft"


def _term(row: dict[str, Any]) -> Term:
    return Term(
        term=row["term"],
        rule=row["rule"],
        translation=row["translation"],
        target_language=row["target_language"],
        case_sensitive=row["case_sensitive"],
    )


class _Source:
    """Where candidates come from: the LLM (one batch, plus one regeneration batch) with the
    offline templates behind it, or the offline templates alone."""

    def __init__(
        self,
        studio: Studio,
        org_id: uuid.UUID,
        req: ContentRequest,
        facts: Facts,
        plat: Platform,
        language: str,
        seed: int,
        examples: list[str],
        notes: list[str],
    ) -> None:
        self.studio, self.org_id, self.req, self.facts = studio, org_id, req, facts
        self.plat, self.language, self.seed, self.examples = plat, language, seed, examples
        self.notes = notes
        self.engine = "offline"
        self.versions: set[str] = set()
        self._offline: Iterator[Variant] | None = None

    def _next_offline(self) -> Variant | None:
        if self._offline is None:
            make = {"hook": offline.hooks, "caption": offline.captions, "script": offline.scripts}
            args = (self.facts, self.plat, self.language, self.seed)
            self._offline = (
                offline.scripts(*args, self.req.seconds)
                if self.req.kind == "script"
                else make[self.req.kind](*args)
            )
        return next(self._offline, None)

    async def _llm(self, count: int, feedback: list[str]) -> list[Variant] | None:
        from agents.errors import LLMUnavailable

        llm = self.studio.llm
        if llm is None or not llm.available:
            return None
        try:
            variants, _version = await llm.generate(
                self.org_id,
                self.req.kind,
                self.facts,
                self.plat,
                self.language,
                count,
                seconds=min(
                    self.req.seconds or self.plat.default_video_seconds, self.plat.video_max_seconds
                ),
                examples=self.examples,
                feedback=feedback,
            )
        except LLMUnavailable as err:
            log.warning("org=%s content llm unavailable (%s): offline engine", self.org_id, err)
            self.notes.append(f"LLM unavailable ({err}): offline templates used")
            return None
        from .llm import PROMPTS

        self.versions.add(PROMPTS[self.req.kind])
        self.engine = "llm"
        for v in variants:
            v.template = PROMPTS[self.req.kind]
        return variants

    async def pick(
        self, n: int, ctx: CheckContext, market: repo.MarketParams | None
    ) -> list[tuple[Variant, str, list[Violation], str | None, str]]:
        """(variant, status, violations, resolution, prompt name) for every candidate kept —
        the n shown ones and the blocked ones they replaced."""
        first = await self._llm(n, [])
        queue = list(first or [])
        llm_regenerated = False
        picked: list[tuple[Variant, str, list[Violation], str | None, str]] = []
        filled = 0  # slots done: shown, or blocked twice
        owed = 0  # blocked slots whose one regeneration is still to come
        drawn = 0
        seen: set[str] = set()
        while filled < n:
            if not queue and first is not None and not llm_regenerated and owed:
                # One more model call for the blocked slots, told what was wrong.
                llm_regenerated = True
                feedback = [f"{x.message} ({x.matched_text})" for p in picked for x in p[2]]
                queue.extend(await self._llm(owed, feedback) or [])
            if queue:
                candidate = queue.pop(0)
            else:
                candidate = self._next_offline()
                if candidate is None:
                    break
                self.versions.add(OFFLINE_PROMPT)
            prompt = candidate.template if candidate.template in _LLM_PROMPTS else OFFLINE_PROMPT
            if candidate.full_text() in seen:
                continue
            seen.add(candidate.full_text())
            # The first n candidates fill the slots; later ones replace blocked ones.
            replacement = drawn >= n
            drawn += 1
            owed -= 1 if replacement else 0
            candidate = self.studio.market_adapt(candidate, ctx, market)
            violations = check(candidate, ctx)
            status = status_for(violations)
            if status == "blocked" and not replacement:
                picked.append((candidate, status, violations, "regenerated", prompt))
                owed += 1
                continue
            resolution = "blocked" if status == "blocked" else ("shown" if violations else None)
            # A replacement that fails too leaves its slot empty, with the reason stored.
            picked.append((candidate, status, violations, resolution, prompt))
            filled += 1
        if self.engine == "llm" and OFFLINE_PROMPT in self.versions:
            self.engine = "llm+offline"
        return picked
