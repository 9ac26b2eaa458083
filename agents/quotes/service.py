"""Creating a quotation end to end, and recording the customer's answer.

``create``: extract items → price them from the catalog → take the next number → store the
quote and its lines → render the PDF (stored in ``media_files``) → open its approval card
(``reply_suggestions`` kind 'quote'), all in one transaction. Sending happens when staff
approve the card (``bot.media`` registers the sender for kind 'quote').
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio as aioredis

from agents.followups.quiet_hours import zone
from storage import events
from storage.db import transaction
from storage.models import Conversation, Customer, Organization
from storage.redis_client import Keys
from storage.repositories import conversations, customers, organizations, products, quotations
from storage.repositories.quotations import Quotation, QuotationItem

from . import QuoteError
from .extract import StructuredModel, extract_items
from .labels import amount, labels, language_of, money, quantity
from .pdf import QuoteDocument, render_pdf
from .pricing import price_items
from .terms import QuoteDefaults, resolve_terms

log = logging.getLogger(__name__)


@dataclass
class CreatedQuote:
    quote: Quotation
    items: list[QuotationItem]
    suggestion_id: uuid.UUID
    pdf: bytes
    engine: str
    customer_name: str
    message: str
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        q = self.quote
        return {
            "id": str(q.id),
            "number": q.number,
            "status": q.status,
            "customer": self.customer_name,
            "language": q.language,
            "currency": q.currency,
            "base_currency": q.base_currency,
            "exchange_rate": str(q.exchange_rate),
            "incoterm": q.incoterm,
            "incoterm_place": q.incoterm_place,
            "payment_terms": q.payment_terms,
            "lead_time": q.lead_time,
            "valid_until": q.valid_until.isoformat() if q.valid_until else None,
            "items": [
                {
                    "sku": i.sku,
                    "name": i.name,
                    # Numbers as the PDF prints them: "500", "2.5"; unit prices keep up to
                    # 4 decimals, at least 2 ("2.10", "1.932"); totals 2.
                    "quantity": quantity(i.quantity),
                    "unit": i.unit,
                    "unit_price": amount(i.unit_price, 4),
                    "line_total": amount(i.line_total),
                    "warnings": i.warnings,
                }
                for i in self.items
            ],
            "subtotal": amount(q.subtotal),
            "total": amount(q.total),
            "warnings": q.warnings,
            "notes": self.notes,
            "suggestion_id": str(self.suggestion_id),
            "engine": self.engine,
            "message": self.message,
        }


class QuoteService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        defaults: QuoteDefaults,
        *,
        gateway: StructuredModel | None = None,
        redis: aioredis.Redis | None = None,
        keys: Keys | None = None,
        data_dir: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.pool = pool
        self.defaults = defaults
        self.gateway = gateway
        self.redis = redis
        self.keys = keys
        self.data_dir = data_dir
        self.clock = clock

    async def create(
        self,
        org_id: uuid.UUID,
        customer_id: uuid.UUID,
        text: str,
        *,
        conversation_id: uuid.UUID | None = None,
        source_message_id: uuid.UUID | None = None,
        created_by: uuid.UUID | None = None,
        language: str | None = None,
    ) -> CreatedQuote:
        """Draft a quote for ``text`` ("500 x SKU-1, 200 x SKU-2 USD FOB") pending approval."""
        async with self.pool.acquire() as conn:
            merchant = await organizations.get(conn, org_id)
            customer = await customers.get(conn, org_id, customer_id)
            conversation = await _conversation(conn, org_id, customer, conversation_id)
            catalog = await products.active(conn, org_id)
        request, engine = await extract_items(org_id, text, catalog, gateway=self.gateway)
        if not request.items:
            raise QuoteError(
                "no items found in the request: write them like '500 x SKU-1, 200 x SKU-2'"
                + (f" ({'; '.join(request.notes)})" if request.notes else "")
            )
        now = self.clock()
        terms = resolve_terms(
            self.defaults,
            merchant.settings,
            org_currency=merchant.default_currency,
            org_timezone=merchant.timezone,
            currency=request.currency,
            incoterm=request.incoterm,
            incoterm_place=request.incoterm_place,
            now=now,
        )
        priced = price_items(request.items, terms.currency, terms.rates)
        lang = language_of(language or customer.language or merchant.default_language)
        issued_on = now.astimezone(zone(merchant.timezone)).date()
        name = customer.display_name or customer.company or "Customer"
        async with transaction(self.pool) as conn:
            number = await quotations.next_number(conn, org_id, issued_on.year)
            quote = await quotations.create(
                conn,
                org_id=org_id,
                number=number,
                customer_id=customer.id,
                conversation_id=conversation.id,
                source_message_id=source_message_id,
                language=lang,
                currency=terms.currency,
                base_currency=priced.base_currency,
                exchange_rate=priced.exchange_rate,
                incoterm=terms.incoterm,
                incoterm_place=terms.incoterm_place,
                payment_terms=terms.payment_terms,
                lead_time=terms.lead_time,
                valid_until=terms.valid_until,
                subtotal=priced.subtotal,
                total=priced.total,
                warnings=priced.warnings + request.notes,
                notes=None,
                created_by=created_by,
                items=priced.lines,
            )
            items = await quotations.items(conn, org_id, quote.id)
            document = QuoteDocument(
                merchant, quote, items, name, issued_on, priced.unquoted, self._logo(merchant)
            )
            pdf = await asyncio.to_thread(render_pdf, document)
            file_id = await quotations.store_file(
                conn,
                org_id,
                kind="quotation_pdf",
                file_name=f"{number}.pdf",
                mime_type="application/pdf",
                content=pdf,
            )
            await quotations.set_pdf(conn, org_id, quote.id, file_id)
            message = labels(lang)["message"].format(
                customer=name,
                number=number,
                total=money(quote.total, quote.currency, lang),
                valid_until=quote.valid_until.isoformat() if quote.valid_until else "",
            )
            suggestion_id = await quotations.create_card(
                conn,
                quote,
                draft=message,
                sources=[
                    {
                        "kind": "product",
                        "id": str(i.product_id),
                        "sku": i.sku,
                        "price": str(i.catalog_price),
                        "currency": i.catalog_currency,
                    }
                    for i in items
                    if i.product_id
                ],
                engine=engine,
                metadata={
                    "quotation_id": str(quote.id),
                    "number": number,
                    "total": str(quote.total),
                    "currency": quote.currency,
                    "warnings": quote.warnings,
                },
            )
            await _activity(conn, quote, created_by, f"quotation {number} drafted")
            quote = await quotations.get(conn, org_id, quote.id)
        log.info(
            "quote org=%s number=%s customer=%s lines=%d warnings=%d engine=%s",
            org_id,
            number,
            customer.id,
            len(items),
            len(quote.warnings),
            engine,
        )
        await self._announce(org_id, suggestion_id, conversation.id)
        return CreatedQuote(quote, items, suggestion_id, pdf, engine, name, message, request.notes)

    async def close(
        self, org_id: uuid.UUID, number: str, outcome: str, user_id: uuid.UUID | None = None
    ) -> tuple[Quotation, uuid.UUID | None]:
        """The customer accepted or rejected a sent quote; acceptance wins the deal."""
        async with transaction(self.pool) as conn:
            before, quote = await quotations.close(conn, org_id, number, outcome)
            deal_id = quote.deal_id
            if before.status != quote.status:
                if outcome == "accepted":
                    deal_id = await quotations.win_deal(conn, quote, user_id)
                await _activity(conn, quote, user_id, f"quotation {quote.number} {outcome}")
                quote = await quotations.get(conn, org_id, quote.id)
        return quote, deal_id

    def _logo(self, merchant: Organization) -> Path | None:
        """A local logo file (absolute, or under the data directory); URLs are not fetched."""
        if not merchant.logo_path or "://" in merchant.logo_path:
            return None
        path = Path(merchant.logo_path)
        if not path.is_absolute() and self.data_dir is not None:
            path = self.data_dir / path
        return path if path.is_file() else None

    async def _announce(self, org_id: uuid.UUID, suggestion_id: uuid.UUID, conversation_id) -> None:
        if self.redis is None or self.keys is None:
            return
        event = {
            "type": "suggestion.created",
            "kind": "quote",
            "suggestion_id": str(suggestion_id),
            "conversation_id": str(conversation_id),
            "action": "queue",
        }
        await events.publish(self.redis, self.keys, org_id, event)


async def find_customer(conn, org_id: uuid.UUID, name: str) -> Customer:
    """The one customer ``name`` designates: an exact name match wins over partial ones."""
    found = await customers.search(conn, org_id, name.strip(), limit=10)
    exact = [c for c in found if (c.display_name or "").lower() == name.strip().lower()]
    if len(exact) == 1 or len(found) == 1:
        return (exact or found)[0]
    if not found:
        raise QuoteError(
            f"no customer matches {name!r}: customers appear when they write to you, or add "
            "one with `trademate customer add --org ORG NAME --channel ID --contact ID`"
        )
    names = ", ".join(c.display_name or c.company or str(c.id) for c in found[:5])
    raise QuoteError(f"{name!r} matches several customers ({names}): be more specific")


async def _conversation(
    conn, org_id: uuid.UUID, customer: Customer, conversation_id: uuid.UUID | None
) -> Conversation:
    if conversation_id is not None:
        return await conversations.get(conn, org_id, conversation_id)
    found = await conversations.list_for_customer(conn, org_id, customer.id)
    usable = [c for c in found if c.status != "closed"] or found
    if not usable:
        raise QuoteError(
            f"customer {customer.display_name or customer.id} has no conversation to send "
            "the quote on: they get one when they write to you, or give them one with "
            "`trademate customer link --org ... CUSTOMER --channel ID --contact ACCOUNT`"
        )
    return usable[0]


async def _activity(conn, quote: Quotation, user_id: uuid.UUID | None, summary: str) -> None:
    await conn.execute(
        """
        INSERT INTO customer_activities (org_id, customer_id, kind, summary, data, entity_type,
                                         entity_id, actor_user_id)
        VALUES ($1, $2, 'quote', $3, $4, 'quotation', $5, $6)
        """,
        quote.org_id,
        quote.customer_id,
        summary,
        {"number": quote.number, "status": quote.status, "total": str(quote.total)},
        quote.id,
        user_id,
    )
