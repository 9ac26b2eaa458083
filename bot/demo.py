"""``trademate demo``: the whole product on embedded defaults, with no accounts anywhere.

It starts the servers, applies the schema, and sets up (once; reused on later runs) a demo
merchant: an owner and an agent with passwords, a catalog, FAQs in the knowledge base, and
Telegram, WhatsApp and WeChat channels whose platform APIs are a local sandbox that records
what we send. Then it serves, and simulated customers write through the real signed webhook
path while the terminal narrates what happens (see :mod:`bot.demo_story`).
"""

from __future__ import annotations

import asyncio
import csv
import logging
import secrets
import signal
from decimal import Decimal
from pathlib import Path

import click

from agents.pipeline import Pipeline
from channels.models import ChannelRef
from storage.db import transaction
from storage.errors import NotFound
from storage.repositories import audit, channels, organizations, users
from storage.repositories import products as product_repo

from . import sandbox
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
DEMO_DATA = Path(__file__).parent / "demo_data"
# The staff's Telegram accounts in the sandbox (approval cards go there).
DEMO_STAFF_TELEGRAM = {"owner@demo.trademate.local": 900001, "agent@demo.trademate.local": 900002}
DEMO_CHANNELS = {
    "telegram": {"bot_token": sandbox.TELEGRAM_TOKEN, "bot_username": "demo_shop_bot"},
    "whatsapp": {
        "account_sid": sandbox.TWILIO_ACCOUNT_SID,
        "auth_token": sandbox.TWILIO_AUTH_TOKEN,
        "from_number": sandbox.TWILIO_FROM,
    },
    "wechat": {
        "app_id": sandbox.WECHAT_APP_ID,
        "app_secret": sandbox.WECHAT_APP_SECRET,
        "token": sandbox.WECHAT_TOKEN,
    },
}


def with_sandbox(settings: Settings, base_url: str) -> Settings:
    """The settings with every platform API pointed at the sandbox."""
    api_base = {platform: base_url for platform in DEMO_CHANNELS}
    return settings.model_copy(
        update={"channels": settings.channels.model_copy(update={"api_base": api_base})}
    )


async def run_demo(
    settings: Settings, *, serve: bool, port: int | None, story: bool = True, once: bool = False
) -> None:
    from .demo_story import Narrator

    narrator = Narrator()
    async with sandbox.SandboxAPIs(on_send=narrator.sandbox_received) as apis:
        settings = with_sandbox(settings, apis.base_url)
        async with (
            open_services(settings, run_migrations=True, with_vectors=True) as services,
            open_runtime(services) as runtime,
            open_pipeline(services, runtime) as pipeline,
        ):
            organization = await ensure_demo_org(services)
            await ensure_demo_catalog(services, organization.id)
            faqs = await ensure_demo_knowledge(services, organization.id, pipeline)
            refs = await ensure_demo_channels(services, organization.id)
            _say(f"Demo merchant: {organization.name} (slug {organization.slug})")
            _say(f"  org id       {organization.id}")
            _say(f"  knowledge    {faqs} FAQs; catalog: BTL-500, BTL-750, MUG-350")
            _say(f"  channels     {', '.join(sorted(refs))} (sandbox APIs at {apis.base_url})")
            for email, role, _ in DEMO_STAFF:
                _say(f"  staff login  {email} / {DEMO_PASSWORD}  ({role})")
            _say(f"Data: embedded={settings.uses_embedded_database}; in {settings.data_dir}")
            if not serve:
                return
            await _serve(services, runtime, pipeline, settings, port, refs, narrator, story, once)


async def _serve(services, runtime, pipeline, settings, port, refs, narrator, story, once):
    from .demo_story import play

    host = settings.server.host
    port = settings.server.port if port is None else port
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
    if bound not in done:
        await roles_task  # it failed to start: raise its error
        return
    base_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{bound.result()}"
    _say(f"Serving on {base_url}  (health: /healthz) - Ctrl+C to stop")
    try:
        if story:
            # The narration is the demo's output; the service's INFO lines would bury it.
            logging.getLogger().setLevel(logging.WARNING)
            await play(services, runtime, base_url, refs, narrator)
        login = f"log in as {DEMO_STAFF[1][0]} / {DEMO_PASSWORD}"
        if once:
            # The server stops right after this line: a URL would be a dead link.
            _say(
                "Walkthrough done (--once): the server has stopped. For the web inbox, run "
                f"`make demo` (or `trademate demo`), which keeps serving, and open /inbox ({login})"
            )
            stop.set()
        else:
            _say(f"Web inbox: {base_url}/inbox  ({login})")
    finally:
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
                user = await users.get_by_email(conn, organization.id, email)
            except NotFound:
                user = await users.create(
                    conn,
                    organization.id,
                    email,
                    role,
                    password_hash=hash_password(DEMO_PASSWORD),
                    display_name=name,
                )
            if user.telegram_user_id is None:
                # Linked to a sandbox Telegram account, so approval cards have somewhere to go.
                await users.link_telegram(
                    conn, organization.id, user.id, DEMO_STAFF_TELEGRAM[email]
                )
        return organization


async def ensure_demo_catalog(services: Services, org_id) -> None:
    with (DEMO_DATA / "catalog.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    async with transaction(services.pool) as conn:
        for row in rows:
            await product_repo.upsert(
                conn,
                org_id,
                sku=row["sku"],
                name=row["name"],
                name_en=row["name_en"],
                description=row["description"],
                price=Decimal(row["price"]),
                currency=row["currency"],
                moq=int(row["moq"]),
                unit=row["unit"],
                keywords=row["keywords"].split(";"),
            )


async def ensure_demo_knowledge(services: Services, org_id, pipeline: Pipeline) -> int:
    """The demo FAQs in the knowledge base (ingestion skips an unchanged file), embedded with
    the pipeline's own encoders rather than a second copy of the model."""
    from agents.knowledge.ingest import Ingestor

    indexer = pipeline.corpus_indexer
    assert indexer is not None  # open_pipeline always sets it
    ingestor = Ingestor(services.pool, services.require_vectors(), indexer.embedder, indexer.sparse)
    await ingestor.ingest_path(org_id, DEMO_DATA / "faqs.csv")
    async with services.pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM faqs WHERE org_id = $1", org_id)


async def ensure_demo_channels(services: Services, org_id) -> dict[str, ChannelRef]:
    """One channel per platform, named ``demo-<platform>``, pointing at the sandbox."""
    refs: dict[str, ChannelRef] = {}
    async with transaction(services.pool) as conn:
        existing = {row.name: row for row in await channels.list_for_org(conn, org_id)}
        for platform, config in DEMO_CHANNELS.items():
            name = f"demo-{platform}"
            row = existing.get(name)
            if row is not None:  # the demo owns these rows: keep their config current
                await conn.execute(
                    "UPDATE channels SET config_encrypted = $2 WHERE id = $1",
                    row.id,
                    services.secrets.encrypt(config),
                )
            else:
                row = await channels.create(
                    conn,
                    org_id,
                    platform,
                    name,
                    config_encrypted=services.secrets.encrypt(config),
                    webhook_secret=secrets.token_urlsafe(32),
                )
            refs[platform] = ChannelRef(row.id, org_id, platform, config, row.webhook_secret)
    return refs


def _say(text: str) -> None:
    click.echo(text)
