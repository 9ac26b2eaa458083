"""The demo's narrated walkthrough: simulated customers write, drafts appear, one is approved.

Every customer message is a real signed webhook POSTed to our own server (the path a
platform's would take), so what the terminal shows is the product working, not a mock-up:
intake, the worker's pipeline, the suggestion row, the approval, the sandbox API receiving
the reply.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import click

from channels.models import ChannelRef
from channels.simulator import Customer, simulate
from storage.repositories import users

from .approvals import Approvals
from .outbox import ChannelOutbox
from .runtime import ChannelRuntime
from .sandbox import SentMessage
from .services import Services

PLATFORM_NAMES = {"telegram": "Telegram", "whatsapp": "WhatsApp", "wechat": "WeChat"}


@dataclass(frozen=True)
class Line:
    platform: str
    customer: Customer
    text: str
    note: str


STORY = (
    Line("whatsapp", Customer("+34600111222", "Lucía", "es"),
         "Hola, ¿cuánto tarda el envío a España?", "a shipping question in Spanish"),
    Line("telegram", Customer("51234001", "Tom", "en"),
         "Hi! What's the price for 500 pcs of the Steel Bottle 500ml?", "a hot lead"),
    Line("wechat", Customer("oDemoWang0001", "王先生", "zh"),
         "你好，发货到中国境内要多久？", "a Chinese question"),
    Line("telegram", Customer("51234002", "Maya", "en"),
         "My order arrived with two broken bottles. I want a refund!", "a complaint"),
    Line("whatsapp", Customer("+447700900123", "Prize Desk", "en"),
         "Congratulations!!! You won a free iPhone, claim now at http://bit.ly/fr33-prize",
         "spam"),
)  # fmt: skip


class Narrator:
    def __init__(self) -> None:
        self.received: list[SentMessage] = []

    def sandbox_received(self, message: SentMessage) -> None:
        self.received.append(message)
        name = PLATFORM_NAMES.get(message.platform, message.platform)
        what = {"edit": "a card update", "buttons": "an approval card", "document": "a document"}
        say(f"    ⇢ sandbox {name} API received {what.get(message.kind, 'a message')} "
            f"for {message.recipient}: "
            f"{_short(message.text, 90)}")  # fmt: skip


async def play(
    services: Services,
    runtime: ChannelRuntime,
    base_url: str,
    refs: dict[str, ChannelRef],
    narrator: Narrator,
) -> None:
    say("\n── Walkthrough: customers write on their apps ──")
    started = datetime.now(UTC)
    drafts = []
    async with aiohttp.ClientSession() as http:
        for line in STORY:
            ref = refs[line.platform]
            say(f"\n{PLATFORM_NAMES[line.platform]} · {line.customer.name} ({line.note}):")
            say(f"  “{line.text}”")
            path = f"/webhooks/{ref.platform}/{ref.id}"
            url = base_url + path
            # Platforms sign the public URL they call (here, behind no proxy, the same host).
            public = services.settings.app.public_url.rstrip("/") + path
            hook = simulate(ref, public, line.customer, line.text)
            async with http.post(
                url, params=hook.query, headers=hook.headers, data=hook.body
            ) as response:
                outcome = "signature checked, stored, queued" if response.status == 200 else ""
                say(f"  webhook → {response.status} {outcome}".rstrip())
            row = await _wait_for_outcome(services, ref, line.text, started)
            drafts.append(row)
            _describe(row)

    waiting = [r for r in drafts if r and r["status"] in ("pending", "escalated")]
    if waiting:
        first = waiting[0]
        say("\n── A support agent approves a draft (the Approve button on the card) ──")
        async with services.pool.acquire() as conn:
            agent = await users.get_by_email(conn, first["org_id"], "agent@demo.trademate.local")
        approvals = Approvals(services, ChannelOutbox(services.pool, runtime.outbound_queue))
        before = len(narrator.received)
        result = await approvals.decide(first["org_id"], first["id"], agent, "approve")
        say(f"  {agent.display_name} approved: {_short(result.suggestion.draft, 80)}")
        await _wait_until(lambda: len(narrator.received) > before, seconds=15)
    say(f"\n{len(waiting) - 1 if waiting else 0} more draft(s) wait for a decision in the inbox.")


def _describe(row) -> None:
    if row is None:
        say("  (not processed yet — the worker is still busy; it will appear in the inbox)")
        return
    hot = f", hot lead {row['lead_score']}" if row["is_hot_lead"] else ""
    say(f"  classified: {row['category']} / {row['sub_intent'] or '-'}, "
        f"{row['language']}, {row['sentiment']}{hot}")  # fmt: skip
    if row["id"] is None:
        say("  no draft: hidden (spam gets no reply)" if row["category"] == "spam" else
            "  no draft")  # fmt: skip
        return
    sources = ", ".join(f"{s.get('kind')}" for s in row["sources"]) or "none"
    say(f"  draft ({row['engine']}): {_short(row['draft'], 110)}")
    say(f"  sources: {sources} · policy: {row['action']} — {row['reason']}")


async def _wait_for_outcome(services: Services, ref: ChannelRef, text: str, since: datetime):
    """The classification and suggestion (if any) of the message with ``text``, once the
    worker has processed it; None if that takes more than 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        async with services.pool.acquire() as conn:
            row = await conn.fetchrow(
                """
                SELECT c.category, c.sub_intent, c.language, c.sentiment, c.is_hot_lead,
                       c.lead_score, s.id, s.org_id, s.status, s.draft, s.engine, s.sources,
                       s.action, s.reason
                FROM messages m
                JOIN message_classifications c ON c.message_id = m.id
                LEFT JOIN reply_suggestions s ON s.message_id = m.id
                WHERE m.org_id = $1 AND m.channel_id = $2 AND m.content = $3
                  AND m.created_at >= $4 AND m.processing_status = 'processed'
                ORDER BY m.created_at DESC LIMIT 1
                """,
                ref.org_id,
                ref.id,
                text,
                since,
            )
        if row is not None:
            return row
        await asyncio.sleep(0.2)
    return None


async def _wait_until(check, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.1)
    return False


def _short(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def say(text: str) -> None:
    click.echo(text)


__all__ = ("STORY", "Narrator", "play")
