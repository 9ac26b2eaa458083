"""Staff reminders: ``/remind CUSTOMER 3d note`` plans a follow-up for a customer.

The reminder is an ordinary follow-up row (reason 'manual', the note kept): when it falls due
the due sweep drafts a follow-up message for approval, with the note shown to staff. Its time
is moved out of the customer's quiet hours like every proactive message.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.db import Connection
from storage.models import Customer
from storage.repositories import followups, opt_outs
from storage.repositories.followups import Followup

from .config import FollowupConfig
from .quiet_hours import country_zone, next_allowed, zone

REASON = "manual"
_DURATION = re.compile(r"^(\d{1,4})(m|min|h|d|w)$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_DELAY = timedelta(days=366)


class ReminderError(ValueError):
    """The reminder can't be planned (shown to staff as is)."""


@dataclass(frozen=True)
class ReminderRequest:
    customer: str
    delay: timedelta
    note: str | None


def parse_duration(token: str) -> timedelta | None:
    """``30m``, ``4h``, ``3d``, ``2w`` → a timedelta; None for anything else."""
    match = _DURATION.match(token.strip())
    if match is None:
        return None
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def parse_request(args: str) -> ReminderRequest:
    """``CUSTOMER DELAY [note]``: the customer is every word before the first duration."""
    words = args.split()
    for i, word in enumerate(words):
        delay = parse_duration(word)
        if delay is not None and i > 0:
            if delay <= timedelta(0) or delay > MAX_DELAY:
                raise ReminderError("the delay must be between 1 minute and a year")
            return ReminderRequest(" ".join(words[:i]), delay, " ".join(words[i + 1 :]) or None)
    raise ReminderError("usage: /remind CUSTOMER 3d note (delay as 30m, 4h, 3d or 2w)")


async def plan(
    conn: Connection,
    customer: Customer,
    *,
    delay: timedelta,
    note: str | None,
    now: datetime,
    config: FollowupConfig,
    created_by: uuid.UUID | None = None,
) -> Followup:
    """Schedule the reminder; ReminderError for customers who must not be contacted."""
    if customer.is_test:
        raise ReminderError("sandbox customers never get follow-ups")
    if await opt_outs.is_opted_out(conn, customer.org_id, customer.id):
        raise ReminderError(
            f"{customer.display_name or 'this customer'} opted out of messages; "
            "no follow-up can be planned"
        )
    org = await conn.fetchrow(
        "SELECT timezone, settings FROM organizations WHERE id = $1", customer.org_id
    )
    start, end = config.quiet_hours_for(org["settings"])
    tz = zone(customer.timezone, country_zone(customer.country), org["timezone"])
    due_at = next_allowed(now + delay, tz, start, end)
    conversation_id = await conn.fetchval(
        """
        SELECT id FROM conversations WHERE org_id = $1 AND customer_id = $2 AND NOT is_test
        ORDER BY status <> 'closed' DESC, last_message_at DESC NULLS LAST LIMIT 1
        """,
        customer.org_id,
        customer.id,
    )
    created = await followups.schedule(
        conn,
        org_id=customer.org_id,
        customer_id=customer.id,
        conversation_id=conversation_id,
        due_at=due_at,
        reason=REASON,
        note=note,
        created_by=created_by,
    )
    assert created is not None  # no dedupe key: always inserted
    return created
