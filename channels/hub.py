"""Channel lookup for the webhook and send paths: rows → decrypted refs → live adapters.

Webhooks name only a channel id, at up to thousands of requests a second, so refs and
adapters are cached per process for a short time (``ttl``): a config change reaches every
process within that time without any cross-process invalidation.
"""

from __future__ import annotations

import time
import uuid

import asyncpg

from storage.crypto import SecretBox
from storage.errors import NotFound
from storage.repositories import channels as channel_repo

from .base import ChannelAdapter, ChannelEnvironment
from .models import ChannelRef
from .registry import build_adapter


class ChannelHub:
    def __init__(
        self, pool: asyncpg.Pool, secrets: SecretBox, env: ChannelEnvironment, *, ttl: float = 30
    ) -> None:
        self.pool = pool
        self.secrets = secrets
        self.env = env
        self.ttl = ttl
        self._cache: dict[uuid.UUID, tuple[float, ChannelRef, str, ChannelAdapter]] = {}
        self._retired: list[ChannelAdapter] = []

    async def get(self, channel_id: uuid.UUID) -> tuple[ChannelRef, str, ChannelAdapter]:
        """(ref, status, adapter) for a channel; raises storage NotFound for unknown ids."""
        cached = self._cache.get(channel_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1], cached[2], cached[3]
        async with self.pool.acquire() as conn:
            row = await channel_repo.get_for_webhook(conn, channel_id)
        ref = ChannelRef(
            id=row.id,
            org_id=row.org_id,
            platform=row.platform,
            config=self.secrets.decrypt(row.config_encrypted),
            webhook_secret=row.webhook_secret,
        )
        # Read again after the await: another task may have cached this channel meanwhile
        # (a burst of webhooks and card edits on a cold cache); building a second adapter
        # then would drop one with its HTTP session still open.
        cached = self._cache.get(channel_id)
        if cached is not None and cached[1] == ref:
            adapter = cached[3]  # unchanged config: keep the adapter and its HTTP session
        else:
            adapter = build_adapter(ref, self.env)
            if cached is not None:
                self._retired.append(cached[3])  # may be mid-send; closed at aclose()
        self._cache[channel_id] = (time.monotonic() + self.ttl, ref, row.status, adapter)
        return ref, row.status, adapter

    async def adapter_for(self, org_id: uuid.UUID, channel_id: uuid.UUID) -> ChannelAdapter:
        ref, _, adapter = await self.get(channel_id)
        if ref.org_id != org_id:
            raise NotFound("channel", channel_id)  # exists, but not for this org
        return adapter

    async def aclose(self) -> None:
        adapters = [entry[3] for entry in self._cache.values()] + self._retired
        self._cache.clear()
        self._retired.clear()
        for adapter in adapters:
            await adapter.aclose()
