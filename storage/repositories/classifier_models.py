"""Trained classifier models per organization, and the staff corrections they learn from.

A model's file lives under the data directory; the row records where, with its version,
evaluation metrics and training size. At most one row per org is active (a partial unique
index); ``org_id`` NULL would be a deployment-wide base model, which we do not store: the
shipped default is found by its file name.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ..db import Connection
from ..models import Row


class ClassifierModel(Row):
    id: uuid.UUID
    org_id: uuid.UUID | None
    version: str
    path: str
    metrics: dict[str, Any]
    train_size: int | None
    is_active: bool
    created_by: uuid.UUID | None
    created_at: datetime


class Correction(Row):
    """A message staff re-labelled: its text and the category (and sub-intent) they chose."""

    message_id: uuid.UUID
    text: str
    category: str
    sub_intent: str | None
    language: str | None


async def corrections(conn: Connection, org_id: uuid.UUID) -> list[Correction]:
    """Every corrected classification of the org whose message has text, oldest first."""
    records = await conn.fetch(
        """
        SELECT c.message_id, m.content AS text, c.corrected_category AS category,
               c.corrected_sub_intent AS sub_intent, COALESCE(c.language, m.language) AS language
        FROM message_classifications c
        JOIN messages m ON m.id = c.message_id AND m.org_id = c.org_id
        WHERE c.org_id = $1 AND c.review_status = 'corrected'
          AND c.corrected_category IS NOT NULL
          AND m.content IS NOT NULL AND btrim(m.content) <> ''
        ORDER BY c.reviewed_at NULLS FIRST, c.created_at
        """,
        org_id,
    )
    return [Correction.from_record(r) for r in records]


async def add(
    conn: Connection,
    org_id: uuid.UUID,
    *,
    version: str,
    path: str,
    metrics: dict[str, Any],
    train_size: int,
    activate: bool = True,
    created_by: uuid.UUID | None = None,
) -> ClassifierModel:
    """Record a trained model; with ``activate`` it replaces the org's active one. Run it
    in a transaction: the deactivation and the insert must be seen together."""
    if activate:
        await conn.execute(
            "UPDATE classifier_models SET is_active = false WHERE org_id = $1 AND is_active",
            org_id,
        )
    record = await conn.fetchrow(
        """
        INSERT INTO classifier_models (org_id, version, path, metrics, train_size, is_active,
                                       created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING *
        """,
        org_id,
        version,
        path,
        metrics,
        train_size,
        activate,
        created_by,
    )
    return ClassifierModel.from_record(record)


async def find_active(conn: Connection, org_id: uuid.UUID) -> ClassifierModel | None:
    """The org's active model, or None when it uses the shipped default."""
    record = await conn.fetchrow(
        """
        SELECT * FROM classifier_models WHERE org_id = $1 AND is_active
        ORDER BY created_at DESC LIMIT 1
        """,
        org_id,
    )
    return None if record is None else ClassifierModel.from_record(record)


async def list_for_org(conn: Connection, org_id: uuid.UUID) -> list[ClassifierModel]:
    records = await conn.fetch(
        "SELECT * FROM classifier_models WHERE org_id = $1 ORDER BY created_at DESC", org_id
    )
    return [ClassifierModel.from_record(r) for r in records]
