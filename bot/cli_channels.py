"""``trademate channel ...``: the add sub-commands are generated from each adapter's config
model, so a new platform gets its command (and its options, help and required flags) by
registering an adapter — no CLI code to touch."""

from __future__ import annotations

import json
import uuid

import click
from pydantic.fields import FieldInfo

from channels.errors import ChannelError


class _AddGroup(click.Group):
    """Lists and builds one ``add PLATFORM`` command per registered adapter, lazily, so the
    vendor SDKs load only when someone adds a channel."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from channels.registry import platforms

        return platforms()

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from channels.registry import CHANNELS, platforms

        if name not in platforms():
            return None
        return _add_command(name, CHANNELS[name].config_model.model_fields)


def _option(name: str, field: FieldInfo) -> click.Option:
    flag = "--" + name.replace("_", "-")
    kind = field.annotation
    envvar = f"TRADEMATE_CHANNEL_{name.upper()}"  # secrets can stay out of shell history
    help_text = f"{field.description or name} (env {envvar})"
    if kind is bool:
        return click.Option(
            [f"{flag}/--no-{name.replace('_', '-')}", name],
            default=None,
            help=help_text,
        )
    return click.Option(
        [flag, name],
        required=False,  # required-ness is the config model's to judge, with a clear message
        type=int if kind is int else str,
        envvar=envvar,
        help=help_text + (" [required]" if field.is_required() else ""),
    )


def _add_command(platform: str, fields: dict[str, FieldInfo]) -> click.Command:
    def callback(org_ref: str, name: str | None, as_json: bool, **config: object) -> None:
        from .channel_admin import add_channel
        from .cli import run

        values = {k: v for k, v in config.items() if v is not None}
        settings = click.get_current_context().obj.settings  # bot.cli.Context
        try:
            added = run(add_channel(settings, org_ref, platform, name, values))
        except ChannelError as err:
            raise click.ClickException(str(err)) from err
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": str(added.id),
                        "platform": added.platform,
                        "name": added.name,
                        "webhook_url": added.webhook_url,
                        "hint": added.hint,
                        "error": added.registration_error,
                    }
                )
            )
        else:
            click.echo(f"added {platform} channel {added.name!r} to {added.org_slug}: {added.id}")
            click.echo(f"webhook URL: {added.webhook_url}")
            if added.hint:
                click.echo(added.hint)
        if added.registration_error:
            raise click.ClickException(
                f"stored, but the webhook could not be registered: {added.registration_error}"
            )

    params = [
        click.Option(["--org", "org_ref"], required=True, help="Organization id or slug."),
        click.Option(["--name"], help="A name for this channel (default: the platform)."),
        click.Option(["--json", "as_json"], is_flag=True, help="Print JSON."),
        *(_option(name, field) for name, field in fields.items()),
    ]
    return click.Command(
        platform,
        callback=callback,
        params=params,
        help=f"Connect a {platform} account; prints the webhook URL to give the platform.",
    )


def register(main: click.Group) -> None:
    """Attach the ``channel`` group to the main CLI."""

    @main.group()
    def channel() -> None:
        """Connect and check messaging channels."""

    channel.add_command(_AddGroup("add", help="Connect a channel (one sub-command per platform)."))

    @channel.command("list")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_obj
    def channel_list(obj, org_ref: str, as_json: bool) -> None:
        """List an organization's channels and their webhook URLs."""
        from .channel_admin import list_channels
        from .cli import run

        rows = run(list_channels(obj.settings, org_ref))
        if as_json:
            click.echo(json.dumps(rows))
            return
        for row in rows:
            click.echo(
                f"{row['id']}\t{row['platform']}\t{row['name']}\t{row['status']}\t"
                f"{row['webhook_url']}"
            )

    @channel.command("test")
    @click.argument("channel_id", type=click.UUID)
    @click.option("--to", "recipient", required=True, help="Recipient id on the platform.")
    @click.option("--text", default="TradeMate test message ✔", show_default=True)
    @click.pass_obj
    def channel_test(obj, channel_id: uuid.UUID, recipient: str, text: str) -> None:
        """Send a test message through the channel (pacing and retries included)."""
        from .channel_admin import test_channel
        from .cli import run

        try:
            receipt = run(test_channel(obj.settings, channel_id, recipient, text))
        except ChannelError as err:
            raise click.ClickException(f"send failed: {err}") from err
        click.echo(f"sent: platform message id {receipt.external_message_id} ({receipt.status})")
