"""Quotations, their lines, their numbers, their approval cards and their PDF file.

The files themselves live in ``media_files`` (:mod:`.media_files`, re-exported here for the
callers that store and read a quote's PDF through this module).

Numbers come from ``quotation_counters`` with one upsert that locks the org's row for the
year until commit: two concurrent quotes never share a number, and a rolled-back quote does
not burn one (see migrations/0006_commerce.sql).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..db import Connection
from ..errors import Conflict, NotFound
from ..models import Row

# Re-exported (explicit ``as``): quote code stores and reads its PDF through this module.
from .media_files import MediaFile as MediaFile
from .media_files import get_file as get_file
from .media_files import store_file as store_file


class Quotation(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    conversation_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    source_message_id: uuid.UUID | None
    suggestion_id: uuid.UUID | None
    status: str
    language: str
    currency: str
    base_currency: str | None
    exchange_rate: Decimal
    incoterm: str | None
    incoterm_place: str | None
    payment_terms: str | None
    lead_time: str | None
    valid_until: date | None
    subtotal: Decimal
    total: Decimal
    notes: str | None
    warnings: list[Any]
    pdf_file_id: uuid.UUID | None
    created_by: uuid.UUID | None
    approved_by: uuid.UUID | None
    sent_at: datetime | None
    accepted_at: datetime | None
    rejected_at: datetime | None
    created_at: datetime


class QuotationItem(Row):
    id: uuid.UUID
    quotation_id: uuid.UUID
    product_id: uuid.UUID | None
    position: int
    sku: str | None
    name: str
    description: str | None
    quantity: Decimal
    unit: str
    catalog_price: Decimal | None
    catalog_currency: str | None
    exchange_rate: Decimal | None
    unit_price: Decimal
    line_total: Decimal
    moq: int | None
    warnings: list[Any]


@dataclass(frozen=True)
class NewItem:
    product_id: uuid.UUID | None
    sku: str | None
    name: str
    description: str | None
    quantity: Decimal
    unit: str
    catalog_price: Decimal | None
    catalog_currency: str | None
    exchange_rate: Decimal | None
    unit_price: Decimal
    line_total: Decimal
    moq: int | None
    warnings: list[str]


async def next_number(conn: Connection, org_id: uuid.UUID, year: int) -> str:
    """Take the org's next number for ``year`` (Q-2026-0001). Call inside the transaction that
    inserts the quote: the counter row stays locked until it commits or rolls back."""
    value = await conn.fetchval(
        """
        INSERT INTO quotation_counters (org_id, year, last_value) VALUES ($1, $2, 1)
        ON CONFLICT (org_id, year)
        DO UPDATE SET last_value = quotation_counters.last_value + 1
        RETURNING last_value
        """,
        org_id,
        year,
    )
    return f"Q-{year}-{value:04d}"


async def create(
    conn: Connection,
    *,
    org_id: uuid.UUID,
    number: str,
    customer_id: uuid.UUID,
    conversation_id: uuid.UUID | None,
    source_message_id: uuid.UUID | None,
    language: str,
    currency: str,
    base_currency: str | None,
    exchange_rate: Decimal,
    incoterm: str | None,
    incoterm_place: str | None,
    payment_terms: str | None,
    lead_time: str | None,
    valid_until: date | None,
    subtotal: Decimal,
    total: Decimal,
    warnings: list[str],
    notes: str | None,
    created_by: uuid.UUID | None,
    items: list[NewItem],
) -> Quotation:
    record = await conn.fetchrow(
        """
        INSERT INTO quotations (org_id, number, customer_id, conversation_id, source_message_id,
                                status, language, currency, base_currency, exchange_rate,
                                incoterm, incoterm_place, payment_terms, lead_time, valid_until,
                                subtotal, total, warnings, notes, created_by)
        VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                $17, $18, $19)
        RETURNING *
        """,
        org_id,
        number,
        customer_id,
        conversation_id,
        source_message_id,
        language,
        currency,
        base_currency,
        exchange_rate,
        incoterm,
        incoterm_place,
        payment_terms,
        lead_time,
        valid_until,
        subtotal,
        total,
        warnings,
        notes,
        created_by,
    )
    quote = Quotation.from_record(record)
    await conn.executemany(
        """
        INSERT INTO quotation_items (org_id, quotation_id, product_id, position, sku, name,
                                     description, quantity, unit, catalog_price,
                                     catalog_currency, exchange_rate, unit_price, line_total,
                                     moq, warnings)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
        """,
        [
            (
                org_id,
                quote.id,
                item.product_id,
                position,
                item.sku,
                item.name,
                item.description,
                item.quantity,
                item.unit,
                item.catalog_price,
                item.catalog_currency,
                item.exchange_rate,
                item.unit_price,
                item.line_total,
                item.moq,
                item.warnings,
            )
            for position, item in enumerate(items)
        ],
    )
    return quote


async def items(
    conn: Connection, org_id: uuid.UUID, quotation_id: uuid.UUID
) -> list[QuotationItem]:
    records = await conn.fetch(
        "SELECT * FROM quotation_items WHERE org_id = $1 AND quotation_id = $2 ORDER BY position",
        org_id,
        quotation_id,
    )
    return [QuotationItem.from_record(r) for r in records]


async def get(conn: Connection, org_id: uuid.UUID, quotation_id: uuid.UUID) -> Quotation:
    record = await conn.fetchrow(
        "SELECT * FROM quotations WHERE org_id = $1 AND id = $2", org_id, quotation_id
    )
    if record is None:
        raise NotFound("quotation", quotation_id)
    return Quotation.from_record(record)


async def get_by_number(conn: Connection, org_id: uuid.UUID, number: str) -> Quotation:
    record = await conn.fetchrow(
        "SELECT * FROM quotations WHERE org_id = $1 AND upper(number) = upper($2)",
        org_id,
        number.strip(),
    )
    if record is None:
        raise NotFound("quotation", number)
    return Quotation.from_record(record)


async def for_suggestion(
    conn: Connection, org_id: uuid.UUID, suggestion_id: uuid.UUID, *, lock: bool = False
) -> Quotation:
    sql = "SELECT * FROM quotations WHERE org_id = $1 AND suggestion_id = $2"
    record = await conn.fetchrow(sql + (" FOR UPDATE" if lock else ""), org_id, suggestion_id)
    if record is None:
        raise NotFound("quotation for suggestion", suggestion_id)
    return Quotation.from_record(record)


async def create_card(
    conn: Connection,
    quote: Quotation,
    *,
    draft: str,
    sources: list[dict[str, Any]],
    engine: str,
    metadata: dict[str, Any],
) -> uuid.UUID:
    """The approval card (``reply_suggestions`` kind 'quote') that sends the quote; the quote
    waits in ``pending_approval`` until a person decides."""
    if quote.conversation_id is None:
        raise Conflict(f"quotation {quote.number} has no conversation to be sent on")
    suggestion_id = await conn.fetchval(
        """
        INSERT INTO reply_suggestions (org_id, kind, conversation_id, draft, language, sources,
                                       engine, status, action, reason, metadata)
        VALUES ($1, 'quote', $2, $3, $4, $5, $6, 'pending', 'queue',
                'quotations are sent after approval', $7)
        RETURNING id
        """,
        quote.org_id,
        quote.conversation_id,
        draft,
        quote.language,
        sources,
        engine,
        metadata,
    )
    await conn.execute(
        "UPDATE quotations SET suggestion_id = $3, status = 'pending_approval'"
        " WHERE org_id = $1 AND id = $2",
        quote.org_id,
        quote.id,
        suggestion_id,
    )
    return suggestion_id


async def mark_sent(
    conn: Connection, org_id: uuid.UUID, quotation_id: uuid.UUID, approved_by: uuid.UUID | None
) -> Quotation:
    record = await conn.fetchrow(
        """
        UPDATE quotations
        SET status = 'sent', sent_at = now(), approved_by = $3, approved_at = now()
        WHERE org_id = $1 AND id = $2 AND status IN ('draft', 'pending_approval')
        RETURNING *
        """,
        org_id,
        quotation_id,
        approved_by,
    )
    if record is None:
        raise Conflict(f"quotation {quotation_id} is not waiting to be sent")
    return Quotation.from_record(record)


async def close(
    conn: Connection, org_id: uuid.UUID, number: str, outcome: str
) -> tuple[Quotation, Quotation]:
    """Record the customer's answer (``accepted`` or ``rejected``) on a sent quote; returns the
    quote before and after. A quote already carrying that outcome is returned unchanged."""
    if outcome not in ("accepted", "rejected"):
        raise ValueError(f"unknown quotation outcome: {outcome}")
    before_record = await conn.fetchrow(
        "SELECT * FROM quotations WHERE org_id = $1 AND upper(number) = upper($2) FOR UPDATE",
        org_id,
        number.strip(),
    )
    if before_record is None:
        raise NotFound("quotation", number)
    before = Quotation.from_record(before_record)
    if before.status == outcome:
        return before, before
    if before.status != "sent":
        raise Conflict(
            f"quotation {before.number} is {before.status}: only a sent quote can be {outcome}"
        )
    column = "accepted_at" if outcome == "accepted" else "rejected_at"
    record = await conn.fetchrow(
        f"UPDATE quotations SET status = $3, {column} = now()"  # noqa: S608 - fixed column names
        " WHERE org_id = $1 AND id = $2 RETURNING *",
        org_id,
        before.id,
        outcome,
    )
    return before, Quotation.from_record(record)


async def win_deal(conn: Connection, quote: Quotation, user_id: uuid.UUID | None) -> uuid.UUID:
    """An accepted quote creates the customer's deal, or advances the open one, to ``won``
    with the quote's amount; the quote then points at it."""
    deal_id = quote.deal_id or await conn.fetchval(
        """
        SELECT id FROM deals WHERE org_id = $1 AND customer_id = $2
          AND stage NOT IN ('won', 'lost')
        ORDER BY updated_at DESC LIMIT 1 FOR UPDATE
        """,
        quote.org_id,
        quote.customer_id,
    )
    if deal_id is None:
        deal_id = await conn.fetchval(
            """
            INSERT INTO deals (org_id, customer_id, title, stage, amount, currency, probability,
                               owner_user_id, closed_at)
            VALUES ($1, $2, $3, 'won', $4, $5, 1, $6, now())
            RETURNING id
            """,
            quote.org_id,
            quote.customer_id,
            f"Quotation {quote.number}",
            quote.total,
            quote.currency,
            user_id,
        )
    else:
        await conn.execute(
            """
            UPDATE deals SET stage = 'won', amount = $3, currency = $4, probability = 1,
                             closed_at = now()
            WHERE org_id = $1 AND id = $2
            """,
            quote.org_id,
            deal_id,
            quote.total,
            quote.currency,
        )
    await conn.execute(
        "UPDATE quotations SET deal_id = $3 WHERE org_id = $1 AND id = $2",
        quote.org_id,
        quote.id,
        deal_id,
    )
    return deal_id


async def set_pdf(
    conn: Connection, org_id: uuid.UUID, quotation_id: uuid.UUID, file_id: uuid.UUID
) -> None:
    await conn.execute(
        "UPDATE quotations SET pdf_file_id = $3, pdf_generated_at = now()"
        " WHERE org_id = $1 AND id = $2",
        org_id,
        quotation_id,
        file_id,
    )
