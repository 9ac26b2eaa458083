"""A person's decision on a draft: approve, edit, reject or escalate — taken once.

Every front end (the Telegram staff bot, the web inbox) calls :meth:`Approvals.decide`. The
decision locks the ``reply_suggestions`` row, so two agents pressing Approve at the same
moment send one reply: the second sees the suggestion already decided (``applied`` False).
In the same transaction it records who decided what (the row, an ``audit_logs`` entry), turns
an approved or edited reply into a ``corpus_entries`` row so retrieval learns from it (the
worker's upkeep indexes it into Qdrant), and
hands the reply to the sender for the suggestion's kind, which queues the outbound message.
After the commit the message goes on the outbound stream and a ``suggestion.decided`` event
goes on the org's Redis channel, so every open inbox and card updates.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from channels.registry import adapter_class
from channels.window import window_open
from storage import events
from storage.db import Connection, transaction
from storage.errors import NotFound
from storage.repositories import audit, channels, conversations, messages
from storage.repositories.suggestions import Suggestion

from .learning_privacy import cited_texts, customer_of, names, private_details
from .outbox import ChannelOutbox, queue_reply

if TYPE_CHECKING:
    from storage.models import User

    from .services import Services

log = logging.getLogger(__name__)

# action → the suggestion's status afterwards
ACTIONS = {"approve": "approved", "edit": "edited", "reject": "rejected", "escalate": "escalated"}
# Drafts retrieval must not learn as answers when approved unchanged: greetings, thank-yous,
# apologies and hand-off notes answer nothing and name this customer (a later customer asking
# the same would be drafted "Thanks for your message Lucia!" at FAQ confidence), and catalog
# answers quote today's prices (prices come only from the catalog; a learned one goes stale).
# A person's edit is learned: their words are the correction — unless it names the customer
# (no learned reply may: bot/learning_privacy.py).
# A reused learned price (agents/drafting/offline.py) approved unedited is no new knowledge, and
# learning it again would copy the note "quoted earlier" into the corpus.
UNLEARNED_KINDS = frozenset({"template", "handoff", "llm_handoff", "catalog", "learned_price"})
# A model's draft is free text: it may be a greeting or hand-off naming the customer ("Thanks
# Lucia, ...") under the plain "llm" kind. Unedited, it is learned only when it rested on the
# merchant's knowledge (a cited FAQ, document chunk or past reply); citing catalog products
# only is a price answer, which goes stale like "catalog".
MODEL_KINDS = frozenset({"llm"})
KNOWLEDGE_SOURCES = frozenset({"faq", "chunk", "corpus"})
# Roles that may decide; ``readonly`` staff may look only.
DECIDING_ROLES = frozenset({"owner", "admin", "agent"})
# A suggestion can still be decided in these states; an escalated one waits for a decision
# too, but escalating it again changes nothing.
OPEN_STATES = frozenset({"pending", "escalated"})


class ApprovalError(Exception):
    """Base of the decision errors front ends turn into a clear message."""


class NotAllowed(ApprovalError):
    """The user may not decide (read-only role, inactive, or another org's draft)."""


class InvalidDecision(ApprovalError):
    """The decision can't be taken as asked: an unknown action, an edit without text, a
    ``trademate try`` sandbox draft (never sent), or a reply the channel's closed
    customer-service window would refuse (:class:`ClosedWindow`). Nothing was changed."""


class ClosedWindow(InvalidDecision):
    """The customer last wrote too long ago for the channel to take this reply now.

    The message is short (under Telegram's 200-character toast) and names no front end's
    command: the web inbox shows it as it is, the staff bot may add its own way to act.
    ``templates`` says whether the channel could send an approved template instead."""

    def __init__(self, message: str, *, templates: bool) -> None:
        super().__init__(message)
        self.templates = templates


@dataclass
class DecisionResult:
    suggestion: Suggestion
    # False when the draft was already decided (by someone else): nothing was changed or sent.
    applied: bool
    outbound_message_id: uuid.UUID | None = None
    # Who decided it first, when ``applied`` is False (for "already approved by …").
    decided_by: uuid.UUID | None = None


# (conn, services, suggestion, user, text) -> id of the queued outbound ``messages`` row,
# inserted inside ``conn``'s transaction.
Sender = Callable[[Connection, "Services", Suggestion, "User", str], Awaitable[uuid.UUID | None]]


async def send_text(
    conn: Connection, services: Services, suggestion: Suggestion, user: User, text: str
) -> uuid.UUID:
    """The default sender: the text as a reply on the customer's conversation."""
    return await queue_reply(
        conn, suggestion.org_id, suggestion.id, suggestion.conversation_id, text,
        reviewer_id=user.id,
    )  # fmt: skip


SENDERS: dict[str, Sender] = {"reply": send_text, "followup": send_text}
# (conn, suggestion) -> None: what rejecting a draft of a kind means for its own rows (a
# rejected quote card puts the quote back to draft).
RejectHook = Callable[[Connection, Suggestion], Awaitable[None]]
ON_REJECT: dict[str, RejectHook] = {}


def register_sender(kind: str, sender: Sender, *, on_reject: RejectHook | None = None) -> None:
    """How an approved suggestion of ``kind`` reaches the customer (e.g. ``quote``: a PDF),
    and optionally what a rejection does to the kind's own rows."""
    SENDERS[kind] = sender
    if on_reject is not None:
        ON_REJECT[kind] = on_reject


class Approvals:
    def __init__(self, services: Services, outbox: ChannelOutbox) -> None:
        self.services = services
        self.outbox = outbox

    async def decide(
        self,
        org_id: uuid.UUID,
        suggestion_id: uuid.UUID,
        user: User,
        action: str,
        text: str | None = None,
    ) -> DecisionResult:
        if action not in ACTIONS:
            raise InvalidDecision(f"unknown action {action!r}; expected one of {sorted(ACTIONS)}")
        if action == "edit" and not (text or "").strip():
            raise InvalidDecision("an edit needs the reply text")
        if user.org_id != org_id or not user.is_active or user.role not in DECIDING_ROLES:
            raise NotAllowed(f"{user.email} ({user.role}) may not decide drafts here")

        outbound_id: uuid.UUID | None = None
        async with transaction(self.services.pool) as conn:
            record = await conn.fetchrow(
                "SELECT * FROM reply_suggestions WHERE org_id = $1 AND id = $2 FOR UPDATE",
                org_id,
                suggestion_id,
            )
            if record is None:
                raise NotFound("reply suggestion", suggestion_id)
            suggestion = Suggestion.from_record(record)
            if suggestion.metadata.get("sandbox"):
                raise InvalidDecision("a `trademate try` sandbox draft is never sent")
            if suggestion.status not in OPEN_STATES or (
                action == "escalate" and suggestion.status == "escalated"
            ):
                return DecisionResult(suggestion, applied=False, decided_by=record["reviewer_id"])

            status = ACTIONS[action]
            reply = (text or "").strip() if action == "edit" else suggestion.draft
            updated = await conn.fetchrow(
                """
                UPDATE reply_suggestions
                SET status = $3, reviewer_id = $4, decided_at = now(),
                    edited_text = CASE WHEN $3 = 'edited' THEN $5 ELSE edited_text END
                WHERE org_id = $1 AND id = $2
                RETURNING *
                """,
                org_id,
                suggestion_id,
                status,
                user.id,
                reply,
            )
            if action in ("approve", "edit"):
                sender = SENDERS.get(suggestion.kind, send_text)
                outbound_id = await sender(conn, self.services, suggestion, user, reply)
                if outbound_id is not None:
                    await refuse_closed_window(conn, org_id, outbound_id)
                await _learn(conn, suggestion, user, reply, edited=action == "edit")
            elif action == "escalate":
                await _escalate(conn, suggestion, user)
            elif suggestion.kind in ON_REJECT:
                await ON_REJECT[suggestion.kind](conn, suggestion)
            await audit.record(
                conn,
                org_id,
                f"suggestion.{status}",
                actor_kind="user",
                actor_user_id=user.id,
                entity_type="reply_suggestion",
                entity_id=suggestion_id,
                before={"status": suggestion.status, "draft": suggestion.draft},
                after={"status": status, "text": reply if action != "reject" else None},
            )
            suggestion = Suggestion.from_record(updated)

        if outbound_id is not None:
            await self.outbox.publish(org_id, outbound_id)
        await self._announce(org_id, suggestion, user)
        return DecisionResult(suggestion, applied=True, outbound_message_id=outbound_id)

    async def _announce(self, org_id: uuid.UUID, suggestion: Suggestion, user: User) -> None:
        event = {
            "type": "suggestion.decided",
            "suggestion_id": str(suggestion.id),
            "conversation_id": str(suggestion.conversation_id),
            "status": suggestion.status,
            "by": str(user.id),
            "by_name": user.display_name or user.email,
        }
        await events.publish(self.services.redis, self.services.keys, org_id, event)


def already_decided(status: str, by_name: str | None) -> str:
    """What a late decision is told, the same in every front end: "Already approved by Ana",
    "Already sent automatically" (autopilot), "Already escalated automatically" (a complaint
    the policy escalated); the front end adds what it did not do."""
    if status == "auto_sent":
        return "Already sent automatically"
    return f"Already {status} by {by_name}" if by_name else f"Already {status} automatically"


async def refuse_closed_window(
    conn: Connection, org_id: uuid.UUID, message_id: uuid.UUID, *, now: datetime | None = None
) -> None:
    """Raise :class:`ClosedWindow` when the queued message could not go out now because the
    channel's customer-service window is closed (WhatsApp: 24 hours after the customer's
    last message, WeChat OA: 48) and it is not an approved template the channel can send.

    Checked here, on the message a sender of any kind (reply, follow-up, quote) queued, so
    staff hear it at once while the card is in front of them; raising rolls the decision
    back and the draft stays open. The worker's sender checks again before sending (the
    window may close while the message waits in the queue)."""
    message = await messages.get(conn, org_id, message_id)
    conversation = await conversations.get(conn, org_id, message.conversation_id)
    channel = await channels.get(conn, org_id, message.channel_id)
    capabilities = adapter_class(channel.platform).capabilities
    if message.metadata.get("template") and capabilities.templates:
        return  # templates are what a closed window allows, where the channel has them
    if window_open(capabilities, conversation.last_inbound_at, now or datetime.now(UTC)):
        return
    said = (
        f"Not sent: the customer last wrote over {capabilities.service_window_hours} hours "
        f"ago and {channel.platform}"
    )
    if capabilities.templates:
        raise ClosedWindow(
            f"{said} now takes only approved templates. Send a template follow-up instead, "
            "or approve this once the customer writes again.",
            templates=True,
        )
    raise ClosedWindow(
        f"{said} allows no message after that: it can go out once the customer writes again.",
        templates=False,
    )


async def _learn(
    conn: Connection, suggestion: Suggestion, user: User, answer: str, *, edited: bool
) -> None:
    """An approved (or corrected) answer to a customer's question becomes a corpus entry;
    an approved draft of an :data:`UNLEARNED_KINDS` kind, or a model's draft citing no
    knowledge, does not."""
    if suggestion.kind != "reply" or suggestion.message_id is None:
        return
    if not edited and not _teaches(suggestion):
        return
    question = await conn.fetchval(
        "SELECT content FROM messages WHERE org_id = $1 AND id = $2",
        suggestion.org_id,
        suggestion.message_id,
    )
    if not (question or "").strip():
        return
    if await _personal(conn, suggestion, answer, question, edited=edited):
        return
    classification: dict[str, Any] = suggestion.metadata.get("classification") or {}
    await conn.execute(
        """
        INSERT INTO corpus_entries (org_id, suggestion_id, message_id, source, question, answer,
                                    language, category, sub_intent, approved_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (suggestion_id) DO NOTHING
        """,
        suggestion.org_id,
        suggestion.id,
        suggestion.message_id,
        "edited" if edited else "approved",
        question.strip(),
        answer,
        suggestion.language,
        classification.get("category"),
        classification.get("sub_intent"),
        user.id,
    )


async def _personal(
    conn: Connection, suggestion: Suggestion, answer: str, question: str, *, edited: bool
) -> bool:
    """Whether the reply carries the customer it was written for, so must not be reused for
    others (bot/learning_privacy.py). Any reply naming them is sent but not learned: the
    next customer would be greeted by their name. An unedited draft also must not repeat
    their memories; a person's edit may (staff chose those words for this answer)."""
    customer = await customer_of(conn, suggestion.org_id, suggestion.conversation_id)
    if edited:
        leaked = names(answer, customer)
    else:
        public = [question, *await cited_texts(conn, suggestion.org_id, suggestion.sources)]
        leaked = private_details(answer, customer, public=public)
    if leaked:
        log.info("suggestion %s not learned: it names its customer's details", suggestion.id)
    return bool(leaked)


def _teaches(suggestion: Suggestion) -> bool:
    """Whether an approved, unedited draft is knowledge worth reusing for other customers."""
    kind = suggestion.metadata.get("kind")
    if kind in UNLEARNED_KINDS:
        return False
    if kind in MODEL_KINDS:
        return any(
            isinstance(s, dict) and s.get("kind") in KNOWLEDGE_SOURCES for s in suggestion.sources
        )
    return True


async def _escalate(conn: Connection, suggestion: Suggestion, user: User) -> None:
    """High priority on the conversation, and every owner is told."""
    await conn.execute(
        "UPDATE conversations SET priority = 'high' WHERE org_id = $1 AND id = $2",
        suggestion.org_id,
        suggestion.conversation_id,
    )
    await notify_owners(
        conn,
        suggestion.org_id,
        kind="escalation",
        title=f"Escalated by {user.display_name or user.email}",
        body=suggestion.draft,
        entity_id=suggestion.id,
    )


async def notify_owners(
    conn: Connection,
    org_id: uuid.UUID,
    *,
    kind: str,
    title: str,
    body: str | None,
    entity_id: uuid.UUID,
) -> None:
    await conn.execute(
        """
        INSERT INTO notifications (org_id, user_id, kind, severity, title, body, entity_type,
                                   entity_id)
        SELECT $1, id, $2, 'warning', $3, $4, 'reply_suggestion', $5
        FROM users WHERE org_id = $1 AND role = 'owner' AND is_active
        -- an owner already told about this escalation is not told again
        ON CONFLICT DO NOTHING
        """,
        org_id,
        kind,
        title,
        body,
        entity_id,
    )
