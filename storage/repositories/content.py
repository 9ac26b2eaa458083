"""The content studio's tables: requests, hooks, pieces (+ scenes), violations, and the
rules they are checked against (red-line rules, glossary, market parameters).

Hooks and pieces are both "variants" of a request; :func:`find_variant` finds either by id.
Every read and write is scoped by ``org_id``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ..db import Connection
from ..errors import NotFound
from ..models import Row

Table = Literal["hooks", "content_pieces"]


class ContentRequest(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    kind: str
    product_id: uuid.UUID | None
    platform: str
    language: str
    market: str | None
    n_variants: int
    seed: int | None
    engine: str | None
    params: dict[str, Any]
    ab_status: str
    ab_result: dict[str, Any]
    created_at: datetime


class Variant(Row):
    """A stored hook or content piece (``table`` says which); piece-only fields None on hooks."""

    table: Table
    id: uuid.UUID
    org_id: uuid.UUID
    request_id: uuid.UUID | None
    product_id: uuid.UUID | None
    prompt_version_id: uuid.UUID | None
    kind: str
    text: str
    platform: str
    language: str
    market: str | None
    rank: int | None
    score: float | None
    engine: str | None
    status: str
    hook_type: str | None = None
    emotion: str | None = None
    length_category: str | None = None
    title: str | None = None
    call_to_action: str | None = None
    hashtags: list[str] = []
    narrative_template: str | None = None
    duration_seconds: Decimal | None = None
    localized_from_id: uuid.UUID | None = None
    impressions: int = 0
    clicks: int = 0
    views: int = 0
    completions: int = 0
    is_winner: bool = False


class SceneRow(Row):
    ord: int
    purpose: str
    duration_seconds: Decimal
    visual: str | None
    on_screen_text: str | None
    voiceover: str | None


class MarketParams(Row):
    org_id: uuid.UUID | None
    market: str
    language: str
    currency: str | None
    unit_system: str
    formality: str
    emoji_density: str
    forbidden_phrases: list[str]
    required_disclaimers: list[str]
    params: dict[str, Any]


async def create_request(
    conn: Connection,
    org_id: uuid.UUID,
    *,
    kind: str,
    product_id: uuid.UUID | None,
    platform: str,
    language: str,
    market: str | None,
    n_variants: int,
    seed: int,
    engine: str,
    source: str,
    params: dict[str, Any] | None = None,
    created_by: uuid.UUID | None = None,
) -> ContentRequest:
    record = await conn.fetchrow(
        """
        INSERT INTO content_requests (org_id, kind, product_id, platform, language, market,
                                      n_variants, seed, engine, source, params, created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        RETURNING *
        """,
        org_id,
        kind,
        product_id,
        platform,
        language,
        market,
        n_variants,
        seed,
        engine,
        source,
        params or {},
        created_by,
    )
    return ContentRequest.from_record(record)


async def get_request(conn: Connection, org_id: uuid.UUID, request_id: uuid.UUID) -> ContentRequest:
    record = await conn.fetchrow(
        "SELECT * FROM content_requests WHERE org_id = $1 AND id = $2", org_id, request_id
    )
    if record is None:
        raise NotFound("content request", request_id)
    return ContentRequest.from_record(record)


async def set_request_engine(
    conn: Connection, org_id: uuid.UUID, request_id: uuid.UUID, engine: str
) -> None:
    await conn.execute(
        "UPDATE content_requests SET engine = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        request_id,
        engine,
    )


async def insert_hook(conn: Connection, org_id: uuid.UUID, values: dict[str, Any]) -> uuid.UUID:
    """``values``: request_id, product_id, prompt_version_id, text, hook_type, emotion,
    length_category, platform, language, market, rank, score, seed, engine, status,
    created_by."""
    return await conn.fetchval(
        """
        INSERT INTO hooks (org_id, request_id, product_id, prompt_version_id, text, hook_type,
                           emotion, length_category, platform, language, market, rank, score,
                           seed, engine, status, created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
        RETURNING id
        """,
        org_id,
        values["request_id"],
        values["product_id"],
        values["prompt_version_id"],
        values["text"],
        values["hook_type"],
        values["emotion"],
        values["length_category"],
        values["platform"],
        values["language"],
        values["market"],
        values["rank"],
        values["score"],
        values["seed"],
        values["engine"],
        values["status"],
        values["created_by"],
    )


async def insert_piece(
    conn: Connection,
    org_id: uuid.UUID,
    values: dict[str, Any],
    scenes: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> uuid.UUID:
    """A caption or script (``values`` like :func:`insert_hook`, plus kind, title, body,
    call_to_action, hashtags, narrative_template, duration_seconds, localized_from_id)."""
    piece_id = await conn.fetchval(
        """
        INSERT INTO content_pieces
            (org_id, request_id, kind, product_id, prompt_version_id, localized_from_id,
             platform, language, market, title, body, call_to_action, hashtags,
             narrative_template, duration_seconds, rank, score, seed, engine, status, created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $20, $21)
        RETURNING id
        """,
        org_id,
        values["request_id"],
        values["kind"],
        values["product_id"],
        values["prompt_version_id"],
        values.get("localized_from_id"),
        values["platform"],
        values["language"],
        values["market"],
        values.get("title"),
        values["text"],
        values.get("call_to_action"),
        values.get("hashtags") or [],
        values.get("narrative_template"),
        values.get("duration_seconds"),
        values["rank"],
        values["score"],
        values["seed"],
        values["engine"],
        values["status"],
        values["created_by"],
    )
    for ord_, scene in enumerate(scenes):
        await conn.execute(
            """
            INSERT INTO script_scenes (org_id, content_piece_id, ord, purpose, duration_seconds,
                                       visual, on_screen_text, voiceover)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            org_id,
            piece_id,
            ord_,
            scene["purpose"],
            scene["duration_seconds"],
            scene["visual"],
            scene["on_screen_text"],
            scene["voiceover"],
        )
    return piece_id


async def insert_violation(
    conn: Connection,
    org_id: uuid.UUID,
    table: Table,
    target_id: uuid.UUID,
    violation: dict[str, Any],
    resolution: str,
) -> uuid.UUID:
    """One red-line hit on a hook or piece, with what was done (blocked/regenerated/shown)."""
    return await conn.fetchval(
        """
        INSERT INTO red_line_violations (org_id, hook_id, content_piece_id, rule_id, kind,
                                         rule_code, severity, matched_text, message, details,
                                         resolution, resolved_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
        RETURNING id
        """,
        org_id,
        target_id if table == "hooks" else None,
        target_id if table == "content_pieces" else None,
        violation.get("rule_id"),
        violation["kind"],
        violation["rule_code"],
        violation["severity"],
        violation.get("matched_text"),
        violation["message"],
        violation.get("details") or {},
        resolution,
    )


async def violations(
    conn: Connection, org_id: uuid.UUID, table: Table, target_id: uuid.UUID
) -> list[dict[str, Any]]:
    column = "hook_id" if table == "hooks" else "content_piece_id"
    # The column name is one of two constants, never input.
    records = await conn.fetch(
        f"SELECT * FROM red_line_violations WHERE org_id = $1 AND {column} = $2 "  # noqa: S608
        "ORDER BY created_at, rule_code",
        org_id,
        target_id,
    )
    return [dict(r) for r in records]


async def violations_of(
    conn: Connection, org_id: uuid.UUID, variants: list[Variant]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """:func:`violations` of many variants in one query, by variant id."""
    hook_ids = [v.id for v in variants if v.table == "hooks"]
    piece_ids = [v.id for v in variants if v.table == "content_pieces"]
    found: dict[uuid.UUID, list[dict[str, Any]]] = {v.id: [] for v in variants}
    if not variants:
        return found
    records = await conn.fetch(
        """
        SELECT * FROM red_line_violations
        WHERE org_id = $1 AND (hook_id = ANY($2::uuid[]) OR content_piece_id = ANY($3::uuid[]))
        ORDER BY created_at, rule_code
        """,
        org_id,
        hook_ids,
        piece_ids,
    )
    for record in records:
        found[record["hook_id"] or record["content_piece_id"]].append(dict(record))
    return found


async def status_counts(conn: Connection, org_id: uuid.UUID) -> dict[str, int]:
    """How many hooks and pieces of the org are in each status."""
    records = await conn.fetch(
        """
        SELECT status, count(*) FROM (
            SELECT status FROM hooks WHERE org_id = $1
            UNION ALL SELECT status FROM content_pieces WHERE org_id = $1) AS v
        GROUP BY status
        """,
        org_id,
    )
    return {r["status"]: r["count"] for r in records}


_HOOK_SELECT = """
    SELECT 'hooks'::text AS "table", 'hook'::text AS kind, h.* FROM hooks h
"""
_PIECE_SELECT = """
    SELECT 'content_pieces'::text AS "table", p.*, p.body AS text FROM content_pieces p
"""


async def find_variant(conn: Connection, org_id: uuid.UUID, variant_id: uuid.UUID) -> Variant:
    """A hook or content piece of this org by id."""
    record = await conn.fetchrow(
        _HOOK_SELECT + "WHERE h.org_id = $1 AND h.id = $2", org_id, variant_id
    )
    if record is None:
        record = await conn.fetchrow(
            _PIECE_SELECT + "WHERE p.org_id = $1 AND p.id = $2", org_id, variant_id
        )
    if record is None:
        raise NotFound("content variant", variant_id)
    return Variant.from_record(record)


async def request_variants(
    conn: Connection, org_id: uuid.UUID, request_id: uuid.UUID
) -> list[Variant]:
    """The request's hooks and pieces, ranked first (blocked ones, unranked, last)."""
    hooks = await conn.fetch(
        _HOOK_SELECT + "WHERE h.org_id = $1 AND h.request_id = $2", org_id, request_id
    )
    pieces = await conn.fetch(
        _PIECE_SELECT + "WHERE p.org_id = $1 AND p.request_id = $2", org_id, request_id
    )
    rows = [Variant.from_record(r) for r in [*hooks, *pieces]]
    return sorted(rows, key=lambda v: (v.rank is None, v.rank or 0, str(v.id)))


async def scenes(conn: Connection, org_id: uuid.UUID, piece_id: uuid.UUID) -> list[SceneRow]:
    records = await conn.fetch(
        "SELECT * FROM script_scenes WHERE org_id = $1 AND content_piece_id = $2 ORDER BY ord",
        org_id,
        piece_id,
    )
    return [SceneRow.from_record(r) for r in records]


async def set_status(
    conn: Connection,
    org_id: uuid.UUID,
    table: Table,
    variant_id: uuid.UUID,
    status: str,
    *,
    user_id: uuid.UUID | None = None,
    only_from: tuple[str, ...] = ("draft", "flagged"),
) -> bool:
    """Move a variant to ``status`` if it is in one of ``only_from``; False otherwise."""
    sql = {
        "hooks": """UPDATE hooks SET status = $3,
                        approved_by = CASE WHEN $3 = 'approved' THEN $4 ELSE approved_by END,
                        approved_at = CASE WHEN $3 = 'approved' THEN now() ELSE approved_at END
                    WHERE org_id = $1 AND id = $2 AND status = ANY($5::text[])""",
        "content_pieces": """UPDATE content_pieces SET status = $3,
                        approved_by = CASE WHEN $3 = 'approved' THEN $4 ELSE approved_by END,
                        approved_at = CASE WHEN $3 = 'approved' THEN now() ELSE approved_at END
                    WHERE org_id = $1 AND id = $2 AND status = ANY($5::text[])""",
    }[table]
    result = await conn.execute(sql, org_id, variant_id, status, user_id, list(only_from))
    return result.endswith(" 1")


async def approved_examples(
    conn: Connection, org_id: uuid.UUID, kind: str, language: str, *, limit: int = 5
) -> list[str]:
    """The merchant's library: approved texts of this kind and language, newest first."""
    if kind == "hook":
        records = await conn.fetch(
            """SELECT text FROM hooks WHERE org_id = $1 AND status = 'approved' AND language = $2
               ORDER BY approved_at DESC NULLS LAST LIMIT $3""",
            org_id,
            language,
            limit,
        )
    else:
        records = await conn.fetch(
            """SELECT body AS text FROM content_pieces
               WHERE org_id = $1 AND status = 'approved' AND kind = $2 AND language = $3
               ORDER BY approved_at DESC NULLS LAST LIMIT $4""",
            org_id,
            kind,
            language,
            limit,
        )
    return [r["text"] for r in records]


async def record_results(
    conn: Connection, org_id: uuid.UUID, variant: Variant, counts: dict[str, int]
) -> None:
    """Store imported A/B counts (impressions, clicks, views, completions) on a variant."""
    table = variant.table
    sql = {
        "hooks": """UPDATE hooks SET impressions = $3, clicks = $4, views = $5,
                    completions = $6 WHERE org_id = $1 AND id = $2""",
        "content_pieces": """UPDATE content_pieces SET impressions = $3, clicks = $4,
                    views = $5, completions = $6 WHERE org_id = $1 AND id = $2""",
    }[table]
    await conn.execute(
        sql,
        org_id,
        variant.id,
        counts.get("impressions", 0),
        counts.get("clicks", 0),
        counts.get("views", 0),
        counts.get("completions", 0),
    )


async def set_ab_outcome(
    conn: Connection,
    org_id: uuid.UUID,
    request_id: uuid.UUID,
    status: str,
    result: dict[str, Any],
    winner_id: uuid.UUID | None,
) -> None:
    await conn.execute(
        """UPDATE content_requests SET ab_status = $3, ab_result = $4,
               ab_decided_at = CASE WHEN $3 = 'winner' THEN now() END
           WHERE org_id = $1 AND id = $2""",
        org_id,
        request_id,
        status,
        result,
    )
    for table in ("hooks", "content_pieces"):
        await conn.execute(
            f"UPDATE {table} SET is_winner = coalesce(id = $3, false) "  # noqa: S608 - constant table names
            "WHERE org_id = $1 AND request_id = $2",
            org_id,
            request_id,
            winner_id,
        )


async def market_params(conn: Connection, org_id: uuid.UUID, market: str) -> MarketParams:
    """The org's parameters for a market, else the shipped default; NotFound for neither."""
    record = await conn.fetchrow(
        """SELECT * FROM cultural_params
           WHERE upper(market) = upper($2) AND (org_id = $1 OR org_id IS NULL)
           ORDER BY org_id NULLS LAST LIMIT 1""",
        org_id,
        market,
    )
    if record is None:
        raise NotFound("market", market)
    return MarketParams.from_record(record)


async def glossary(conn: Connection, org_id: uuid.UUID) -> list[dict[str, Any]]:
    records = await conn.fetch(
        "SELECT * FROM glossary_terms WHERE org_id = $1 ORDER BY length(term) DESC, term", org_id
    )
    return [dict(r) for r in records]


async def red_line_rules(conn: Connection, org_id: uuid.UUID) -> list[dict[str, Any]]:
    records = await conn.fetch(
        "SELECT * FROM red_line_rules WHERE org_id = $1 AND is_active ORDER BY created_at",
        org_id,
    )
    return [dict(r) for r in records]


async def add_rule(
    conn: Connection,
    org_id: uuid.UUID,
    kind: str,
    pattern: str,
    *,
    is_regex: bool = False,
    severity: str = "block",
    message: str | None = None,
    language: str | None = None,
    market: str | None = None,
    platform: str | None = None,
) -> uuid.UUID:
    return await conn.fetchval(
        """INSERT INTO red_line_rules (org_id, kind, pattern, is_regex, severity, message,
                                       language, market, platform)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id""",
        org_id,
        kind,
        pattern,
        is_regex,
        severity,
        message,
        language,
        market,
        platform,
    )


async def add_glossary_term(
    conn: Connection,
    org_id: uuid.UUID,
    term: str,
    *,
    rule: str = "keep",
    translation: str | None = None,
    target_language: str | None = None,
    case_sensitive: bool = True,
) -> uuid.UUID:
    return await conn.fetchval(
        """INSERT INTO glossary_terms (org_id, term, rule, translation, target_language,
                                       case_sensitive)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        org_id,
        term,
        rule,
        translation,
        target_language,
        case_sensitive,
    )


async def product_sku(conn: Connection, org_id: uuid.UUID, product_id: uuid.UUID) -> str:
    """The SKU of one of the org's products (what a regeneration asks for again)."""
    sku = await conn.fetchval(
        "SELECT sku FROM products WHERE org_id = $1 AND id = $2", org_id, product_id
    )
    if sku is None:
        raise NotFound("product", product_id)
    return sku


async def list_variants(
    conn: Connection,
    org_id: uuid.UUID,
    *,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 50,
) -> list[Variant]:
    """The org's hooks and pieces, newest first, optionally of one status and kind (what a
    library or review screen lists)."""
    hooks = await conn.fetch(
        _HOOK_SELECT
        + """WHERE h.org_id = $1 AND ($2::text IS NULL OR h.status = $2)
                 AND ($3::text IS NULL OR $3 = 'hook')
             ORDER BY h.created_at DESC LIMIT $4""",
        org_id,
        status,
        kind,
        limit,
    )
    pieces = await conn.fetch(
        _PIECE_SELECT
        + """WHERE p.org_id = $1 AND ($2::text IS NULL OR p.status = $2)
                 AND ($3::text IS NULL OR p.kind = $3)
             ORDER BY p.created_at DESC LIMIT $4""",
        org_id,
        status,
        kind,
        limit,
    )
    rows = [(r["created_at"], Variant.from_record(r)) for r in [*hooks, *pieces]]
    rows.sort(key=lambda pair: pair[0], reverse=True)
    return [v for _, v in rows[:limit]]
