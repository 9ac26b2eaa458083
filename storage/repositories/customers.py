"""Customers and their identities on each channel.

A customer is a person; an identity is that person's account on one channel (a WhatsApp
number, a Telegram user id, a WeChat OpenID). Intake finds-or-creates by identity, so a
person who writes on two apps starts as two customers and can later be merged into one.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from ..db import Connection
from ..errors import Conflict, NotFound
from ..models import Customer, CustomerIdentity


@dataclass(frozen=True)
class IdentityMatch:
    customer: Customer
    identity: CustomerIdentity
    created: bool


async def upsert_by_identity(
    conn: Connection,
    org_id: uuid.UUID,
    channel_id: uuid.UUID,
    external_id: str,
    *,
    display_name: str | None = None,
    language: str | None = None,
    profile: dict | None = None,
    seen_at: datetime | None = None,
) -> IdentityMatch:
    """Find the customer behind (channel, external id), creating both if new.

    Safe under concurrency: two webhooks from one new customer race on the identity's
    unique key; the loser's customer row is discarded inside its own transaction and it
    returns the winner's customer. Call inside a transaction.
    """
    found = await _find_identity(conn, org_id, channel_id, external_id)
    if found is not None:
        if seen_at is not None:
            await _touch(conn, found.customer.id, seen_at)
        return found
    try:
        created = await _insert_with_identity(
            conn, org_id, channel_id, external_id, display_name, language, profile, seen_at
        )
    except asyncpg.ForeignKeyViolationError as err:
        # Composite keys refuse an identity on a channel of another organization.
        raise Conflict(f"channel {channel_id} does not belong to organization {org_id}") from err
    if created is not None:
        return created
    found = await _find_identity(conn, org_id, channel_id, external_id)
    if found is None:  # the identity belongs to a channel of another org: refuse
        raise Conflict(f"identity {external_id} on channel {channel_id} is not in this org")
    return found


async def _insert_with_identity(
    conn: Connection,
    org_id: uuid.UUID,
    channel_id: uuid.UUID,
    external_id: str,
    display_name: str | None,
    language: str | None,
    profile: dict | None,
    seen_at: datetime | None,
) -> IdentityMatch | None:
    """Insert a customer and its identity; None if another transaction won the race."""
    async with conn.transaction():  # a savepoint when the caller already opened one
        customer = await conn.fetchrow(
            """
            INSERT INTO customers (org_id, display_name, language, last_inbound_at)
            VALUES ($1, $2, $3, $4) RETURNING *
            """,
            org_id,
            display_name,
            language,
            seen_at,
        )
        identity = await conn.fetchrow(
            """
            INSERT INTO customer_identities
                (org_id, customer_id, channel_id, external_id, display_name, profile)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (channel_id, external_id) DO NOTHING
            RETURNING *
            """,
            org_id,
            customer["id"],
            channel_id,
            external_id,
            display_name,
            profile or {},
        )
        if identity is not None:
            return IdentityMatch(
                Customer.from_record(customer), CustomerIdentity.from_record(identity), True
            )
        await conn.execute("DELETE FROM customers WHERE id = $1", customer["id"])
    return None


async def _find_identity(
    conn: Connection, org_id: uuid.UUID, channel_id: uuid.UUID, external_id: str
) -> IdentityMatch | None:
    record = await conn.fetchrow(
        """
        SELECT to_jsonb(i) AS identity, to_jsonb(c) AS customer
        FROM customer_identities i JOIN customers c ON c.id = i.customer_id
        WHERE i.org_id = $1 AND i.channel_id = $2 AND i.external_id = $3
        """,
        org_id,
        channel_id,
        external_id,
    )
    if record is None:
        return None
    return IdentityMatch(
        Customer.model_validate(record["customer"]),
        CustomerIdentity.model_validate(record["identity"]),
        False,
    )


async def _touch(conn: Connection, customer_id: uuid.UUID, seen_at: datetime) -> None:
    await conn.execute(
        """
        UPDATE customers SET last_inbound_at = GREATEST(last_inbound_at, $2)
        WHERE id = $1
        """,
        customer_id,
        seen_at,
    )


async def get(conn: Connection, org_id: uuid.UUID, customer_id: uuid.UUID) -> Customer:
    record = await conn.fetchrow(
        "SELECT * FROM customers WHERE org_id = $1 AND id = $2", org_id, customer_id
    )
    if record is None:
        raise NotFound("customer", customer_id)
    return Customer.from_record(record)


def contains_pattern(query: str) -> str:
    """An ILIKE pattern matching ``query`` anywhere, its own % _ and \\ taken literally."""
    return "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# A query that is a phone number as people type it: "+34 600 111 222", "600111222",
# "(600) 111-222", "whatsapp:+34600111222", "tel:0034600111222".
_PHONE_QUERY = re.compile(r"^(?:[a-z]+:)?\s*\+?[\d\s().\-/]+$", re.IGNORECASE)
# Fewer digits than this are a fragment of anything (an order number, a year), not a phone.
_MIN_PHONE_DIGITS = 6


def phone_digits(query: str) -> str | None:
    """The digits of ``query`` when it reads as a phone number, else None."""
    query = query.strip()
    if not _PHONE_QUERY.match(query):
        return None
    # Without leading zeros: a trunk or international prefix ("0034…", "07700…") is dropped
    # on both sides, so "07700 900123" finds "+44 7700 900123".
    digits = re.sub(r"\D", "", query).lstrip("0")
    return digits if len(digits) >= _MIN_PHONE_DIGITS else None


async def search(
    conn: Connection, org_id: uuid.UUID, query: str, *, limit: int = 20
) -> list[Customer]:
    """Customers whose name, company, e-mail or phone contains ``query`` (case- and
    accent-insensitive: "Ana Ruíz" finds "Ana Ruiz"); a query that is a phone number, however
    it is spaced or prefixed ("+34 600 111 222", "600111222", "whatsapp:+34600111222"), also
    finds the customer by the digits of their phone or of a channel account written as a
    phone number (a WhatsApp identity), the country code optional on either side. Sandbox
    customers of ``trademate try`` are never found."""
    pattern = contains_pattern(query)
    # Identities count only when written as "+<digits>" (WhatsApp's "whatsapp:+34…"): a
    # Telegram user id or a WeChat OpenID is digits or letters that are no phone number.
    # A stored number matches when its digits contain the typed ones ("600111222" in
    # "+34600111222") or end them (typed "+34 600 111 222", stored "600 111 222").
    records = await conn.fetch(
        r"""
        SELECT c.* FROM customers c
        WHERE c.org_id = $1 AND c.merged_into_id IS NULL AND NOT c.is_test
          AND (unaccent(c.display_name) ILIKE unaccent($2)
               OR unaccent(c.company) ILIKE unaccent($2)
               OR c.email ILIKE $2 OR c.phone ILIKE $2
               OR ($3::text IS NOT NULL AND EXISTS (
                   SELECT 1
                   FROM (SELECT c.phone AS number
                         UNION ALL
                         SELECT i.external_id FROM customer_identities i
                         WHERE i.org_id = $1 AND i.customer_id = c.id
                           AND i.external_id ~ '\+\d') AS n,
                        LATERAL (SELECT ltrim(regexp_replace(n.number, '\D', '', 'g'), '0')
                                 AS digits) AS d
                   WHERE d.digits LIKE '%' || $3 || '%'
                      OR (length(d.digits) >= 6 AND $3 LIKE '%' || d.digits))))
        ORDER BY c.last_inbound_at DESC NULLS LAST, c.created_at DESC
        LIMIT $4
        """,
        org_id,
        pattern,
        phone_digits(query),
        limit,
    )
    return [Customer.from_record(r) for r in records]


async def identities(
    conn: Connection, org_id: uuid.UUID, customer_id: uuid.UUID
) -> list[CustomerIdentity]:
    records = await conn.fetch(
        "SELECT * FROM customer_identities WHERE org_id = $1 AND customer_id = $2"
        " ORDER BY created_at",
        org_id,
        customer_id,
    )
    return [CustomerIdentity.from_record(r) for r in records]


async def merge(
    conn: Connection, org_id: uuid.UUID, source_id: uuid.UUID, target_id: uuid.UUID
) -> Customer:
    """Fold ``source`` into ``target``: identities, conversations and messages move over.

    The source row stays, pointing at the target (``merged_into_id``), so old references
    still resolve. Call inside a transaction.
    """
    if source_id == target_id:
        raise Conflict("cannot merge a customer into itself")
    source = await get(conn, org_id, source_id)
    target = await get(conn, org_id, target_id)
    for table in ("customer_identities", "conversations", "messages"):
        # Table names come from the fixed tuple above, never from input.
        await conn.execute(
            f"UPDATE {table} SET customer_id = $3 WHERE org_id = $1 AND customer_id = $2",  # noqa: S608
            org_id,
            source.id,
            target.id,
        )
    await conn.execute(
        "UPDATE customers SET merged_into_id = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        source.id,
        target.id,
    )
    return await get(conn, org_id, target.id)


async def identity_on_channel(
    conn: Connection, org_id: uuid.UUID, customer_id: uuid.UUID, channel_id: uuid.UUID
) -> CustomerIdentity:
    """How to reach this customer on this channel (the newest identity if several)."""
    record = await conn.fetchrow(
        """
        SELECT * FROM customer_identities
        WHERE org_id = $1 AND customer_id = $2 AND channel_id = $3
        ORDER BY created_at DESC LIMIT 1
        """,
        org_id,
        customer_id,
        channel_id,
    )
    if record is None:
        raise NotFound("customer identity", f"{customer_id} on {channel_id}")
    return CustomerIdentity.from_record(record)


async def create(
    conn: Connection,
    org_id: uuid.UUID,
    display_name: str,
    *,
    language: str | None = None,
    country: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    company: str | None = None,
) -> Customer:
    """A CRM customer added by staff (``trademate customer add``), not one met on a channel;
    a real customer, never a sandbox one (``is_test`` stays false)."""
    record = await conn.fetchrow(
        """
        INSERT INTO customers (org_id, display_name, language, country, email, phone, company)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *
        """,
        org_id,
        display_name,
        language,
        country,
        email,
        phone,
        company,
    )
    return Customer.from_record(record)


async def reach_on(
    conn: Connection,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    channel_id: uuid.UUID,
    external_id: str,
) -> CustomerIdentity:
    """Record the customer's account on a channel and open a conversation there, so quotes
    and replies have somewhere to go. The conversation has no ``last_inbound_at``: the
    customer has not written, so WhatsApp's 24-hour window stays closed. Call inside a
    transaction. An account that is already this customer's is kept (the conversation is
    still opened if none is); one that belongs to another customer is a ``Conflict`` naming
    them."""
    try:
        record = await conn.fetchrow(
            """
            INSERT INTO customer_identities (org_id, customer_id, channel_id, external_id)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (channel_id, external_id) DO NOTHING
            RETURNING *
            """,
            org_id,
            customer_id,
            channel_id,
            external_id,
        )
    except asyncpg.ForeignKeyViolationError as err:
        raise Conflict(f"channel {channel_id} does not belong to organization {org_id}") from err
    if record is None:
        holder = await _find_identity(conn, org_id, channel_id, external_id)
        if holder is None or holder.customer.id != customer_id:
            # None: held by a customer of another org on a channel of ours, which can't be.
            who = "" if holder is None else f" ({_label(holder.customer)})"
            raise Conflict(
                f"{external_id} on channel {channel_id} is already a customer's account{who}"
            )
        identity = holder.identity
    else:
        identity = CustomerIdentity.from_record(record)
    await conn.execute(
        """
        INSERT INTO conversations (org_id, customer_id, channel_id) VALUES ($1, $2, $3)
        ON CONFLICT (channel_id, customer_id) WHERE status <> 'closed' DO NOTHING
        """,
        org_id,
        customer_id,
        channel_id,
    )
    return identity


def _label(customer: Customer) -> str:
    """How a message names a customer: their name (or company) and id."""
    name = customer.display_name or customer.company
    return f"{name!r}, {customer.id}" if name else str(customer.id)


async def list_for_org(conn: Connection, org_id: uuid.UUID, *, limit: int = 500) -> list[Customer]:
    """The org's CRM customers, newest first; merged and sandbox customers left out."""
    records = await conn.fetch(
        """
        SELECT * FROM customers
        WHERE org_id = $1 AND merged_into_id IS NULL AND NOT is_test
        ORDER BY created_at DESC
        LIMIT $2
        """,
        org_id,
        limit,
    )
    return [Customer.from_record(r) for r in records]
