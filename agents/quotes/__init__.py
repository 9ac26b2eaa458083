"""Quotations from the merchant's catalog: import, item extraction, pricing, terms, PDF.

Prices come from the catalog only (never from a model or the customer's message); problems —
an unknown product, an unpriced one, an order under the MOQ, a missing exchange rate — are
written on the quote as warnings for staff to see, never silently priced.
"""

from __future__ import annotations

from ..errors import AgentError


class QuoteError(AgentError):
    """A quotation request cannot be turned into a quote (the message says why)."""


class CatalogError(QuoteError):
    """A catalog file can't be read at all (unknown format, no SKU/name columns)."""
