"""The sandbox of ``trademate try``: test channels, customers and conversations of an org.

Sandbox rows are ordinary rows marked ``is_test`` (channels, customers, conversations), so
the real pipeline runs on them unchanged. Anything that counts, nudges or sends must leave
them out: stats, leads and hot leads, follow-ups and campaigns filter ``NOT is_test`` (and a
sandbox channel can't send at all, see migration 0010). ``purge`` deletes all of them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ..db import Connection
from ..models import Channel, Customer, Platform


async def channel(
    conn: Connection,
    org_id: uuid.UUID,
    platform: Platform,
    *,
    config_encrypted: bytes,
    webhook_secret: str,
) -> Channel:
    """The org's sandbox channel on ``platform``, created on first use (disabled, no
    credentials: ``config_encrypted`` should hold an empty config)."""
    record = await conn.fetchrow(
        """
        INSERT INTO channels
            (org_id, platform, name, config_encrypted, webhook_secret, status, is_test)
        VALUES ($1, $2, $3, $4, $5, 'disabled', true)
        ON CONFLICT (org_id, platform) WHERE is_test DO NOTHING
        RETURNING *
        """,
        org_id,
        platform,
        f"sandbox ({platform})",
        config_encrypted,
        webhook_secret,
    )
    if record is None:
        record = await conn.fetchrow(
            "SELECT * FROM channels WHERE org_id = $1 AND platform = $2 AND is_test",
            org_id,
            platform,
        )
    return Channel.from_record(record)


async def latest_customer(conn: Connection, org_id: uuid.UUID, name: str | None) -> Customer | None:
    """The newest sandbox customer with this name, or without one for ``None`` (``/reset``
    makes a newer one)."""
    record = await conn.fetchrow(
        """
        SELECT * FROM customers
        WHERE org_id = $1 AND is_test AND display_name IS NOT DISTINCT FROM $2::text
          AND merged_into_id IS NULL
        ORDER BY created_at DESC, id DESC LIMIT 1
        """,
        org_id,
        name,
    )
    return None if record is None else Customer.from_record(record)


async def create_customer(
    conn: Connection,
    org_id: uuid.UUID,
    channel_id: uuid.UUID,
    name: str | None,
    *,
    language: str | None = None,
) -> Customer:
    """A new sandbox customer with an identity on the sandbox channel. Call in a transaction."""
    record = await conn.fetchrow(
        """
        INSERT INTO customers (org_id, display_name, language, is_test)
        VALUES ($1, $2, $3, true) RETURNING *
        """,
        org_id,
        name,
        language,
    )
    await conn.execute(
        """
        INSERT INTO customer_identities (org_id, customer_id, channel_id, external_id, display_name)
        VALUES ($1, $2, $3, $4, $5)
        """,
        org_id,
        record["id"],
        channel_id,
        f"sandbox:{record['id']}",
        name,
    )
    return Customer.from_record(record)


async def set_language(
    conn: Connection, org_id: uuid.UUID, customer_id: uuid.UUID, language: str
) -> None:
    await conn.execute(
        "UPDATE customers SET language = $3 WHERE org_id = $1 AND id = $2 AND is_test",
        org_id,
        customer_id,
        language,
    )


@dataclass(frozen=True)
class Purged:
    """What ``purge`` deleted, per table, and whose memories they were (their vectors in the
    vector store are the caller's to delete)."""

    counts: dict[str, int]
    customer_ids: list[uuid.UUID]


# Counted before the delete; every one of them goes with its sandbox customer (ON DELETE
# CASCADE from customers, conversations or messages). Fixed SQL, no input in it.
_COUNTS = {
    "customers": "SELECT count(*) FROM customers WHERE org_id = $1 AND is_test",
    "conversations": "SELECT count(*) FROM conversations WHERE org_id = $1 AND is_test",
    "messages": """SELECT count(*) FROM messages m JOIN conversations c
                   ON c.id = m.conversation_id WHERE c.org_id = $1 AND c.is_test""",
    "classifications": """SELECT count(*) FROM message_classifications k
                          JOIN messages m ON m.id = k.message_id
                          JOIN conversations c ON c.id = m.conversation_id
                          WHERE c.org_id = $1 AND c.is_test""",
    "suggestions": """SELECT count(*) FROM reply_suggestions s JOIN conversations c
                      ON c.id = s.conversation_id WHERE c.org_id = $1 AND c.is_test""",
    "memories": """SELECT count(*) FROM memories m JOIN customers c ON c.id = m.customer_id
                   WHERE c.org_id = $1 AND c.is_test""",
    "channels": "SELECT count(*) FROM channels WHERE org_id = $1 AND is_test",
}


async def purge(conn: Connection, org_id: uuid.UUID) -> Purged:
    """Delete every sandbox row of the org. Call inside a transaction."""
    counts = {table: await conn.fetchval(sql, org_id) for table, sql in _COUNTS.items()}
    customer_ids = [
        r["id"]
        for r in await conn.fetch(
            "SELECT id FROM customers WHERE org_id = $1 AND is_test FOR UPDATE", org_id
        )
    ]
    await conn.execute("DELETE FROM customers WHERE org_id = $1 AND is_test", org_id)
    # Conversations cascade from their customer; this catches one on a sandbox channel whose
    # customer is real (none should exist) before the channel delete would cascade to it.
    await conn.execute("DELETE FROM conversations WHERE org_id = $1 AND is_test", org_id)
    await conn.execute("DELETE FROM channels WHERE org_id = $1 AND is_test", org_id)
    return Purged(counts, customer_ids)
