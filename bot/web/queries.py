"""Read models of the inbox pages: one org-scoped query per screen section.

Every function takes the viewer's ``org_id`` and filters on it in SQL: a row of another
organization is simply not found. Rows come back as plain dicts for the templates.
"""

from __future__ import annotations

import uuid
from typing import Any

from storage.db import Connection
from storage.errors import NotFound
from storage.repositories import customers

OPEN_STATES = ("pending", "escalated")

_CARD_SQL = """
SELECT s.id, s.kind, s.draft, s.status, s.sources, s.confidence, s.engine, s.action, s.reason,
       s.language, s.metadata, s.created_at, s.conversation_id,
       cv.priority, cv.customer_id,
       cu.display_name AS customer_name,
       ch.platform, ch.name AS channel_name,
       m.content AS message_text,
       mc.category, mc.sub_intent, mc.confidence AS category_confidence, mc.sentiment,
       mc.is_hot_lead
FROM reply_suggestions s
JOIN conversations cv ON cv.id = s.conversation_id AND cv.org_id = s.org_id
JOIN customers cu ON cu.id = cv.customer_id
JOIN channels ch ON ch.id = cv.channel_id
LEFT JOIN messages m ON m.id = s.message_id
LEFT JOIN message_classifications mc ON mc.message_id = s.message_id
WHERE s.org_id = $1 AND s.status = ANY($2::text[]) AND NOT cv.is_test
  AND ($3::uuid IS NULL OR s.id = $3)
  AND ($6::uuid IS NULL OR s.conversation_id = $6)
ORDER BY s.created_at DESC, s.id DESC
LIMIT $4 OFFSET $5
"""


async def inbox_cards(
    conn: Connection,
    org_id: uuid.UUID,
    *,
    limit: int | None,
    offset: int = 0,
    suggestion_id: uuid.UUID | None = None,
    conversation_id: uuid.UUID | None = None,
    context_messages: int = 6,
) -> list[dict[str, Any]]:
    """Open drafts (pending and escalated), newest first, each with its conversation's last
    messages under ``recent``; only one draft's, or one conversation's, when given (``limit``
    None: all of them). Sandbox conversations (``trademate try``) are left out."""
    records = await conn.fetch(
        _CARD_SQL,
        org_id,
        list(OPEN_STATES),
        suggestion_id,
        limit,
        offset,
        conversation_id,
    )
    cards = [dict(r) for r in records]
    recent = await _recent_by_conversation(
        conn, org_id, [c["conversation_id"] for c in cards], context_messages
    )
    for card in cards:
        card["recent"] = recent.get(card["conversation_id"], [])
        if card["category"] is None:  # older drafts: the pipeline's own summary
            summary = (card["metadata"] or {}).get("classification") or {}
            card["category"] = summary.get("category")
            card["sub_intent"] = summary.get("sub_intent")
    return cards


async def count_open(conn: Connection, org_id: uuid.UUID) -> int:
    return await conn.fetchval(
        """
        SELECT count(*) FROM reply_suggestions s
        JOIN conversations cv ON cv.id = s.conversation_id
        WHERE s.org_id = $1 AND s.status = ANY($2::text[]) AND NOT cv.is_test
        """,
        org_id,
        list(OPEN_STATES),
    )


async def _recent_by_conversation(
    conn: Connection, org_id: uuid.UUID, conversation_ids: list[uuid.UUID], per: int
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    if not conversation_ids:
        return {}
    records = await conn.fetch(
        """
        SELECT * FROM (
            SELECT conversation_id, direction, sender_type, content, content_type, status,
                   created_at, id,
                   row_number() OVER (PARTITION BY conversation_id
                                      ORDER BY created_at DESC, id DESC) AS rank
            FROM messages WHERE org_id = $1 AND conversation_id = ANY($2::uuid[])
        ) AS latest
        WHERE rank <= $3
        ORDER BY created_at, id
        """,
        org_id,
        list(set(conversation_ids)),
        per,
    )
    grouped: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(record["conversation_id"], []).append(dict(record))
    return grouped


async def decided_by(conn: Connection, org_id: uuid.UUID, suggestion_id: uuid.UUID) -> dict:
    """Status of a draft and the name of whoever decided it (for "already approved by …")."""
    record = await conn.fetchrow(
        """
        SELECT s.status, s.decided_at, COALESCE(u.display_name, u.email) AS reviewer
        FROM reply_suggestions s LEFT JOIN users u ON u.id = s.reviewer_id
        WHERE s.org_id = $1 AND s.id = $2
        """,
        org_id,
        suggestion_id,
    )
    if record is None:
        raise NotFound("reply suggestion", suggestion_id)
    return dict(record)


async def conversation_page(
    conn: Connection, org_id: uuid.UUID, conversation_id: uuid.UUID, *, limit: int = 100
) -> dict[str, Any]:
    header = await conn.fetchrow(
        """
        SELECT cv.*, cu.display_name AS customer_name, ch.platform, ch.name AS channel_name
        FROM conversations cv
        JOIN customers cu ON cu.id = cv.customer_id
        JOIN channels ch ON ch.id = cv.channel_id
        WHERE cv.org_id = $1 AND cv.id = $2
        """,
        org_id,
        conversation_id,
    )
    if header is None:
        raise NotFound("conversation", conversation_id)
    messages = await conn.fetch(
        """
        SELECT * FROM (
            SELECT m.*, COALESCE(u.display_name, u.email) AS staff_name
            FROM messages m LEFT JOIN users u ON u.id = m.sender_user_id
            WHERE m.org_id = $1 AND m.conversation_id = $2
            ORDER BY m.created_at DESC, m.id DESC LIMIT $3
        ) AS latest ORDER BY created_at, id
        """,
        org_id,
        conversation_id,
        limit,
    )
    # Every open draft of the conversation in one query (not one per draft).
    cards = await inbox_cards(conn, org_id, limit=None, conversation_id=conversation_id)
    return {"conversation": dict(header), "messages": [dict(m) for m in messages], "cards": cards}


async def customer_page(conn: Connection, org_id: uuid.UUID, customer_id: uuid.UUID) -> dict:
    customer = await conn.fetchrow(
        "SELECT * FROM customers WHERE org_id = $1 AND id = $2", org_id, customer_id
    )
    if customer is None:
        raise NotFound("customer", customer_id)
    identities = await conn.fetch(
        """
        SELECT i.external_id, i.display_name, i.profile, ch.platform, ch.name AS channel_name
        FROM customer_identities i JOIN channels ch ON ch.id = i.channel_id
        WHERE i.org_id = $1 AND i.customer_id = $2 ORDER BY i.created_at
        """,
        org_id,
        customer_id,
    )
    conversations = await conn.fetch(
        """
        SELECT cv.id, cv.status, cv.priority, cv.last_message_at, ch.platform,
               ch.name AS channel_name
        FROM conversations cv JOIN channels ch ON ch.id = cv.channel_id
        WHERE cv.org_id = $1 AND cv.customer_id = $2
        ORDER BY cv.last_message_at DESC NULLS LAST
        """,
        org_id,
        customer_id,
    )
    messages = await conn.fetch(
        """
        SELECT * FROM (
            SELECT id, conversation_id, direction, sender_type, content, content_type, status,
                   created_at
            FROM messages WHERE org_id = $1 AND customer_id = $2
            ORDER BY created_at DESC, id DESC LIMIT 20
        ) AS latest ORDER BY created_at, id
        """,
        org_id,
        customer_id,
    )
    leads = await conn.fetch(
        """
        SELECT 'lead' AS kind, title AS summary, score, status, created_at
        FROM leads WHERE org_id = $1 AND customer_id = $2
        UNION ALL
        SELECT 'hot lead', summary, score, status, created_at
        FROM hot_leads WHERE org_id = $1 AND customer_id = $2
        ORDER BY created_at DESC
        """,
        org_id,
        customer_id,
    )
    return {
        "customer": dict(customer),
        "identities": [dict(r) for r in identities],
        "conversations": [dict(r) for r in conversations],
        "messages": [dict(r) for r in messages],
        "leads": [dict(r) for r in leads],
    }


async def search_customers(
    conn: Connection, org_id: uuid.UUID, query: str, *, limit: int = 20
) -> list[dict[str, Any]]:
    """Customers by name, company, e-mail, phone or a channel handle (username, number)."""
    records = await conn.fetch(
        """
        SELECT c.id, c.display_name, c.company, c.last_inbound_at,
               (SELECT string_agg(DISTINCT ch.platform, ', ')
                FROM customer_identities i JOIN channels ch ON ch.id = i.channel_id
                WHERE i.customer_id = c.id) AS platforms
        FROM customers c
        WHERE c.org_id = $1 AND c.merged_into_id IS NULL AND NOT c.is_test
          AND (c.display_name ILIKE $2 OR c.company ILIKE $2 OR c.email ILIKE $2
               OR c.phone ILIKE $2
               OR EXISTS (SELECT 1 FROM customer_identities i
                          WHERE i.org_id = $1 AND i.customer_id = c.id
                            AND (i.external_id ILIKE $2 OR i.display_name ILIKE $2
                                 OR i.profile->>'username' ILIKE $2)))
        ORDER BY c.last_inbound_at DESC NULLS LAST, c.created_at DESC
        LIMIT $3
        """,
        org_id,
        customers.contains_pattern(query),
        limit,
    )
    return [dict(r) for r in records]


async def search_messages(
    conn: Connection, org_id: uuid.UUID, query: str, *, limit: int = 30
) -> list[dict[str, Any]]:
    records = await conn.fetch(
        """
        SELECT m.id, m.conversation_id, m.direction, m.content, m.created_at, m.customer_id,
               cu.display_name AS customer_name
        FROM messages m
        JOIN conversations cv ON cv.id = m.conversation_id AND NOT cv.is_test
        LEFT JOIN customers cu ON cu.id = m.customer_id
        WHERE m.org_id = $1 AND m.content ILIKE $2
        ORDER BY m.created_at DESC
        LIMIT $3
        """,
        org_id,
        customers.contains_pattern(query),
        limit,
    )
    return [dict(r) for r in records]
