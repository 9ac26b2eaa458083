"""Approval cards on Telegram: pushed to on-duty staff when a draft appears, and edited in
every chat once it is decided (here, in another process, or in the web inbox).

Several worker and web processes may run this at once:

- **push** claims one ``approval_cards`` row per (suggestion, user) before sending, so a
  card reaches each person once whichever process pushes it; a claim whose send failed, and
  a draft whose worker died before pushing, are picked up by :meth:`Cards.redeliver` (web
  processes sweep every 30 s);
- **refresh** claims the (suggestion, status) pair in Redis, so one decision edits each copy
  once, whether it was triggered by the deciding bot or by the ``suggestion.decided`` event
  that every web process hears.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

import asyncpg
from aiogram import Bot
from redis.exceptions import RedisError

from channels.hub import ChannelHub
from storage import events
from storage.errors import NotFound, StorageError

from .approvals import DECIDING_ROLES, notify_owners
from .approvals import OPEN_STATES as OPEN
from .services import Services
from .staff.commands import Button, Reply
from .staff_bot import telegram as tg

log = logging.getLogger(__name__)

REFRESH_CLAIM_SECONDS = 7 * 24 * 3600
# Cards whose send failed are retried by every web process's listener, this often, once the
# first attempt (with its own retries) is surely over.
REDELIVER_EVERY = 30.0
REDELIVER_GRACE = 120.0
OUTCOME = {
    "approved": "✅ Approved by {who}: sent to the customer.",
    "edited": "✏️ Edited by {who} and sent:\n{text}",
    "rejected": "❌ Rejected by {who}: nothing was sent.",
    "escalated": "⚠️ Escalated{by}: high priority, waiting for the owner.",
    "auto_sent": "🤖 Sent automatically.",
    "sent": "✅ Sent.",
    "expired": "⌛ Expired.",
    "hidden": "🙈 Hidden.",
    "failed": "⚠️ Sending failed.",
}


def decision_buttons(suggestion_id: uuid.UUID | str) -> list[list[Button]]:
    """Approve / Edit / Reject / Escalate; ``ap:<action>:<uuid>`` is at most 48 bytes."""
    sid = str(suggestion_id)
    return [
        [Button("✅ Approve", f"ap:approve:{sid}"), Button("✏️ Edit", f"ap:edit:{sid}")],
        [Button("❌ Reject", f"ap:reject:{sid}"), Button("⚠️ Escalate", f"ap:escalate:{sid}")],
    ]


CARD_SQL = """
SELECT s.id, s.org_id, s.kind, s.status, s.draft, s.edited_text, s.sources, s.metadata, s.reason,
       s.created_at, m.content AS message, cu.display_name AS customer, ch.platform,
       ch.name AS channel, cv.priority, coalesce(u.display_name, u.email) AS reviewer
FROM reply_suggestions s
JOIN conversations cv ON cv.id = s.conversation_id AND cv.org_id = s.org_id
JOIN customers cu ON cu.id = cv.customer_id
JOIN channels ch ON ch.id = cv.channel_id
LEFT JOIN messages m ON m.id = s.message_id
LEFT JOIN users u ON u.id = s.reviewer_id
WHERE s.org_id = $1 AND s.id = $2
"""


def card_text(row: Any) -> str:
    meta = row["metadata"] or {}
    c = meta.get("classification") or {}
    kind = "" if row["kind"] == "reply" else f" {row['kind']}"
    head = "⚠️ ESCALATED" if row["status"] == "escalated" else f"🆕 New{kind} draft"
    lines = [f"{head} · {row['platform']} ({row['channel']}) · {row['customer'] or 'customer'}"]
    facts = [c.get("category", "?")]
    if c.get("sentiment"):
        facts.append(f"sentiment {c['sentiment']}")
    if c.get("is_hot_lead"):
        facts.append(f"🔥 hot lead ({c.get('lead_score', 0)})")
    if row["priority"] in ("high", "urgent"):
        facts.append(f"priority {row['priority']}")
    if c:  # replies carry the message's classification; quotes and follow-ups do not
        lines.append("Classification: " + " · ".join(facts))
    lines += _kind_lines(row["kind"], meta)
    if meta.get("sandbox"):
        lines.append("(sandbox conversation)")
    if row["message"]:  # replies answer a message; follow-ups and quotes start one
        lines += ["", "Customer wrote:", tg.clip(row["message"], 1200)]
    lines += ["", "Draft reply:", tg.clip(row["draft"], 1800)]
    sources = [_source(s) for s in row["sources"] or []]
    if sources:
        lines += ["", "Sources: " + "; ".join(sources[:5])]
    outcome = OUTCOME.get(row["status"])
    if outcome and row["status"] != "pending":
        who = row["reviewer"] or "someone"
        by = f" by {row['reviewer']}" if row["reviewer"] else ""
        lines += ["", outcome.format(who=who, by=by, text=row["edited_text"] or "")]
    return "\n".join(lines)


def _kind_lines(kind: str, meta: dict[str, Any]) -> list[str]:
    """What a quote or follow-up card must say besides the draft: the quote's number, total
    and warnings (unpriced lines, MOQ), or why the follow-up was planned and how it goes out."""
    if kind == "quote":
        lines = [f"Quote {meta.get('number', '?')}: {meta.get('total', '?')} "
                 f"{meta.get('currency', '')}".rstrip()]  # fmt: skip
        lines += [f"⚠️ {w}" for w in (meta.get("warnings") or [])[:5]]
        return lines
    if kind == "followup":
        lines = [f"Follow-up: {meta.get('reason') or 'planned'}"]
        if meta.get("note"):
            lines.append(f"Note: {meta['note']}")
        if meta.get("template_missing"):
            lines.append(f"⚠️ {meta['template_missing']}")
        elif meta.get("send_as") == "template":
            lines.append("Goes out as an approved template (the 24-hour window is closed).")
        return lines
    return []


def _source(source: Any) -> str:
    """One cited source, short: ``faq: How long does shipping take? (0.93)``,
    ``product: BTL-500 at 2.10 USD``, ``template: price_unknown``."""
    if not isinstance(source, dict):
        return str(source)
    kind = source.get("kind", "?")
    if kind == "product":
        price = (
            f" at {source['price']} {source.get('currency') or ''}" if source.get("price") else ""
        )
        return f"product: {source.get('sku') or source.get('id')}{price}".rstrip()
    label = source.get("title") or source.get("question") or source.get("name") or source.get("id")
    score = f" ({source['score']:.2f})" if isinstance(source.get("score"), int | float) else ""
    return f"{kind}: {label}{score}" if label else kind


def card_buttons(row: Any, role: str) -> list[list[Button]]:
    if row["status"] not in OPEN or role not in DECIDING_ROLES:
        return []
    return decision_buttons(row["id"])


class Cards:
    """Pushes and refreshes approval cards through the org's Telegram bot(s)."""

    def __init__(
        self, services: Services, hub: ChannelHub | None, staff_bot: Bot | None = None
    ) -> None:
        self.services = services
        self.hub = hub
        # The dedicated staff bot, when configured: every card goes through it.
        self.staff_bot = staff_bot
        self._owns_bot = False

    @classmethod
    def from_settings(cls, services: Services, hub: ChannelHub) -> Cards:
        """Cards through the dedicated staff bot if ``staff_bot.token`` is set (``aclose``
        closes it), else through each org's own Telegram bot."""
        from .staff_bot.dedicated import make_bot

        cards = cls(services, hub, make_bot(services.settings))
        cards._owns_bot = cards.staff_bot is not None
        return cards

    async def aclose(self) -> None:
        if self._owns_bot and self.staff_bot is not None:
            await self.staff_bot.session.close()

    async def _bot(self, channel_id: uuid.UUID | None) -> Bot:
        if channel_id is None:
            if self.staff_bot is None:
                raise tg.StaffBotError("card sent by the staff bot, which is not configured")
            return self.staff_bot
        assert self.hub is not None
        _, _, adapter = await self.hub.get(channel_id)
        return tg.bot_of(adapter)

    # --- push ----------------------------------------------------------------------------
    async def push(self, org_id: uuid.UUID, suggestion_id: uuid.UUID) -> int:
        """Send the card to every on-duty linked staff user (owners always for escalations);
        returns how many cards this call sent. Never raises for a Telegram failure."""
        async with self.services.pool.acquire() as conn:
            row = await conn.fetchrow(CARD_SQL, org_id, suggestion_id)
            if row is None or row["status"] not in OPEN or (row["metadata"] or {}).get("sandbox"):
                return 0  # sandbox drafts (`trademate try`) can never be sent: no card
            staff = await conn.fetch(
                """
                SELECT id, role, telegram_user_id, settings->>'telegram_channel_id' AS channel
                FROM users
                WHERE org_id = $1 AND is_active AND telegram_user_id IS NOT NULL
                  AND (on_duty OR ($2 AND role = 'owner'))
                ORDER BY created_at
                """,
                org_id,
                row["status"] == "escalated",
            )
            bots = [
                r["id"]
                for r in await conn.fetch(
                    "SELECT id FROM channels WHERE org_id = $1 AND platform = 'telegram'"
                    " AND status <> 'disabled' ORDER BY created_at",
                    org_id,
                )
            ]
        if row["status"] == "escalated" and not row["reviewer"]:
            await self._notify_owners(row)  # escalated by policy (a complaint), not a person
        if not staff or (self.staff_bot is None and not bots):
            return 0
        text = card_text(row)
        sent = 0
        new_cards: list[uuid.UUID] = []
        for person in staff:
            channel_id = None if self.staff_bot else _channel_for(person["channel"], bots)
            claimed = await self._claim(org_id, suggestion_id, person, channel_id)
            if claimed is None:
                continue  # another process has this card
            try:
                message_id = await tg.send_reply(
                    await self._bot(channel_id),
                    person["telegram_user_id"],
                    Reply(text, card_buttons(row, person["role"])),
                )
            except (tg.StaffBotError, NotFound, StorageError) as err:
                # The claim stays without a message id: redeliver() tries again later.
                log.warning(
                    "approval card for suggestion %s not delivered to user %s: %s (org=%s)",
                    suggestion_id,
                    person["id"],
                    err,
                    org_id,
                )
                continue
            await self._sent(claimed, message_id)
            new_cards.append(claimed)
            sent += 1
        # Decided while we were sending: bring the copies we just sent up to date.
        if new_cards and await self._status(org_id, suggestion_id) != row["status"]:
            await self.refresh(org_id, suggestion_id, claim=False, only=new_cards)
        log.info("approval cards sent: %d for suggestion %s (org=%s)", sent, suggestion_id, org_id)
        return sent

    async def decided(self, org_id: uuid.UUID, suggestion_id: uuid.UUID) -> None:
        """After a decision: update every copy; an escalation also reaches the owners who
        had no card yet (off duty). Both are once-only across processes."""
        await self.refresh(org_id, suggestion_id)
        if await self._status(org_id, suggestion_id) == "escalated":
            await self.push(org_id, suggestion_id)

    async def _notify_owners(self, row: Any) -> None:
        async with self.services.pool.acquire() as conn:
            # Once per owner, however often (and from how many processes) this runs: the
            # insert skips owners already notified.
            await notify_owners(
                conn,
                row["org_id"],
                kind="escalation",
                title=f"Complaint from {row['customer'] or 'a customer'} ({row['platform']})",
                body=row["message"],
                entity_id=row["id"],
            )

    async def _claim(self, org_id, suggestion_id, person, channel_id) -> uuid.UUID | None:
        # channel_id None: sent by the dedicated staff bot.
        async with self.services.pool.acquire() as conn:
            return await conn.fetchval(
                """
                INSERT INTO approval_cards (org_id, suggestion_id, user_id, chat_id, channel_id)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (suggestion_id, user_id) DO NOTHING
                RETURNING id
                """,
                org_id,
                suggestion_id,
                person["id"],
                person["telegram_user_id"],
                channel_id,
            )

    async def redeliver(self, *, grace_seconds: float = REDELIVER_GRACE, limit: int = 50) -> int:
        """Send cards whose first send failed (Telegram down, a worker killed mid-push): claim
        rows still without a message id after ``grace_seconds`` (bumping them, so each process
        takes different ones) for drafts still waiting, at most a day old. Returns how many
        were delivered now."""
        async with self.services.pool.acquire() as conn:
            rows = await conn.fetch(
                """
                UPDATE approval_cards a SET updated_at = now()
                FROM users u
                WHERE u.id = a.user_id AND a.id IN (
                    SELECT c.id FROM approval_cards c
                    JOIN reply_suggestions s ON s.id = c.suggestion_id
                    WHERE c.telegram_message_id IS NULL
                      AND c.updated_at < now() - make_interval(secs => $1)
                      AND c.created_at > now() - interval '1 day'
                      AND s.status IN ('pending', 'escalated')
                    ORDER BY c.created_at
                    LIMIT $2
                    FOR UPDATE OF c SKIP LOCKED
                )
                RETURNING a.id, a.org_id, a.suggestion_id, a.chat_id, a.channel_id, u.role
                """,
                grace_seconds,
                limit,
            )
        delivered = 0
        for card in rows:
            async with self.services.pool.acquire() as conn:
                row = await conn.fetchrow(CARD_SQL, card["org_id"], card["suggestion_id"])
            if row is None or row["status"] not in OPEN:
                continue
            try:
                message_id = await tg.send_reply(
                    await self._bot(card["channel_id"]),
                    card["chat_id"],
                    Reply(card_text(row), card_buttons(row, card["role"])),
                )
            except (tg.StaffBotError, NotFound, StorageError) as err:
                log.info("card %s still not delivered: %s (org=%s)", card["id"], err, row["org_id"])
                continue
            await self._sent(card["id"], message_id)
            delivered += 1
        delivered += await self._push_orphans(grace_seconds, limit)
        if delivered:
            log.info("approval cards redelivered: %d", delivered)
        return delivered

    async def _push_orphans(self, grace_seconds: float, limit: int) -> int:
        """Push drafts that have no card at all although someone could get one: the worker
        that made the draft died before its push, and a re-run of the pipeline finds the
        draft already there and announces nothing."""
        async with self.services.pool.acquire() as conn:
            orphans = await conn.fetch(
                """
                SELECT s.org_id, s.id FROM reply_suggestions s
                WHERE s.status IN ('pending', 'escalated')
                  AND s.created_at < now() - make_interval(secs => $1)
                  AND s.created_at > now() - interval '1 day'
                  AND coalesce(s.metadata->>'sandbox', 'false') <> 'true'
                  AND NOT EXISTS (SELECT 1 FROM approval_cards c WHERE c.suggestion_id = s.id)
                  AND EXISTS (SELECT 1 FROM users u
                              WHERE u.org_id = s.org_id AND u.is_active
                                AND u.telegram_user_id IS NOT NULL AND u.on_duty)
                ORDER BY s.created_at
                LIMIT $2
                """,
                grace_seconds,
                limit,
            )
        # push() claims per person, so two processes sweeping the same orphan send it once.
        return sum([await self.push(row["org_id"], row["id"]) for row in orphans])

    async def _sent(self, card_id: uuid.UUID, message_id: int) -> None:
        async with self.services.pool.acquire() as conn:
            await conn.execute(
                "UPDATE approval_cards SET telegram_message_id = $2 WHERE id = $1",
                card_id,
                message_id,
            )

    async def _status(self, org_id: uuid.UUID, suggestion_id: uuid.UUID) -> str | None:
        async with self.services.pool.acquire() as conn:
            return await conn.fetchval(
                "SELECT status FROM reply_suggestions WHERE org_id = $1 AND id = $2",
                org_id,
                suggestion_id,
            )

    # --- refresh -------------------------------------------------------------------------
    async def refresh(
        self,
        org_id: uuid.UUID,
        suggestion_id: uuid.UUID,
        *,
        claim: bool = True,
        only: list[uuid.UUID] | None = None,
    ) -> int:
        """Edit every copy of the card (or the ``only`` ones) to show the suggestion's current
        state; once per (suggestion, state) across processes when ``claim``. Returns how
        many were edited."""
        async with self.services.pool.acquire() as conn:
            row = await conn.fetchrow(CARD_SQL, org_id, suggestion_id)
            if row is None:
                return 0
            copies = await conn.fetch(
                """
                SELECT a.chat_id, a.telegram_message_id, a.channel_id, u.role
                FROM approval_cards a JOIN users u ON u.id = a.user_id
                WHERE a.org_id = $1 AND a.suggestion_id = $2
                  AND a.telegram_message_id IS NOT NULL
                  AND ($3::uuid[] IS NULL OR a.id = ANY($3::uuid[]))
                """,
                org_id,
                suggestion_id,
                only,
            )
        if not copies:
            return 0
        if claim and not await self._claim_refresh(org_id, suggestion_id, row["status"]):
            return 0
        text = card_text(row)
        edited = 0
        for copy in copies:
            try:
                await tg.edit(
                    await self._bot(copy["channel_id"]),
                    copy["chat_id"],
                    copy["telegram_message_id"],
                    text,
                    card_buttons(row, copy["role"]),
                )
                edited += 1
            except (tg.StaffBotError, NotFound, StorageError) as err:
                log.warning(
                    "could not update card %s in chat %s: %s (org=%s)",
                    suggestion_id,
                    copy["chat_id"],
                    err,
                    org_id,
                )
        return edited

    async def _claim_refresh(self, org_id, suggestion_id, status: str) -> bool:
        key = self.services.keys.org(org_id, "card-refresh", suggestion_id, status)
        try:
            return bool(await self.services.redis.set(key, "1", nx=True, ex=REFRESH_CLAIM_SECONDS))
        except (RedisError, OSError) as err:
            log.warning("card refresh claim failed (%s); editing anyway", err)
            return True

    # --- events --------------------------------------------------------------------------
    async def listen(self, stop: asyncio.Event) -> None:
        """Refresh cards on every org's ``suggestion.decided`` events until ``stop``."""
        pattern = events.every_org_pattern(self.services.keys)
        while not stop.is_set():
            try:
                await self._listen_once(pattern, stop)
            except (RedisError, OSError) as err:
                log.warning("card event listener lost Redis (%s); retrying", err)
                await asyncio.sleep(1)

    async def _listen_once(self, pattern: str, stop: asyncio.Event) -> None:
        pubsub = self.services.redis.pubsub()
        await pubsub.psubscribe(pattern)
        next_sweep = time.monotonic() + REDELIVER_EVERY
        try:
            while not stop.is_set():
                item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                if item is not None:
                    await self._on_event(item)
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + REDELIVER_EVERY
                    await self._sweep()
        finally:
            await pubsub.aclose()

    async def _sweep(self) -> None:
        try:
            await self.redeliver()
        except (StorageError, asyncpg.PostgresError, OSError) as err:
            log.warning("card redelivery sweep failed: %s", err)

    async def _on_event(self, item: dict[str, Any]) -> None:
        try:
            event = json.loads(item["data"])
            org_id = events.org_of(item["channel"])
            if event.get("type") != "suggestion.decided":
                return
        except (ValueError, KeyError, TypeError) as err:
            log.warning("ignoring malformed event %r: %s", item.get("data"), err)
            return
        try:
            await self.decided(org_id, uuid.UUID(event["suggestion_id"]))
        except (StorageError, asyncpg.PostgresError, OSError, ValueError, KeyError) as err:
            log.warning("card refresh after %r failed: %s (org=%s)", event, err, org_id)


def _channel_for(preferred: str | None, bots: list[uuid.UUID]) -> uuid.UUID:
    """The bot the person linked through, if it is still there; else the org's first."""
    for bot in bots:
        if preferred is not None and str(bot) == preferred:
            return bot
    return bots[0]
