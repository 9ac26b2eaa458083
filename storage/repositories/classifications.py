"""What the classifier said about each inbound message (and what staff corrected)."""

from __future__ import annotations

import uuid
from typing import Any

from ..db import Connection


async def record(
    conn: Connection,
    *,
    org_id: uuid.UUID,
    message_id: uuid.UUID,
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
    """Store a classification once per message; returns False if one existed already."""
    result = await conn.execute(
        """
        INSERT INTO message_classifications
            (org_id, message_id, category, confidence, language, sentiment, sub_intent, urgency,
             is_hot_lead, lead_score, scores, engine, model_version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        ON CONFLICT (message_id) DO NOTHING
        """,
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
    )
    return result.endswith(" 1")


async def for_message(conn: Connection, org_id: uuid.UUID, message_id: uuid.UUID):
    return await conn.fetchrow(
        "SELECT * FROM message_classifications WHERE org_id = $1 AND message_id = $2",
        org_id,
        message_id,
    )
