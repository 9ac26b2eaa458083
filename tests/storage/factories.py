"""Small builders for test rows, so tests say what matters and nothing else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from storage.crypto import SecretBox, generate_key
from storage.db import Connection
from storage.models import Channel, Organization
from storage.repositories import channels, organizations

BOX = SecretBox(generate_key())


async def make_org(conn: Connection, name: str | None = None) -> Organization:
    return await organizations.create(conn, name or f"Shop {uuid.uuid4().hex[:6]}")


async def make_channel(
    conn: Connection, org: Organization, platform: str = "whatsapp", name: str | None = None
) -> Channel:
    return await channels.create(
        conn,
        org.id,
        platform,
        name or f"{platform}-{uuid.uuid4().hex[:6]}",
        config_encrypted=BOX.encrypt({"token": "secret-token"}),
        webhook_secret=uuid.uuid4().hex,
    )


def now() -> datetime:
    return datetime.now(UTC)
