"""The content studio's pieces in the web inbox: listed by status, approved into the library."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from agents.content.outcome import ContentRequest
from agents.content.studio import Studio
from storage.repositories import content as content_repo
from storage.repositories import products
from tests.agents.content.conftest import config

pytestmark = pytest.mark.slow


async def _captions(inbox) -> list:
    pool = inbox.stack.services.pool
    async with pool.acquire() as conn:
        await products.upsert(
            conn, inbox.stack.org_id, sku="BTL-500", name="AquaFlask 500",
            price=Decimal("12.50"), selling_points=["Keeps drinks cold for 24 hours"],
        )  # fmt: skip
    outcome = await Studio(pool, config()).generate(
        inbox.stack.org_id, ContentRequest("caption", "BTL-500", "instagram", "en", n=3, seed=5)
    )
    return outcome.shown


async def test_pieces_are_listed_by_status_and_approved_into_the_library(inbox):
    shown = await _captions(inbox)
    agent = await inbox.user("agent")
    browser = inbox.browser()
    await browser.login(agent.email)
    status, page = await browser.get("/inbox/content?status=draft")
    assert status == 200
    drafts = [s for s in shown if s.status == "draft"]
    assert drafts, "the offline studio made at least one clean caption"
    for piece in drafts:
        assert str(piece.id) in page
    assert "12.50" in page  # the catalog price, as the caption states it

    chosen = drafts[0]
    status, page = await browser.post(
        f"/inbox/content/{chosen.id}/decide", {"action": "approve", "status": "draft"}
    )
    assert status == 200 and "Caption approved." in page
    assert str(chosen.id) not in page  # left the drafts tab
    _, library = await browser.get("/inbox/content?status=approved")
    assert str(chosen.id) in library
    async with inbox.stack.services.pool.acquire() as conn:
        row = await content_repo.find_variant(conn, inbox.stack.org_id, chosen.id)
    assert row.status == "approved"

    # approving again changes nothing and says so
    status, page = await browser.post(
        f"/inbox/content/{chosen.id}/decide", {"action": "approve", "status": "approved"}
    )
    assert "Not changed: this caption is approved." in page


async def test_readonly_staff_and_other_orgs_cannot_decide(inbox):
    shown = await _captions(inbox)
    piece = next(s for s in shown if s.status == "draft")
    viewer = await inbox.user("readonly")
    browser = inbox.browser()
    await browser.login(viewer.email)
    _, page = await browser.get("/inbox/content?status=draft")
    assert str(piece.id) in page and "/decide" not in page  # sees, no buttons
    status, _ = await browser.post(f"/inbox/content/{piece.id}/decide", {"action": "approve"})
    assert status == 403

    async with inbox.stack.services.pool.acquire() as conn:
        other_org = await conn.fetchval(
            "INSERT INTO organizations (name, slug) VALUES ('Other', $1) RETURNING id",
            f"other-{uuid.uuid4().hex[:6]}",
        )
    try:
        stranger = await inbox.user("owner", org_id=other_org)
        other = inbox.browser()
        await other.login(stranger.email)
        _, page = await other.get("/inbox/content?status=draft")
        assert str(piece.id) not in page
        status, _ = await other.post(f"/inbox/content/{piece.id}/decide", {"action": "approve"})
        assert status == 404
    finally:
        async with inbox.stack.services.pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", other_org)
    async with inbox.stack.services.pool.acquire() as conn:
        row = await content_repo.find_variant(conn, inbox.stack.org_id, piece.id)
    assert row.status == "draft"
