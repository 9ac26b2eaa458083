"""Rows for follow-up tests: an org with a channel, customers with a conversation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from agents.followups.config import FollowupConfig
from bot.followup_settings import service_window_hours, template_platforms
from storage.db import Connection
from storage.models import Channel, Organization
from tests.storage.factories import make_channel, make_org

# A fixed "now" for the controllable clock: Wednesday 2026-03-04 14:00 UTC.
NOW = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
CONFIG = FollowupConfig(
    silent_days=3,
    quiet_start=21,
    quiet_end=9,
    quote_reminder_days=2,
    service_window_hours=service_window_hours(),  # from the channel adapters, as in production
    template_platforms=template_platforms(),
)


@dataclass
class Shop:
    org: Organization
    channel: Channel


async def make_shop(conn: Connection, platform: str = "whatsapp") -> Shop:
    org = await make_org(conn)
    return Shop(org, await make_channel(conn, org, platform))


async def make_customer(
    conn: Connection,
    shop: Shop,
    *,
    name: str = "Ana",
    status: str = "lead",
    language: str | None = "en",
    timezone: str | None = "UTC",
    last_inbound_at: datetime | None = None,
    is_test: bool = False,
) -> tuple[uuid.UUID, uuid.UUID]:
    """A customer with one conversation on the shop's channel; returns (customer, conversation)."""
    customer_id = await conn.fetchval(
        """
        INSERT INTO customers (org_id, display_name, status, language, timezone,
                               last_inbound_at, is_test)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
        """,
        shop.org.id,
        name,
        status,
        language,
        timezone,
        last_inbound_at,
        is_test,
    )
    conversation_id = await conn.fetchval(
        """
        INSERT INTO conversations (org_id, customer_id, channel_id, last_inbound_at,
                                   last_message_at, is_test)
        VALUES ($1, $2, $3, $4, $4, $5) RETURNING id
        """,
        shop.org.id,
        customer_id,
        shop.channel.id,
        last_inbound_at,
        is_test,
    )
    return customer_id, conversation_id


async def add_message(
    conn: Connection,
    shop: Shop,
    conversation_id: uuid.UUID,
    direction: str,
    at: datetime,
    text: str = "hello",
    sender_type: str | None = None,
) -> uuid.UUID:
    return await conn.fetchval(
        """
        INSERT INTO messages (org_id, conversation_id, channel_id, direction, sender_type,
                              content, created_at, status)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
        """,
        shop.org.id,
        conversation_id,
        shop.channel.id,
        direction,
        sender_type or ("customer" if direction == "inbound" else "agent"),
        text,
        at,
        "received" if direction == "inbound" else "sent",
    )
