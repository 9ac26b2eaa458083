"""Concurrent lookups of one channel on a cold cache share one adapter.

Regression: each lookup that missed the cache built its own adapter after reading the row,
and the last one replaced the others in the cache without closing them: the web log showed
"Unclosed client session" after two staff pressed Approve at once (two webhooks and a card
edit looked the shop's bot up together)."""

from __future__ import annotations

import asyncio
import uuid

from channels.base import ChannelEnvironment
from channels.hub import ChannelHub
from storage.db import transaction
from storage.repositories import channels
from tests.fakes.telegram_api import DEFAULT_TOKEN
from tests.storage.factories import BOX, make_org


async def test_concurrent_lookups_build_one_adapter(pool):
    async with transaction(pool) as conn:
        org = await make_org(conn)
        row = await channels.create(
            conn, org.id, "telegram", "shop-bot",
            config_encrypted=BOX.encrypt({"bot_token": DEFAULT_TOKEN}),
            webhook_secret=uuid.uuid4().hex,
        )  # fmt: skip
    hub = ChannelHub(pool, BOX, ChannelEnvironment())
    try:
        found = await asyncio.gather(*(hub.get(row.id) for _ in range(8)))
        adapters = {id(adapter) for _, _, adapter in found}
        assert len(adapters) == 1
        assert hub._retired == []  # nothing dropped on the floor either
    finally:
        await hub.aclose()
