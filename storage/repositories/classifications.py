"""What the classifier said about each inbound message (and what staff corrected)."""

from __future__ import annotations

import uuid
from typing import Any

from ..db import Connection

# One statement (so one round trip, and atomic): the classification row and what it tells
# about the message, customer and conversation. Data-modifying CTEs run to completion whether
# or not the outer SELECT reads them, so each UPDATE is conditional on the insert: a message
# processed again (another worker, a reclaim) must not redo the first run's effects with a
# new, possibly different, classification (its language, a complaint's priority).
_RECORD_WITH_EFFECTS = """
WITH recorded AS (
    INSERT INTO message_classifications
        (org_id, message_id, category, confidence, language, sentiment, sub_intent, urgency,
         is_hot_lead, lead_score, scores, engine, model_version)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (message_id) DO NOTHING
    RETURNING 1
), message AS (
    UPDATE messages SET language = $5
    WHERE org_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM recorded)
), customer AS (
    UPDATE customers SET language = COALESCE(language, $5),
                         lead_score = GREATEST(lead_score, $10)
    WHERE org_id = $1 AND id = $14 AND EXISTS (SELECT 1 FROM recorded)
), conversation AS (
    UPDATE conversations SET priority = 'high', sentiment = $6
    WHERE org_id = $1 AND id = $15 AND $3 = 'complaint' AND EXISTS (SELECT 1 FROM recorded)
)
SELECT EXISTS (SELECT 1 FROM recorded)
"""


async def record_with_effects(
    conn: Connection,
    *,
    org_id: uuid.UUID,
    message_id: uuid.UUID,
    customer_id: uuid.UUID,
    conversation_id: uuid.UUID,
    category: str,
    confidence: float,
    language: str,
    sentiment: str,
    sub_intent: str | None,
    urgency: str,
    is_hot_lead: bool,
    lead_score: int,
    scores: dict[str, Any],
    engine: str,
    model_version: str | None = None,
) -> bool:
    """Store the message's classification (once: ``ON CONFLICT (message_id) DO NOTHING``),
    and in the same statement: the message's language; the customer's
    language (if unknown) and lead score (never lowered); a complaint makes the conversation
    high priority with the complaint's sentiment. Returns False if a classification existed
    (and then changes nothing)."""
    return await conn.fetchval(
        _RECORD_WITH_EFFECTS,
        org_id,
        message_id,
        category,
        confidence,
        language,
        sentiment,
        sub_intent,
        urgency,
        is_hot_lead,
        lead_score,
        scores,
        engine,
        model_version,
        customer_id,
        conversation_id,
    )


async def for_message(conn: Connection, org_id: uuid.UUID, message_id: uuid.UUID):
    return await conn.fetchrow(
        "SELECT * FROM message_classifications WHERE org_id = $1 AND message_id = $2",
        org_id,
        message_id,
    )


async def correct(
    conn: Connection,
    org_id: uuid.UUID,
    message_id: uuid.UUID,
    *,
    category: str,
    sub_intent: str | None = None,
    reviewed_by: uuid.UUID | None = None,
) -> bool:
    """Record staff's label for a classified message (what ``model train`` learns from).

    The label equal to what the classifier said is a confirmation, not a correction. False
    when the org has no classification for that message.
    """
    updated = await conn.fetchval(
        """
        UPDATE message_classifications
        SET review_status = CASE WHEN category = $3 AND sub_intent IS NOT DISTINCT FROM
                                      COALESCE($4, sub_intent)
                                 THEN 'confirmed' ELSE 'corrected' END,
            corrected_category = $3, corrected_sub_intent = $4,
            reviewed_by = $5, reviewed_at = now()
        WHERE org_id = $1 AND message_id = $2
        RETURNING review_status
        """,
        org_id,
        message_id,
        category,
        sub_intent,
        reviewed_by,
    )
    return updated is not None
