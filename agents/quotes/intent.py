"""A quote draft from a customer's explicit purchase request ("500 pcs of SKU-1 CIF Valencia").

The pipeline calls :func:`quote_from_message` for each inbound text. It acts only on what the
offline parser reads as explicit — a quantity in front of a product of this org's catalog —
so an ordinary question never becomes a quote; the quote itself may then use the LLM's
extraction (``QuoteService``). Sandbox conversations are skipped, and a message is quoted at
most once (re-processing after a crash finds the first quote).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg

from storage.errors import StorageError
from storage.models import Message
from storage.repositories import products
from storage.repositories.products import Product

from . import QuoteError
from .parser import parse_request
from .service import CreatedQuote, QuoteService

log = logging.getLogger(__name__)


async def quote_from_message(
    service: QuoteService,
    message: Message,
    *,
    is_test: bool,
    catalog: Sequence[Product] | None = None,
) -> CreatedQuote | None:
    """The quote drafted (pending approval) for ``message``, or None when it asks for none.
    ``catalog``: the org's active products, when the caller has them (the pipeline does):
    then a text that is no purchase request — nearly every message — costs no connection."""
    text = (message.content or "").strip()
    if is_test or message.direction != "inbound" or not text or message.customer_id is None:
        return None
    if catalog is not None and not parse_request(text, catalog, bare_quantities=False).matched:
        return None
    async with service.pool.acquire() as conn:
        if catalog is None:
            catalog = await products.active(conn, message.org_id)
            if not parse_request(text, catalog, bare_quantities=False).matched:
                return None
        quoted = await conn.fetchval(
            "SELECT number FROM quotations WHERE org_id = $1 AND source_message_id = $2",
            message.org_id,
            message.id,
        )
    if quoted is not None:
        return None
    try:
        created = await service.create(
            message.org_id,
            message.customer_id,
            text,
            conversation_id=message.conversation_id,
            source_message_id=message.id,
            language=message.language,
        )
    except asyncpg.UniqueViolationError:
        return None  # another worker drafted this message's quote at the same moment
    except (QuoteError, StorageError) as err:  # the reply draft still goes ahead
        log.warning("org=%s message=%s: no quote drafted: %s", message.org_id, message.id, err)
        return None
    log.info(
        "org=%s message=%s: purchase request drafted as quote %s",
        message.org_id,
        message.id,
        created.quote.number,
    )
    return created
