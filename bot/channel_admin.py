"""Channel use cases behind ``trademate channel ...``: add, list, test."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from channels.errors import ChannelError
from channels.models import ChannelRef, OutboundMessage, SendReceipt
from channels.registry import adapter_class, build_adapter
from channels.retry import deliver
from storage.db import transaction
from storage.repositories import audit, channels, organizations

from .runtime import channel_environment, open_runtime
from .services import open_services
from .settings import Settings


@dataclass(frozen=True)
class AddedChannel:
    id: uuid.UUID
    org_slug: str
    platform: str
    name: str
    webhook_url: str
    hint: str | None  # what the merchant must still do (paste the URL, ...) or None
    registration_error: str | None = None


async def add_channel(
    settings: Settings, org_ref: str, platform: str, name: str | None, config: dict[str, Any]
) -> AddedChannel:
    cls = adapter_class(platform)
    parsed = cls.parse_config(config)  # fails before anything is stored
    stored_config = parsed.model_dump(mode="json", exclude_none=True)
    # Telegram allows 1-256 of [A-Za-z0-9_-] for its secret token; token_urlsafe fits.
    webhook_secret = secrets.token_urlsafe(32)
    async with open_services(settings) as services:
        async with transaction(services.pool) as conn:
            organization = await organizations.resolve(conn, org_ref)
            row = await channels.create(
                conn,
                organization.id,
                platform,
                name or platform,
                config_encrypted=services.secrets.encrypt(stored_config),
                webhook_secret=webhook_secret,
            )
            await audit.record(
                conn,
                organization.id,
                "channel.created",
                actor_kind="system",
                entity_type="channel",
                entity_id=row.id,
                after={"platform": platform, "name": row.name},
            )
        env = channel_environment(settings, services)
        ref = ChannelRef(row.id, organization.id, platform, stored_config, webhook_secret)
        adapter = build_adapter(ref, env)
        hint = error = None
        try:
            hint = await adapter.register_webhook()
        except ChannelError as err:
            error = str(err)
            async with services.pool.acquire() as conn:
                await channels.set_status(conn, organization.id, row.id, "error", last_error=error)
        finally:
            await adapter.aclose()
        return AddedChannel(
            row.id, organization.slug, platform, row.name, env.webhook_url(ref), hint, error
        )


async def list_channels(settings: Settings, org_ref: str) -> list[dict[str, Any]]:
    async with open_services(settings) as services, services.pool.acquire() as conn:
        organization = await organizations.resolve(conn, org_ref)
        rows = await channels.list_for_org(conn, organization.id)
        env = channel_environment(settings, services)
        return [
            {
                "id": str(row.id),
                "platform": row.platform,
                "name": row.name,
                "status": row.status,
                "last_error": row.last_error,
                "webhook_url": env.webhook_url(
                    ChannelRef(row.id, row.org_id, row.platform, {}, "")
                ),
            }
            for row in rows
        ]


async def test_channel(
    settings: Settings, channel_id: uuid.UUID, recipient: str, text: str
) -> SendReceipt:
    """Send one message through the real send path (pacing and retries included)."""
    async with open_services(settings) as services, open_runtime(services) as runtime:
        ref, _, adapter = await runtime.hub.get(channel_id)
        return await deliver(
            adapter,
            OutboundMessage(recipient_id=recipient, text=text),
            pacer=runtime.pacer,
            policy=runtime.sender.policy,
            org_id=ref.org_id,
            channel_id=ref.id,
        )
