"""``trademate customer add|link|list``: CRM customers staff enter by hand (customers who
write on a channel are created by intake), e.g. to draft a quote for someone met at a fair.
``link`` gives a customer added without ``--channel`` their account on a channel afterwards."""

from __future__ import annotations

import json
import uuid
from typing import Any

import click

from .settings import Settings


async def _add(settings: Settings, org_ref: str, name: str, fields: dict, reach):
    from storage.db import transaction
    from storage.repositories import channels, customers, organizations

    from .services import open_services

    async with open_services(settings) as services, transaction(services.pool) as conn:
        org = await organizations.resolve(conn, org_ref)
        channel = None
        if reach is not None:
            channel = await channels.get(conn, org.id, reach[0])  # NotFound for another org's
        customer = await customers.create(conn, org.id, name, **fields)
        if channel is not None:
            contact = _address(channel.platform, reach[1])
            await customers.reach_on(conn, org.id, customer.id, channel.id, contact)
        return customer, channel


async def _link(settings: Settings, org_ref: str, customer_ref: str, channel_id, contact: str):
    """Record the customer's account on the channel and open their conversation there;
    returns (customer, channel, address, whether it was linked already)."""
    from storage.db import transaction
    from storage.repositories import channels, customers, organizations

    from .services import open_services

    async with open_services(settings) as services, transaction(services.pool) as conn:
        org = await organizations.resolve(conn, org_ref)
        customer = await _customer(conn, org.id, customer_ref)
        channel = await channels.get(conn, org.id, channel_id)  # NotFound for another org's
        address = _address(channel.platform, contact)
        known = await customers.identities(conn, org.id, customer.id)
        already = any(i.channel_id == channel.id and i.external_id == address for i in known)
        # Conflict (naming the holder) when the account is another customer's: two customers
        # can't share one sender, intake would only ever find the first.
        await customers.reach_on(conn, org.id, customer.id, channel.id, address)
        return customer, channel, address, already


async def _customer(conn, org_id: uuid.UUID, ref: str):
    """The customer ``ref`` designates: an id, or a name as ``quote create --customer``."""
    from agents.quotes import QuoteError
    from agents.quotes.service import find_customer
    from storage.repositories import customers

    try:
        customer_id = uuid.UUID(ref.strip())
    except ValueError:
        try:
            return await find_customer(conn, org_id, ref)
        except QuoteError as err:
            raise click.ClickException(str(err)) from err
    customer = await customers.get(conn, org_id, customer_id)  # NotFound for another org's
    if customer.merged_into_id is not None:
        raise click.ClickException(
            f"customer {customer.id} was merged into {customer.merged_into_id}: link that one"
        )
    if customer.is_test:
        raise click.ClickException(f"customer {customer.id} is a `trademate try` sandbox customer")
    return customer


def _address(platform: str, contact: str) -> str:
    """The account as intake stores the sender, or their next message makes a second
    customer (a WhatsApp number typed ``+34 600...`` is stored ``whatsapp:+34600...``)."""
    from channels.registry import adapter_class

    try:
        return adapter_class(platform).contact_address(contact)
    except ValueError as err:
        raise click.UsageError(f"--contact: {err}") from err


async def _list(settings: Settings, org_ref: str):
    from storage.repositories import customers, organizations

    from .services import open_services

    async with open_services(settings) as services, services.pool.acquire() as conn:
        org = await organizations.resolve(conn, org_ref)
        return await customers.list_for_org(conn, org.id)


def _as_dict(customer) -> dict[str, Any]:
    return {
        "id": str(customer.id),
        "name": customer.display_name,
        "company": customer.company,
        "language": customer.language,
        "country": customer.country,
        "email": customer.email,
        "phone": customer.phone,
        "status": customer.status,
    }


def register(main: click.Group) -> None:
    """Attach the ``customer`` group to the main CLI."""

    @main.group()
    def customer() -> None:
        """The merchant's customers (CRM): add one by hand, link them to a channel, list them."""

    @customer.command("add")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.argument("name")
    @click.option("--language", help="Reply and quote language, e.g. es, zh, en.")
    @click.option("--country", help="Country code, e.g. ES.")
    @click.option("--email")
    @click.option("--phone")
    @click.option("--company")
    @click.option(
        "--channel",
        "channel_id",
        type=click.UUID,
        help="A channel id (`channel list`) to reach them on; needs --contact.",
    )
    @click.option(
        "--contact",
        help="Their account on that channel: Telegram chat id, whatsapp:+34..., WeChat OpenID.",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the customer as JSON.")
    @click.pass_obj
    def customer_add(
        obj,
        org_ref: str,
        name: str,
        language: str | None,
        country: str | None,
        email: str | None,
        phone: str | None,
        company: str | None,
        channel_id: uuid.UUID | None,
        contact: str | None,
        as_json: bool,
    ) -> None:
        """Add a customer and print their id. Quotes are sent on a conversation, so give
        --channel and --contact to quote someone who has not written to you yet."""
        from .cli import run

        if (channel_id is None) != (contact is None):
            raise click.UsageError("--channel and --contact go together")
        if not name.strip():
            raise click.UsageError("NAME must not be blank")
        fields = {
            "language": language.strip().lower() if language else None,
            "country": country.strip().upper() if country else None,
            "email": email,
            "phone": phone,
            "company": company,
        }
        reach = None if channel_id is None else (channel_id, contact.strip())
        created, channel = run(_add(obj.settings, org_ref, name.strip(), fields, reach))
        if as_json:
            data = _as_dict(created)
            data["channel"] = None if channel is None else str(channel.id)
            click.echo(json.dumps(data, ensure_ascii=False))
            return
        where = f" (reachable on {channel.platform} {channel.name})" if channel else ""
        click.echo(f"added customer {created.display_name!r}{where}", err=True)
        if channel is None:
            click.echo(
                "no channel account given: a quote needs one (--channel ID --contact ID, or"
                " later `trademate customer link`)",
                err=True,
            )
        click.echo(str(created.id))

    @customer.command("link")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.argument("customer_ref", metavar="CUSTOMER")
    @click.option(
        "--channel",
        "channel_id",
        type=click.UUID,
        required=True,
        help="A channel id (`channel list`) to reach them on.",
    )
    @click.option(
        "--contact",
        required=True,
        help="Their account on that channel: Telegram chat id, whatsapp:+34..., WeChat OpenID.",
    )
    @click.pass_obj
    def customer_link(
        obj, org_ref: str, customer_ref: str, channel_id: uuid.UUID, contact: str
    ) -> None:
        """Give CUSTOMER (an id, or a name as in `quote create --customer`) their account on a
        channel, so quotes can be sent to them: for a customer added without --channel.
        Refused if the account is already another customer's. Prints the customer id."""
        from .cli import run

        found, channel, address, already = run(
            _link(obj.settings, org_ref, customer_ref, channel_id, contact)
        )
        name = found.display_name or found.company or str(found.id)
        what = "was already linked to" if already else "linked to"
        click.echo(f"{name!r} {what} {channel.platform} {channel.name} as {address}", err=True)
        click.echo(str(found.id))

    @customer.command("list")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
    @click.pass_obj
    def customer_list(obj, org_ref: str, as_json: bool) -> None:
        """Id, name, language, country, e-mail and phone of each customer, newest first
        (sandbox customers of `trademate try` are not listed)."""
        from .cli import run

        for found in run(_list(obj.settings, org_ref)):
            if as_json:
                click.echo(json.dumps(_as_dict(found), ensure_ascii=False))
                continue
            cells = (found.display_name, found.language, found.country, found.email, found.phone)
            click.echo("\t".join([str(found.id), *(c or "-" for c in cells)]))
