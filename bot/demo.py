"""``trademate demo``: the whole product on embedded defaults, with no accounts anywhere.

Today it starts the servers, applies the schema, creates (or reuses) a demo merchant with an
owner and an agent, prints how to reach it, and serves. Later features extend the story.
"""

from __future__ import annotations

import asyncio
import logging
import signal

import click

from storage.db import transaction
from storage.errors import NotFound
from storage.repositories import audit, organizations, users

from .agent_runtime import open_pipeline
from .passwords import hash_password
from .roles import RoleContext, run_roles
from .runtime import open_runtime
from .services import Services, open_services
from .settings import Settings

log = logging.getLogger(__name__)

DEMO_SLUG = "demo-trading-co"
DEMO_NAME = "Demo Trading Co."
DEMO_STAFF = (
    ("owner@demo.trademate.local", "owner", "Olivia Owner"),
    ("agent@demo.trademate.local", "agent", "Alex Agent"),
)
# A demo needs a password people can type; it only ever guards local demo data.
DEMO_PASSWORD = "demo-password"


async def run_demo(settings: Settings, *, serve: bool, port: int | None) -> None:
    async with (
        open_services(settings, run_migrations=True, with_vectors=True) as services,
        open_runtime(services) as runtime,
        open_pipeline(services, runtime) as pipeline,
    ):
        organization = await ensure_demo_org(services)
        host = settings.server.host
        port = settings.server.port if port is None else port
        _say(f"Demo merchant: {organization.name} (slug {organization.slug})")
        _say(f"  org id       {organization.id}")
        for email, role, _ in DEMO_STAFF:
            _say(f"  staff login  {email} / {DEMO_PASSWORD}  ({role})")
        _say(f"Database: embedded={settings.uses_embedded_database}; data in {settings.data_dir}")
        if not serve:
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        bound: asyncio.Future[int] = loop.create_future()
        roles_task = asyncio.create_task(
            run_roles(
                RoleContext(services, runtime, host, port, stop, bound, pipeline),
                settings.server.roles,
            )
        )
        done, _ = await asyncio.wait({bound, roles_task}, return_when=asyncio.FIRST_COMPLETED)
        if bound in done:
            _say(f"Serving on http://{host}:{bound.result()}  (health: /healthz) - Ctrl+C to stop")
        await roles_task


async def ensure_demo_org(services: Services):
    """The demo merchant and its staff, created once and reused on later runs."""
    async with transaction(services.pool) as conn:
        try:
            organization = await organizations.resolve(conn, DEMO_SLUG)
        except NotFound:
            organization = await organizations.create(
                conn, DEMO_NAME, plan="pro", timezone="Asia/Shanghai", default_language="en"
            )
            await audit.record(
                conn,
                organization.id,
                "organization.created",
                actor_kind="system",
                entity_type="organization",
                entity_id=organization.id,
                after={"name": organization.name, "demo": True},
            )
        for email, role, name in DEMO_STAFF:
            try:
                await users.get_by_email(conn, organization.id, email)
            except NotFound:
                await users.create(
                    conn,
                    organization.id,
                    email,
                    role,
                    password_hash=hash_password(DEMO_PASSWORD),
                    display_name=name,
                )
        return organization


def _say(text: str) -> None:
    click.echo(text)
