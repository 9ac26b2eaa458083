"""The aiohttp application: health endpoints now; webhooks and the web inbox mount here."""

from __future__ import annotations

import logging

from aiohttp import web
from redis.exceptions import RedisError

from .approvals import Approvals
from .media import add_media_routes
from .outbox import ChannelOutbox
from .runtime import ChannelRuntime
from .services import Services
from .staff_bot import install as install_staff_bot
from .web import add_inbox_routes
from .webhooks import HUB_KEY, INTAKE_KEY, PUBLIC_URL_KEY, add_webhook_routes

log = logging.getLogger(__name__)

SERVICES_KEY = web.AppKey("services", Services)
# The one decision path for every front end mounted on this app (staff bot, web inbox).
APPROVALS_KEY = web.AppKey("approvals", Approvals)


def build_web_app(services: Services, runtime: ChannelRuntime) -> web.Application:
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[SERVICES_KEY] = services
    app[APPROVALS_KEY] = Approvals(services, ChannelOutbox(services.pool, runtime.outbound_queue))
    app[HUB_KEY] = runtime.hub
    app[INTAKE_KEY] = runtime.intake
    app[PUBLIC_URL_KEY] = services.settings.app.public_url
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    add_webhook_routes(app)
    add_media_routes(app, services)
    install_staff_bot(app, services, runtime, app[APPROVALS_KEY])
    add_inbox_routes(app, services, app[APPROVALS_KEY])
    return app


async def index(request: web.Request) -> web.Response:
    name = request.app[SERVICES_KEY].settings.app.name
    return web.json_response({"service": name, "health": "/healthz"})


async def healthz(request: web.Request) -> web.Response:
    """200 when PostgreSQL and Redis answer, 503 naming what doesn't (for load balancers)."""
    services = request.app[SERVICES_KEY]
    checks: dict[str, str] = {}
    try:
        async with services.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
        checks["postgres"] = "ok"
    except Exception as err:  # noqa: BLE001 - asyncpg raises many types; report, don't crash
        checks["postgres"] = f"error: {err}"
    try:
        await services.redis.ping()
        checks["redis"] = "ok"
    except (RedisError, OSError) as err:
        checks["redis"] = f"error: {err}"
    healthy = all(value == "ok" for value in checks.values())
    if not healthy:
        log.warning("health check failed: %s", checks)
    return web.json_response(
        {"status": "ok" if healthy else "degraded", "checks": checks},
        status=200 if healthy else 503,
    )
