"""The customer-service window: whether a free-form reply may be sent now.

WhatsApp allows free-form messages for 24 hours after the customer's last message; outside
that window only an approved template may be sent (Twilio refuses with error 63016, which the
adapter raises as ``WindowClosed``). The rule is read from each adapter's
``Capabilities.service_window_hours``, so the sender checks it before a send without knowing
which platform it is talking to.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .base import Capabilities


def window_open(
    capabilities: Capabilities, last_inbound_at: datetime | None, now: datetime
) -> bool:
    """True when a free-form message may go out; templates are allowed either way.

    ``last_inbound_at`` is the conversation's last customer message (None: never wrote to
    us, so only a template may open the conversation). Times must be timezone-aware."""
    hours = capabilities.service_window_hours
    if hours is None:
        return True
    if last_inbound_at is None:
        return False
    if last_inbound_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("window_open needs timezone-aware datetimes")
    return now - last_inbound_at < timedelta(hours=hours)
