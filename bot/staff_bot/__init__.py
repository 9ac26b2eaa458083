"""The staff Telegram bot: linking accounts, staff commands and approval cards on the same
bot customers use (see :mod:`bot.staff_bot.frontend`).

:func:`install` mounts it on the web app: the webhook route hands staff updates to the gate,
and each web process listens for ``suggestion.decided`` events to update cards decided
elsewhere (the web inbox, another process).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from ..approvals import Approvals
from ..runtime import ChannelRuntime
from ..services import Services
from ..webhooks import STAFF_GATE_KEY
from .frontend import StaffGate


def install(
    app: web.Application, services: Services, runtime: ChannelRuntime, approvals: Approvals
) -> None:
    from ..cards import Cards  # cards imports this package's telegram module: import late

    cards = Cards(services, runtime.hub)
    gate = StaffGate(services, cards, approvals)
    app[STAFF_GATE_KEY] = gate

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        listener = asyncio.create_task(cards.listen(stop), name="staff-card-events")
        yield
        stop.set()
        await gate.aclose()
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener

    app.cleanup_ctx.append(lifecycle)
