"""The staff Telegram bot: linking accounts, staff commands and approval cards, on the same
bot customers use (see :mod:`bot.staff_bot.frontend`) and, when configured, on a dedicated
staff bot (:mod:`bot.staff_bot.dedicated`).

:func:`install` mounts it on the web app: the webhook route hands staff updates to the gate,
and each web process listens for ``suggestion.decided`` events to update cards decided
elsewhere (the web inbox, another process).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from ..approvals import Approvals
    from ..runtime import ChannelRuntime
    from ..services import Services


def install(
    app: web.Application, services: Services, runtime: ChannelRuntime, approvals: Approvals
) -> None:
    # Imported here: bot.cards renders through this package's telegram module, so importing
    # them at package import would be circular.
    from ..cards import Cards
    from ..cli_content import open_studio
    from ..webhooks import STAFF_GATE_KEY
    from .dedicated import ROUTE, DedicatedStaffBot
    from .frontend import StaffGate

    cards = Cards.from_settings(services, runtime.hub)
    gate = StaffGate(services, cards, approvals)
    app[STAFF_GATE_KEY] = gate
    if cards.staff_bot is not None:
        app.router.add_post(ROUTE, DedicatedStaffBot(services, gate, cards.staff_bot).receive)

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        # One content studio (and LLM gateway) for every staff command of the app's life;
        # closed after the answers in flight are done (or, past the wait, cancelled).
        async with open_studio(services) as studio:
            gate.bot.studio = studio
            stop = asyncio.Event()
            listener = asyncio.create_task(cards.listen(stop), name="staff-card-events")
            yield
            stop.set()
            await gate.aclose()  # the dedicated bot's answers too
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await cards.aclose()

    app.cleanup_ctx.append(lifecycle)
