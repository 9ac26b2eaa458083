"""The org's live event channel: what the inbox and the staff bot hear about drafts.

Events (``suggestion.created``, ``suggestion.decided``) are nudges over Redis pub/sub: pages
and cards also read the database, so a lost event costs freshness, never data. That is why
publishing logs a Redis failure instead of raising.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from .redis_client import Keys

log = logging.getLogger(__name__)

_CHANNEL = "events"


def channel(keys: Keys, org_id: uuid.UUID) -> str:
    """The pub/sub channel of one org's events."""
    return keys.org(org_id, _CHANNEL)


def every_org_pattern(keys: Keys) -> str:
    """A PSUBSCRIBE pattern for every org's events (the card refresher listens to all)."""
    # The key builder wants a real org id; swap it for the wildcard.
    placeholder = uuid.UUID(int=0)
    return channel(keys, placeholder).replace(str(placeholder), "*")


def org_of(channel_name: str | bytes) -> uuid.UUID:
    """The org id inside a channel name built by :func:`channel` (ValueError otherwise)."""
    text = channel_name.decode() if isinstance(channel_name, bytes) else channel_name
    return uuid.UUID(text.split(":")[-2])


async def publish(
    redis: aioredis.Redis, keys: Keys, org_id: uuid.UUID, event: dict[str, Any]
) -> None:
    """Publish ``event`` on the org's channel; a Redis failure is logged, not raised."""
    try:
        await redis.publish(channel(keys, org_id), json.dumps(event))
    except (RedisError, OSError) as err:  # the inbox also polls; an event is a nudge
        log.warning("could not publish %s for org %s: %s", event.get("type"), org_id, err)
