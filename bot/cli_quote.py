"""``trademate quote ...``: draft a quotation for approval, record the customer's answer."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .settings import Settings


async def _create(settings: Settings, org_ref: str, customer_name: str, request: str, out):
    from agents.quotes.service import find_customer
    from storage.repositories import organizations

    from .services import open_services
    from .staff.quotes import quote_service

    async with open_services(settings) as services:
        async with services.pool.acquire() as conn:
            org = await organizations.resolve(conn, org_ref)
            customer = await find_customer(conn, org.id, customer_name)
        created = await quote_service(services).create(org.id, customer.id, request)
    if out is not None:
        out.write_bytes(created.pdf)
    return created


async def _close(settings: Settings, org_ref: str, number: str, outcome: str):
    from storage.repositories import organizations

    from .services import open_services
    from .staff.quotes import quote_service

    async with open_services(settings) as services:
        async with services.pool.acquire() as conn:
            org = await organizations.resolve(conn, org_ref)
        return await quote_service(services).close(org.id, number, outcome)


def register(main: click.Group) -> None:
    """Attach the ``quote`` group to the main CLI."""

    @main.group()
    def quote() -> None:
        """Quotations: drafted from the catalog, sent after approval."""

    @quote.command("create")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option("--customer", "customer_name", required=True, help="Customer name (or part).")
    @click.option("--json", "as_json", is_flag=True, help="Print the quote as JSON.")
    @click.option(
        "--pdf", "out", type=click.Path(dir_okay=False, path_type=Path), help="Also save the PDF."
    )
    @click.argument("request")
    @click.pass_obj
    def quote_create(
        obj, org_ref: str, customer_name: str, as_json: bool, out: Path | None, request: str
    ) -> None:
        """Draft a quote from REQUEST, e.g. "500 x SKU-1, 200 x SKU-2 USD FOB"; it waits for
        approval like a reply draft, then goes to the customer as a PDF."""
        from agents.quotes import QuoteError

        from .cli import run
        from .staff.quotes import summary

        try:
            created = run(_create(obj.settings, org_ref, customer_name, request, out))
        except QuoteError as err:
            raise click.ClickException(str(err)) from err
        if as_json:
            click.echo(json.dumps(created.as_dict(), ensure_ascii=False))
        else:
            click.echo(summary(created))
            click.echo(f"pending approval: suggestion {created.suggestion_id}", err=True)

    for outcome, verb in (("accepted", "accept"), ("rejected", "reject")):

        @quote.command(verb, help=f"Record that the customer {outcome} a sent quote (NUMBER).")
        @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
        @click.argument("number")
        @click.pass_obj
        def quote_close(obj, org_ref: str, number: str, _outcome: str = outcome) -> None:
            from .cli import run

            closed, deal_id = run(_close(obj.settings, org_ref, number, _outcome))
            click.echo(f"{closed.number}\t{closed.status}\tdeal {deal_id or '-'}")
