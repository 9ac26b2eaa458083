"""Storing inbound messages in one statement each, or many in one (see migrations/0009)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..db import Connection


@dataclass(frozen=True)
class InboundRow:
    """One inbound message as the intake functions take it."""

    org_id: uuid.UUID
    channel_id: uuid.UUID
    sender_id: str
    sender_name: str | None
    language: str | None
    profile: dict[str, Any]
    sent_at: datetime
    external_message_id: str
    content: str | None
    content_type: str
    media: list[Any]
    metadata: dict[str, Any]


@dataclass(frozen=True)
class StoredInbound:
    message_id: uuid.UUID
    created: bool  # False: the platform re-delivered a message we already have
    customer_id: uuid.UUID
    conversation_id: uuid.UUID


_COLUMNS = (
    "org_id",
    "channel_id",
    "sender_id",
    "sender_name",
    "language",
    "profile",
    "sent_at",
    "external_message_id",
    "content",
    "content_type",
    "media",
    "metadata",
)


_JSON_COLUMNS = {"profile", "media", "metadata"}


def _column(rows: Sequence[InboundRow], name: str) -> list[Any]:
    values = [getattr(row, name) for row in rows]
    if name in _JSON_COLUMNS:
        # Sent as JSON text: a Python list inside an array parameter would be read as
        # another array dimension, not as one jsonb value.
        return [json.dumps(value, ensure_ascii=False, default=str) for value in values]
    return values


async def store_inbound(conn: Connection, row: InboundRow) -> StoredInbound:
    """Customer + identity, conversation and message, atomically (one implicit transaction)."""
    record = await conn.fetchrow(
        "SELECT * FROM intake_message($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        *(getattr(row, name) for name in _COLUMNS),
    )
    return StoredInbound(
        record["message_id"], record["created"], record["customer_id"], record["conversation_id"]
    )


async def store_inbound_batch(conn: Connection, rows: Sequence[InboundRow]) -> list[StoredInbound]:
    """Many messages in one statement, one commit; results in input order. All or nothing:
    if any message fails, none is stored (the caller retries them one by one)."""
    records = await conn.fetch(
        """
        SELECT * FROM intake_messages($1::uuid[], $2::uuid[], $3::text[], $4::text[],
                                      $5::text[], $6::text[]::jsonb[], $7::timestamptz[],
                                      $8::text[], $9::text[], $10::text[],
                                      $11::text[]::jsonb[], $12::text[]::jsonb[])
        ORDER BY idx
        """,
        *(_column(rows, name) for name in _COLUMNS),
    )
    return [
        StoredInbound(r["message_id"], r["created"], r["customer_id"], r["conversation_id"])
        for r in records
    ]
