"""Sending one stored outbound message: claim it, check the rules, deliver, record.

The ``messages`` row is the unit of work. ``claim_for_sending`` moves it from ``queued`` to
``sending`` exactly once (a stale ``sending`` lease is retaken after a crash), so two
workers — or two agents pressing Approve — never send it twice. The outcome (platform id
and ``sent``, or ``failed`` with the reason) is written back on the row; delivery reports
move it further later.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from storage.repositories import conversations, customers, messages

from .errors import SendError, WindowClosed
from .hub import ChannelHub
from .models import Button, Media, OutboundMessage, Template
from .pacer import Pacer
from .retry import RetryPolicy, deliver
from .window import window_open

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendOutcome:
    message_id: uuid.UUID
    status: str  # the receipt's status (sent, queued by the platform), failed or skipped
    external_message_id: str | None = None
    error: str | None = None


class Sender:
    def __init__(
        self,
        pool: asyncpg.Pool,
        hub: ChannelHub,
        pacer: Pacer,
        policy: RetryPolicy,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.pool = pool
        self.hub = hub
        self.pacer = pacer
        self.policy = policy
        self.clock = clock

    async def send_message(self, org_id: uuid.UUID, message_id: uuid.UUID) -> SendOutcome:
        async with self.pool.acquire() as conn:
            row = await messages.claim_for_sending(conn, org_id, message_id)
            if row is None:
                return SendOutcome(message_id, "skipped")
            conversation = await conversations.get(conn, org_id, row.conversation_id)
            identity = await customers.identity_on_channel(
                conn, org_id, conversation.customer_id, row.channel_id
            )
        adapter = await self.hub.adapter_for(org_id, row.channel_id)
        outbound = _outbound(row.content, row.media, row.metadata, identity.external_id, row.id)
        try:
            if outbound.template is None and not window_open(
                adapter.capabilities, conversation.last_inbound_at, self.clock()
            ):
                raise WindowClosed(
                    f"the customer last wrote more than {adapter.capabilities.service_window_hours}"
                    " hours ago: only an approved template may be sent now"
                )
            receipt = await deliver(
                adapter,
                outbound,
                pacer=self.pacer,
                policy=self.policy,
                org_id=org_id,
                channel_id=row.channel_id,
            )
        except SendError as err:
            reason = f"{type(err).__name__}: {err}"
            async with self.pool.acquire() as conn:
                await messages.mark_send_failed(conn, org_id, row.id, reason)
            log.warning(
                "send failed org=%s channel=%s message=%s: %s",
                org_id,
                row.channel_id,
                row.id,
                reason,
            )
            return SendOutcome(row.id, "failed", error=reason)
        async with self.pool.acquire() as conn:
            await messages.mark_sent(
                conn,
                org_id,
                row.id,
                external_message_id=receipt.external_message_id,
                # Our "queued" means "not handed over yet"; once the platform has it, even
                # in its own queue, it is "sent" here and status callbacks take it further.
                status="sent",
            )
        log.info(
            "sent org=%s channel=%s message=%s external_id=%s",
            org_id,
            row.channel_id,
            row.id,
            receipt.external_message_id,
        )
        return SendOutcome(row.id, receipt.status, receipt.external_message_id)


def _outbound(
    content: str | None,
    media: list[Any],
    metadata: dict[str, Any],
    recipient: str,
    message_id: uuid.UUID,
) -> OutboundMessage:
    """Rebuild the normalized message from the row (buttons/template ride in metadata)."""
    template = metadata.get("template")
    return OutboundMessage(
        recipient_id=metadata.get("recipient_id") or recipient,
        text=content,
        media=tuple(Media(**m) for m in media),
        buttons=tuple(Button(**b) for b in metadata.get("buttons", [])),
        template=Template(**template) if template else None,
        reply_to_external_id=metadata.get("reply_to_external_id"),
        client_ref=str(message_id),
    )
