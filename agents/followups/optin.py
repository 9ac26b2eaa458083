"""Opting back in: START, UNSTOP, 订阅, "alta" lift the customer's own opt-out.

Twilio's convention for SMS and WhatsApp: STOP ends messages, START / UNSTOP resume them.
Detection is as narrow as the opt-out's, for the opposite reason: a false positive messages
someone who asked not to be. The whole message (courtesy words aside) must be a re-subscribe
keyword ("START", "订阅", "alta"), or a short message must contain an unambiguous re-subscribe
phrase ("please subscribe me again", "quiero darme de alta", "我要重新订阅"); the matching is
agents/followups/keywords.py, shared with the opt-out. Words that also answer a question —
"yes", "开始", "resume" — lift nothing: an opted-out customer who still chats and answers "Yes"
to "shall I send the quote?" keeps their opt-out. An opt-out wins over anything that also reads
as an opt-in ("取消订阅" contains "订阅"). Either way the message is still drafted.

Only an opt-out the customer made themselves is lifted (``opt_outs.CUSTOMER_SOURCES``); one set
by staff stays until a person lifts it. The lift is written to the audit trail with the old
opt-out (keyword, when) and the message that lifted it; the audit row's time is the lift's.
"""

from __future__ import annotations

import logging
import uuid

from storage.db import Connection
from storage.repositories import audit, opt_outs

from .keywords import find, phrases
from .optout import detect_opt_out

log = logging.getLogger(__name__)

# The whole (normalized) message is one of these.
EXACT = frozenset(
    {
        # en (Twilio's opt-in keywords, and plain wording)
        "start",
        "unstop",
        "subscribe",
        "resubscribe",
        "re subscribe",
        "subscribe again",
        "subscribe me",
        "subscribe me again",
        "opt in",
        "optin",
        "opt back in",
        "opt me back in",
        "resume messages",
        # zh
        "订阅",
        "訂閱",
        "重新订阅",
        "重新訂閱",
        "恢复订阅",
        "恢復訂閱",
        "继续订阅",
        "取消退订",
        # es
        "alta",
        "darme de alta",
        "dar de alta",
        "alta de nuevo",
        "suscribir",
        "suscribirme",
        "suscribirme de nuevo",
        "volver a suscribirme",
    }
)

# Phrases that mean opt-in in a short message (normalized).
PHRASES = phrases(
    "subscribe me again",
    "resubscribe",
    "opt me back in",
    "opt back in",
    "start sending me messages again",
    "start messaging me again",
    "i want to subscribe again",
    "i want to receive messages again",
    "darme de alta",
    "dame de alta",
    "denme de alta",
    "volver a suscribirme",
    "suscribirme de nuevo",
    "quiero recibir mensajes de nuevo",
    "quiero volver a recibir",
    "重新订阅",
    "重新訂閱",
    "恢复订阅",
    "恢復訂閱",
    "继续接收",
    "恢复接收",
    "取消退订",
)


def opt_in_keyword(text: str | None) -> str | None:
    """The keyword or phrase that makes ``text`` a request to opt back in, or None."""
    if not text or detect_opt_out(text):
        return None
    match = find(text, EXACT, PHRASES)
    return None if match is None else match.keyword


def detect_opt_in(text: str | None) -> bool:
    """True when ``text`` asks to receive messages again (en/zh/es)."""
    return opt_in_keyword(text) is not None


async def record_opt_in(
    conn: Connection,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    text: str | None,
    *,
    channel_id: uuid.UUID | None = None,
) -> bool:
    """Lift the customer's own opt-out when ``text`` asks for it; True when one was lifted,
    False when the text is no opt-in, the customer was not opted out, or staff set it."""
    keyword = opt_in_keyword(text)
    if keyword is None:
        return False
    async with conn.transaction():
        lifted = await opt_outs.lift(conn, org_id, customer_id)
        if lifted is None:
            source = await opt_outs.source_of(conn, org_id, customer_id)
            if source is not None:
                log.info(
                    "org %s customer %s wrote %r but their opt-out was set by %s: kept",
                    org_id,
                    customer_id,
                    keyword,
                    source,
                )
            return False
        await audit.record(
            conn,
            org_id,
            "customer.opt_in",
            actor_kind="system",
            entity_type="customer",
            entity_id=customer_id,
            before={
                "opted_out": True,
                "keyword": lifted["keyword"],
                "source": lifted["source"],
                "opted_out_at": lifted["created_at"].isoformat(),
            },
            after={
                "opted_out": False,
                "keyword": keyword,
                "channel_id": None if channel_id is None else str(channel_id),
                "message": (text or "")[:200],
            },
        )
    log.info(
        "org %s customer %s opted back in (%r; opted out with %r at %s)",
        org_id,
        customer_id,
        keyword,
        lifted["keyword"],
        lifted["created_at"].isoformat(),
    )
    return True
