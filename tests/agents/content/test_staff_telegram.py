"""The content commands through the real staff bot and our Telegram webhook, against the local
fake Telegram API: a linked agent asks for hooks, gets one card per hook with buttons, and
approving one comes back through the webhook."""

from __future__ import annotations

from decimal import Decimal

from agents.content.studio import Studio
from storage.repositories import content as repo
from storage.repositories import products
from tests.e2e.conftest import fakes  # noqa: F401 - the fixture
from tests.e2e.test_approval_loop import (  # noqa: F401 - the loop fixture
    buttons,
    loop,
    post_telegram,
    sent_to,
    staff,
    until,
)
from tests.fakes.telegram_api import DEFAULT_TOKEN, callback_update, message_update

AGENT_TG = 7101


async def test_hooks_and_approve_over_the_fake_telegram_api(loop, monkeypatch):  # noqa: F811
    # The staff bot opened its one studio with the app: commands and buttons build none.
    built = []
    init = Studio.__init__

    def counting_init(self, *args, **kwargs):
        built.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(Studio, "__init__", counting_init)
    tg = await loop.add_channel("telegram", {"bot_token": DEFAULT_TOKEN})
    await staff(loop, tg, "agent", AGENT_TG)
    async with loop.services.pool.acquire() as conn:
        await products.upsert(
            conn,
            loop.org_id,
            sku="BTL-500",
            name="AquaFlask 500",
            price=Decimal("12.50"),
            specs={"capacity": "500 ml"},
            selling_points=["Keeps drinks cold for 24 hours"],
        )
    await post_telegram(loop, tg, message_update(AGENT_TG, "/hooks BTL-500 3 tiktok en"))

    def hook_cards():
        found = [p for p in sent_to(loop, AGENT_TG) if any("content:a:" in b for b in buttons(p))]
        return found if len(found) == 3 else None

    cards = await until(hook_cards)
    assert all("AquaFlask 500" in c["text"] or "capacity" in c["text"] for c in cards)
    approve = next(b for b in buttons(cards[0]) if b.startswith("content:a:"))
    await post_telegram(loop, tg, callback_update(AGENT_TG, approve))
    await until(lambda: any("Approved" in p["text"] for p in sent_to(loop, AGENT_TG)))
    hook_id = approve.rsplit(":", 1)[1]
    async with loop.services.pool.acquire() as conn:
        library = await repo.approved_examples(conn, loop.org_id, "hook", "en")
        row = await conn.fetchrow("SELECT status, platform FROM hooks WHERE id = $1::uuid", hook_id)
    assert (row["status"], row["platform"]) == ("approved", "tiktok") and len(library) == 1
    assert built == []
