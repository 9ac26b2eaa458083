"""``trademate user link-code`` (a one-time code that links a Telegram account to a user) and
``trademate staff-bot webhook`` (point the dedicated staff bot at this server)."""

from __future__ import annotations

from datetime import timedelta

import click

from .settings import Settings


async def link_code(settings: Settings, email: str, org_ref: str | None, minutes: int) -> str:
    from storage.db import transaction
    from storage.errors import NotFound
    from storage.repositories import organizations, users

    from .services import open_services
    from .staff_bot.linking import issue_code

    async with open_services(settings) as services, transaction(services.pool) as conn:
        if org_ref is not None:
            org = await organizations.resolve(conn, org_ref)
            user = await users.get_by_email(conn, org.id, email)
        else:
            rows = await conn.fetch(
                "SELECT org_id, id FROM users WHERE lower(email) = lower($1)", email.strip()
            )
            if not rows:
                raise NotFound("user", email)
            if len(rows) > 1:
                raise ValueError(f"{email} is a user in {len(rows)} organizations: pass --org")
            user = await users.get(conn, rows[0]["org_id"], rows[0]["id"])
        if not user.is_active:
            raise ValueError(f"{email} is disabled")
        return await issue_code(conn, user.org_id, user.id, timedelta(minutes=minutes))


async def staff_bot_webhook(settings: Settings) -> str:
    from .staff_bot.dedicated import make_bot, set_webhook
    from .staff_bot.telegram import StaffBotError

    bot = make_bot(settings)
    if bot is None:
        raise ValueError("no staff bot configured: set staff_bot.token (and webhook_secret)")
    try:
        return await set_webhook(settings, bot)
    except StaffBotError as err:
        raise ValueError(f"Telegram refused the webhook: {err}") from err
    finally:
        await bot.session.close()


def register(main: click.Group) -> None:
    user_group = main.commands["user"]
    assert isinstance(user_group, click.Group)

    @user_group.command("link-code")
    @click.argument("email")
    @click.option(
        "--org", "org_ref", help="Organization id or slug (needed if EMAIL is in several)."
    )
    @click.option(
        "--minutes",
        type=click.IntRange(1, 24 * 60),
        default=15,
        show_default=True,
        help="How long the code works.",
    )
    @click.pass_obj
    def user_link_code(obj, email: str, org_ref: str | None, minutes: int) -> None:
        """Print a one-time code; the user sends `/link CODE` to the shop's Telegram bot."""
        from .cli import run

        code = run(link_code(obj.settings, email, org_ref, minutes))
        click.echo(
            f"send this to the shop's Telegram bot within {minutes} minutes: /link {code}",
            err=True,
        )
        click.echo(code)

    @main.group("staff-bot")
    def staff_bot() -> None:
        """The dedicated staff Telegram bot (config staff_bot), when staff don't use the
        shop's own bot."""

    @staff_bot.command("webhook")
    @click.pass_obj
    def staff_bot_set_webhook(obj) -> None:
        """Point the staff bot at {app.public_url}/staff/telegram/webhook with its secret."""
        from .cli import run

        click.echo(run(staff_bot_webhook(obj.settings)))
