"""The roles a process can run: ``web`` (HTTP), ``worker`` and ``scheduler``.

A registry maps each role name to a coroutine that runs until the stop event is set. One
process may run several roles (the small-shop default runs all three); a bigger
deployment runs one role per process, several processes per role.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import web

from channels.registry import platforms

from .runtime import ChannelRuntime
from .server import build_web_app
from .services import Services
from .worker import MessageHandler, no_pipeline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoleContext:
    services: Services
    runtime: ChannelRuntime
    host: str
    port: int
    stop: asyncio.Event
    # Set by the web role once it listens: the actual port (useful with port 0).
    bound: asyncio.Future[int] | None = None
    handler: MessageHandler = no_pipeline


RoleRunner = Callable[[RoleContext], Awaitable[None]]


async def run_web(ctx: RoleContext) -> None:
    # Import every adapter (and its vendor SDK: aiogram alone takes seconds) now, not inside
    # the first webhook, where it would stall the event loop for every request in flight.
    platforms()
    runner = web.AppRunner(
        build_web_app(ctx.services, ctx.runtime),
        shutdown_timeout=ctx.services.settings.server.shutdown_timeout,
        access_log=None,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, ctx.host, ctx.port)
        try:
            await site.start()
        except OSError as err:  # port in use, address not ours: a message, not a traceback
            raise ValueError(f"web role cannot listen on {ctx.host}:{ctx.port}: {err}") from err
        port = runner.addresses[0][1]
        log.info("web role listening on http://%s:%d", ctx.host, port)
        if ctx.bound is not None and not ctx.bound.done():
            ctx.bound.set_result(port)
        await ctx.stop.wait()
    finally:
        await runner.cleanup()


async def run_worker(ctx: RoleContext) -> None:
    await ctx.runtime.worker(ctx.services, ctx.handler).run(ctx.stop)


async def run_scheduler(ctx: RoleContext) -> None:
    from .cards import Cards
    from .scheduler import SweepScheduler  # APScheduler and the sweeps load only when used

    # Follow-up drafts reach on-duty staff as approval cards, like reply drafts (through the
    # dedicated staff bot when one is configured).
    cards = None if ctx.runtime is None else Cards.from_settings(ctx.services, ctx.runtime.hub)
    try:
        notifier = None if cards is None else cards.push
        await SweepScheduler(ctx.services, notifier=notifier).run(ctx.stop)
    finally:
        if cards is not None:
            await cards.aclose()


ROLES: dict[str, RoleRunner] = {
    "web": run_web,
    "worker": run_worker,
    "scheduler": run_scheduler,
}


async def run_roles(ctx: RoleContext, roles: Sequence[str]) -> None:
    """Run the named roles side by side until ``ctx.stop`` is set or one of them fails."""
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)}; known: {', '.join(ROLES)}")
    try:
        async with asyncio.TaskGroup() as group:
            for role in dict.fromkeys(roles):  # keep order, drop repeats
                group.create_task(ROLES[role](ctx), name=f"role:{role}")
    except ExceptionGroup as failed:
        # The first role to fail stopped the others: raise its own error, so the CLI's
        # known errors (ValueError, StorageError...) print as a message, not a group trace.
        raise failed.exceptions[0] from failed
