"""Staff commands for the catalog and quotations.

``/products`` lists the catalog; ``/quote CUSTOMER 500 x SKU-1, 200 x SKU-2 USD FOB`` drafts
a quote and answers with its PDF and the same Approve/Reject buttons as reply cards (the
approval flow sends it, see :func:`bot.media.send_quote`); ``/quote_accept`` and
``/quote_reject`` record the customer's answer (acceptance wins the deal).
"""

from __future__ import annotations

import re
from decimal import Decimal

from agents.quotes import QuoteError
from agents.quotes.labels import amount, quantity
from agents.quotes.parser import spelled_quantities
from agents.quotes.service import CreatedQuote, QuoteService, find_customer
from agents.quotes.terms import QuoteDefaults
from storage.errors import Conflict, NotFound
from storage.repositories import products

from .. import media  # noqa: F401 - registers the 'quote' sender with the approval flow
from ..services import Services
from .commands import Button, CommandContext, Document, Reply, command

# Where the customer's name ends and the items begin: the first number after a space
# (customer names rarely contain digits; SKUs follow their quantity).
_ITEMS_START = re.compile(r"\s(?=\d)")


def quote_defaults(services: Services) -> QuoteDefaults:
    q = services.settings.quotes
    return QuoteDefaults(
        currency=q.default_currency,
        rate_base=q.rate_base,
        rates={k.upper(): Decimal(v) for k, v in q.rates.items()},
        payment_terms=q.payment_terms,
        incoterm=q.incoterm,
        incoterm_place=q.incoterm_place,
        lead_time=q.lead_time,
        validity_days=q.validity_days,
        link_ttl_hours=q.link_ttl_hours,
    )


def quote_service(services: Services, gateway=None) -> QuoteService:
    return QuoteService(
        services.pool,
        quote_defaults(services),
        gateway=gateway,
        redis=services.redis,
        keys=services.keys,
        data_dir=services.settings.data_dir,
    )


def summary(created: CreatedQuote) -> str:
    """The quote as staff read it on a card: lines, total, terms and every warning."""
    q = created.quote
    lines = [f"Quotation {q.number} for {created.customer_name} ({q.language}, {created.engine})"]
    for item in created.items:
        # Written as the PDF and --json write them: "500 × 2.10 = 1050.00" (the columns'
        # own scale printed "2.1" and "1050.0000").
        lines.append(
            f"• {item.sku} {item.name}: {quantity(item.quantity)} {item.unit} × "
            f"{amount(item.unit_price, 4)} = {amount(item.line_total)} {q.currency}"
        )
    lines.append(f"Total: {amount(q.total)} {q.currency}")
    if q.base_currency:
        lines.append(f"Rate: 1 {q.base_currency} = {q.exchange_rate.normalize():f} {q.currency}")
    place = f" {q.incoterm_place}" if q.incoterm_place else ""
    lines.append(f"{q.incoterm or '-'}{place} · {q.payment_terms or '-'} · {q.lead_time or '-'}")
    lines.append(f"Valid until {q.valid_until}")
    lines.extend(f"⚠️ {w}" for w in q.warnings)
    lines.append("")
    lines.append(f"Message to the customer: {created.message}")
    return "\n".join(lines)


def split_customer(args: str) -> tuple[str, str]:
    """ "Lucía García 500 x SKU-1, ..." → ("Lucía García", "500 x SKU-1, ..."); quantities
    in words count ("王伟 五百个保温杯", "Ana quinientas unidades de SKU-1")."""
    args = spelled_quantities(args)
    found = _ITEMS_START.search(args)
    if found is None or not args[: found.start()].strip():
        raise QuoteError("usage: /quote CUSTOMER 500 x SKU-1, 200 x SKU-2 USD FOB")
    return args[: found.start()].strip(), args[found.end() :].strip()


@command("products", help="/products — the catalog with prices and MOQ", min_role="readonly")
async def list_products(ctx: CommandContext) -> Reply:
    async with ctx.services.pool.acquire() as conn:
        catalog = await products.active(conn, ctx.org_id, limit=50)
    if not catalog:
        return Reply("The catalog is empty: trademate products import --org ORG FILE.csv")
    rows = []
    for p in catalog:
        price = (
            f"{p.price.normalize():f} {p.currency}/{p.unit}" if p.price is not None else "no price"
        )
        moq = f", MOQ {p.moq}" if p.moq else ""
        rows.append(f"{p.sku} — {p.name}: {price}{moq}")
    return Reply("Catalog:\n" + "\n".join(rows))


@command("quote", help="/quote CUSTOMER 500 x SKU-1, 200 x SKU-2 USD FOB — draft a quotation")
async def create_quote(ctx: CommandContext) -> Reply:
    try:
        name, request = split_customer(ctx.args)
        async with ctx.services.pool.acquire() as conn:
            customer = await find_customer(conn, ctx.org_id, name)
        created = await quote_service(ctx.services).create(
            ctx.org_id, customer.id, request, created_by=ctx.user.id
        )
    except (QuoteError, NotFound, Conflict) as err:
        return Reply(f"Can't draft this quote: {err}")
    sid = created.suggestion_id
    return Reply(
        summary(created),
        buttons=[
            [Button("✅ Approve", f"ap:approve:{sid}"), Button("❌ Reject", f"ap:reject:{sid}")]
        ],
        document=Document(f"{created.quote.number}.pdf", created.pdf),
    )


async def _close(ctx: CommandContext, outcome: str) -> Reply:
    number = ctx.args.strip().split()[0] if ctx.args.strip() else ""
    if not number:
        return Reply(f"usage: /quote_{outcome[:6]} Q-2026-0001")
    try:
        quote, deal_id = await quote_service(ctx.services).close(
            ctx.org_id, number, outcome, ctx.user.id
        )
    except (NotFound, Conflict, ValueError) as err:
        return Reply(f"Can't update {number}: {err}")
    deal = " The deal is marked won." if deal_id and outcome == "accepted" else ""
    return Reply(f"Quotation {quote.number} is {quote.status}.{deal}")


@command("quote_accept", help="/quote_accept Q-2026-0001 — the customer accepted")
async def accept_quote(ctx: CommandContext) -> Reply:
    return await _close(ctx, "accepted")


@command("quote_reject", help="/quote_reject Q-2026-0001 — the customer declined")
async def reject_quote(ctx: CommandContext) -> Reply:
    return await _close(ctx, "rejected")
