"""Wired into the agent pipeline: a purchase request gets its reply draft and a quote draft
(announced like any card); a question gets no quote."""

from __future__ import annotations

from functools import partial

from agents.quotes.intent import quote_from_message
from agents.quotes.service import QuoteService
from tests.agents.test_pipeline import run, shop  # noqa: F401 - the pipeline's shop fixture

from .conftest import DEFAULTS


async def test_a_purchase_request_gets_a_quote_card_too(pool, shop):  # noqa: F811
    ref, intake, pipeline, _ = shop
    announced = []

    async def notifier(org_id, suggestion_id):
        announced.append(suggestion_id)

    pipeline.notifier = notifier
    pipeline.quotes = partial(quote_from_message, QuoteService(pool, DEFAULTS))
    outcome = await run(pool, ref, intake, pipeline, "Please quote 400 pcs of steel bottle 500ml")
    async with pool.acquire() as conn:
        quote = await conn.fetchrow(
            "SELECT * FROM quotations WHERE source_message_id = $1", outcome.message_id
        )
        kinds = await conn.fetch(
            "SELECT kind FROM reply_suggestions WHERE org_id = $1 ORDER BY kind", ref.org_id
        )
    assert quote is not None and quote["total"] == 840 and quote["status"] == "pending_approval"
    assert quote["suggestion_id"] in announced
    assert [k["kind"] for k in kinds] == ["quote", "reply"]
    assert "quote" in outcome.timings_ms

    question = await run(pool, ref, intake, pipeline, "Do you ship to Spain?")
    async with pool.acquire() as conn:
        assert not await conn.fetchval(
            "SELECT count(*) FROM quotations WHERE source_message_id = $1", question.message_id
        )
