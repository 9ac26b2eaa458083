"""``trademate products ...``: import the catalog quotes are priced from, and list it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .settings import Settings


async def _import(settings: Settings, org_ref: str, path: Path):
    from agents.quotes.catalog import import_catalog
    from storage.repositories import organizations

    from .services import open_services

    async with open_services(settings) as services:
        async with services.pool.acquire() as conn:
            org = await organizations.resolve(conn, org_ref)
        return await import_catalog(
            services.pool, org.id, path, default_currency=org.default_currency
        )


async def _list(settings: Settings, org_ref: str):
    from storage.repositories import organizations, products

    from .services import open_services

    async with open_services(settings) as services, services.pool.acquire() as conn:
        org = await organizations.resolve(conn, org_ref)
        return await products.active(conn, org.id)


def register(main: click.Group) -> None:
    """Attach the ``products`` group to the main CLI."""

    @main.group()
    def products() -> None:
        """The merchant's catalog: prices in quotes come from here only."""

    @products.command("import")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.pass_obj
    def products_import(obj, org_ref: str, as_json: bool, path: Path) -> None:
        """Upsert products by SKU from a .csv or .xlsx file with columns SKU, name, name_en,
        description, price, currency, MOQ, unit, specs, keywords, selling points (SKU and
        name required; English, Chinese and Spanish headers, any case, "Price (USD)" style
        headers and ; or tab separated CSV work; other columns are ignored).

        A price may carry its currency ("€12,50", "US$1,200.50"); "N/A" or "POA" imports
        the product without a price. A SKU on several rows is imported from its last row.

        specs is "key: value; key: value" (free text without a colon is kept as notes:
        "80% organic cotton; sizes S/M/L") or a JSON object; keywords are separated by
        commas or semicolons.

        Bad rows are reported and skipped (exit code 1); the others are imported."""
        from agents.quotes import CatalogError

        from .cli import run

        try:
            report = run(_import(obj.settings, org_ref, path))
        except CatalogError as err:
            raise click.ClickException(str(err)) from err
        if as_json:
            click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            click.echo(f"created {report.created}, updated {report.updated}")
            for error in report.errors:
                click.echo(f"skipped {error}", err=True)
            for warning in report.warnings:
                click.echo(f"warning: {warning}", err=True)
        if report.errors:
            click.get_current_context().exit(1)

    @products.command("list")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.pass_obj
    def products_list(obj, org_ref: str) -> None:
        """SKU, price, currency, MOQ and name of every active product."""
        from agents.quotes.labels import amount

        from .cli import run

        for p in run(_list(obj.settings, org_ref)):
            price = "-" if p.price is None else amount(p.price, 4)
            click.echo(f"{p.sku}\t{price}\t{p.currency}\t{p.moq or '-'}\t{p.name}")
