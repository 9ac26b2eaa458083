"""Decisions on drafts: once, recorded, learned from, sent through the outbox."""

from __future__ import annotations

import asyncio
import json
import uuid
from types import SimpleNamespace

import pytest

from agents.knowledge.corpus import CorpusIndexer
from agents.retrieval.embedders import HashingEmbedder
from agents.retrieval.lexical import LexicalEncoder
from bot.approvals import (
    SENDERS,
    Approvals,
    InvalidDecision,
    NotAllowed,
    register_sender,
)
from bot.outbox import ChannelOutbox
from storage.db import transaction
from storage.queue import WorkQueue
from storage.repositories import audit, users
from storage.vectors import CollectionKind, VectorStore, make_qdrant_client
from tests.agents.test_pipeline import run
from tests.agents.test_pipeline import shop as shop  # noqa: F401 - the fixture
from tests.storage.factories import make_org


@pytest.fixture
async def desk(pool, redis, keys, shop):  # noqa: F811
    """The shop, its staff and an Approvals wired to a real outbound queue."""
    ref, intake, pipeline, _ = shop
    async with transaction(pool) as conn:
        staff = SimpleNamespace(
            owner=await users.create(conn, ref.org_id, "owner@costa.test", "owner"),
            ana=await users.create(conn, ref.org_id, "ana@costa.test", "agent"),
            ben=await users.create(conn, ref.org_id, "ben@costa.test", "agent"),
            viewer=await users.create(conn, ref.org_id, "viewer@costa.test", "readonly"),
        )
    outbound = WorkQueue(redis, keys, "outbound")
    await outbound.ensure_group()
    services = SimpleNamespace(pool=pool, redis=redis, keys=keys)
    approvals = Approvals(services, ChannelOutbox(pool, outbound))
    return SimpleNamespace(
        ref=ref, intake=intake, pipeline=pipeline, staff=staff, approvals=approvals,
        outbound=outbound, pool=pool,
    )  # fmt: skip


async def draft_for(desk, text: str):
    outcome = await run(desk.pool, desk.ref, desk.intake, desk.pipeline, text)
    assert outcome.suggestion_id is not None
    return outcome


async def outbound_rows(pool, org_id):
    async with pool.acquire() as conn:
        return await conn.fetch(
            "SELECT * FROM messages WHERE org_id = $1 AND direction = 'outbound'", org_id
        )


async def corpus_rows(pool, org_id):
    async with pool.acquire() as conn:
        return await conn.fetch("SELECT * FROM corpus_entries WHERE org_id = $1", org_id)


async def test_approve_queues_the_draft_once_and_records_everything(desk, redis, keys):
    outcome = await draft_for(desk, "How long does shipping to Spain take?")
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.org(desk.ref.org_id, "events"))
    await pubsub.get_message(timeout=1)  # the subscribe confirmation

    result = await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve"
    )

    assert result.applied and result.suggestion.status == "approved"
    assert result.suggestion.reviewer_id == desk.staff.ana.id
    [sent] = await outbound_rows(desk.pool, desk.ref.org_id)
    assert sent["id"] == result.outbound_message_id
    assert sent["content"] == outcome.draft.text and sent["status"] == "queued"
    assert sent["sender_user_id"] == desk.staff.ana.id
    # the worker's sender picks it up from the outbound stream
    entries = await desk.outbound.read("probe", count=10, block_ms=100)
    assert [e.item_id for e in entries] == [sent["id"]]
    [learned] = await corpus_rows(desk.pool, desk.ref.org_id)
    assert learned["question"] == "How long does shipping to Spain take?"
    assert learned["answer"] == outcome.draft.text and learned["source"] == "approved"
    assert learned["approved_by"] == desk.staff.ana.id and learned["vector_id"] is None
    async with desk.pool.acquire() as conn:
        [entry] = await audit.for_entity(
            conn, desk.ref.org_id, "reply_suggestion", outcome.suggestion_id
        )
    assert entry.action == "suggestion.approved" and entry.actor_user_id == desk.staff.ana.id
    assert entry.before["status"] == "pending" and entry.after["status"] == "approved"
    event = await pubsub.get_message(timeout=2, ignore_subscribe_messages=True)
    await pubsub.aclose()
    assert json.loads(event["data"])["type"] == "suggestion.decided"
    assert json.loads(event["data"])["status"] == "approved"


async def test_edit_sends_the_agents_text_and_learns_the_correction(desk):
    outcome = await draft_for(desk, "How long does shipping to Spain take?")
    result = await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "edit", "  5 days by express.  "
    )
    assert result.suggestion.status == "edited"
    assert result.suggestion.metadata is not None
    [sent] = await outbound_rows(desk.pool, desk.ref.org_id)
    assert sent["content"] == "5 days by express."
    [learned] = await corpus_rows(desk.pool, desk.ref.org_id)
    assert learned["answer"] == "5 days by express." and learned["source"] == "edited"
    async with desk.pool.acquire() as conn:
        edited = await conn.fetchval(
            "SELECT edited_text FROM reply_suggestions WHERE id = $1", outcome.suggestion_id
        )
    assert edited == "5 days by express."


async def test_edit_without_text_is_refused(desk):
    outcome = await draft_for(desk, "How long does shipping to Spain take?")
    with pytest.raises(InvalidDecision):
        await desk.approvals.decide(
            desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "edit", "  "
        )
    with pytest.raises(InvalidDecision):
        await desk.approvals.decide(
            desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "publish"
        )


async def test_reject_sends_nothing_and_learns_nothing(desk):
    outcome = await draft_for(desk, "How long does shipping to Spain take?")
    result = await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ben, "reject"
    )
    assert result.applied and result.suggestion.status == "rejected"
    assert result.outbound_message_id is None
    assert await outbound_rows(desk.pool, desk.ref.org_id) == []
    assert await corpus_rows(desk.pool, desk.ref.org_id) == []


async def test_two_agents_approving_at_once_send_one_reply(desk):
    outcome = await draft_for(desk, "How long does shipping to Spain take?")
    results = await asyncio.gather(
        desk.approvals.decide(desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve"),
        desk.approvals.decide(desk.ref.org_id, outcome.suggestion_id, desk.staff.ben, "approve"),
    )
    assert sorted(r.applied for r in results) == [False, True]
    winner = next(r for r in results if r.applied)
    loser = next(r for r in results if not r.applied)
    assert loser.decided_by == winner.suggestion.reviewer_id
    assert loser.outbound_message_id is None
    assert len(await outbound_rows(desk.pool, desk.ref.org_id)) == 1
    assert len(await corpus_rows(desk.pool, desk.ref.org_id)) == 1


async def test_a_decided_draft_cannot_be_decided_again(desk):
    outcome = await draft_for(desk, "How long does shipping to Spain take?")
    await desk.approvals.decide(desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "reject")
    again = await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ben, "approve"
    )
    assert not again.applied and again.suggestion.status == "rejected"
    assert await outbound_rows(desk.pool, desk.ref.org_id) == []


async def test_readonly_and_foreign_users_may_not_decide(desk, pool):
    outcome = await draft_for(desk, "How long does shipping to Spain take?")
    with pytest.raises(NotAllowed):
        await desk.approvals.decide(
            desk.ref.org_id, outcome.suggestion_id, desk.staff.viewer, "approve"
        )
    async with transaction(pool) as conn:
        other = await make_org(conn, "Rival Ltd")
        stranger = await users.create(conn, other.id, "boss@rival.test", "owner")
    try:
        with pytest.raises(NotAllowed):
            await desk.approvals.decide(desk.ref.org_id, outcome.suggestion_id, stranger, "approve")
        # nor can they reach it by claiming their own org
        with pytest.raises(Exception, match="not found|NotFound|reply suggestion"):
            await desk.approvals.decide(other.id, outcome.suggestion_id, stranger, "approve")
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", other.id)
    async with pool.acquire() as conn:
        status = await conn.fetchval(
            "SELECT status FROM reply_suggestions WHERE id = $1", outcome.suggestion_id
        )
    assert status == "pending"
    assert await outbound_rows(pool, desk.ref.org_id) == []


async def test_escalate_raises_priority_notifies_owners_and_stays_decidable(desk):
    outcome = await draft_for(desk, "How long does shipping to Spain take?")
    result = await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "escalate"
    )
    assert result.applied and result.suggestion.status == "escalated"
    async with desk.pool.acquire() as conn:
        priority = await conn.fetchval(
            "SELECT priority FROM conversations WHERE id = $1", result.suggestion.conversation_id
        )
        notes = await conn.fetch(
            "SELECT user_id, kind FROM notifications WHERE org_id = $1", desk.ref.org_id
        )
    assert priority == "high"
    assert [(n["user_id"], n["kind"]) for n in notes] == [(desk.staff.owner.id, "escalation")]
    again = await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.ben, "escalate"
    )
    assert not again.applied
    final = await desk.approvals.decide(
        desk.ref.org_id, outcome.suggestion_id, desk.staff.owner, "approve"
    )
    assert final.applied and len(await outbound_rows(desk.pool, desk.ref.org_id)) == 1


async def test_a_kind_can_bring_its_own_sender(desk, pool):
    outcome = await draft_for(desk, "How long does shipping to Spain take?")
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE reply_suggestions SET kind = 'followup', message_id = NULL WHERE id = $1",
            outcome.suggestion_id,
        )
    calls = []

    async def record(conn, services, suggestion, user, text):
        calls.append((suggestion.id, user.id, text))

    default = SENDERS["followup"]
    register_sender("followup", record)
    try:
        result = await desk.approvals.decide(
            desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve"
        )
    finally:
        register_sender("followup", default)
    assert calls == [(outcome.suggestion_id, desk.staff.ana.id, outcome.draft.text)]
    assert result.outbound_message_id is None
    # a follow-up answers no question: nothing to learn
    assert await corpus_rows(pool, desk.ref.org_id) == []


async def test_approved_replies_become_searchable(desk, pool, tmp_path):
    store = VectorStore(
        make_qdrant_client(url=None, api_key=None, path=tmp_path / "qdrant"), dense_size=64
    )
    await store.ensure_collections()
    try:
        indexer = CorpusIndexer(pool, store, HashingEmbedder(), LexicalEncoder())
        outcome = await draft_for(desk, "Do you ship to the Canary Islands?")
        await desk.approvals.decide(
            desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "edit",
            "Yes, to the Canary Islands in 10 days.",
        )  # fmt: skip
        assert await indexer.index_pending(desk.ref.org_id) == 1
        [row] = await corpus_rows(pool, desk.ref.org_id)
        assert row["vector_id"] == row["id"]
        assert await store.count(desk.ref.org_id, CollectionKind.CORPUS) == 1
        assert await store.count(uuid.uuid4(), CollectionKind.CORPUS) == 0
        # nothing left to do: a second pass (another process) indexes nothing twice
        assert await indexer.index_pending(desk.ref.org_id) == 0
    finally:
        await store.aclose()


async def test_the_workers_upkeep_indexes_what_the_web_process_could_not(desk, pool, tmp_path):
    """A web process without the vector store leaves the entry unindexed; the worker's
    reconciler pass (``Pipeline.maintain``) indexes it."""
    outcome = await draft_for(desk, "Do you ship to the Canary Islands?")
    await desk.approvals.decide(desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve")
    store = VectorStore(
        make_qdrant_client(url=None, api_key=None, path=tmp_path / "qdrant"), dense_size=64
    )
    await store.ensure_collections()
    try:
        desk.pipeline.corpus_indexer = CorpusIndexer(
            pool, store, HashingEmbedder(), LexicalEncoder()
        )
        assert await desk.pipeline.maintain() >= 1
        assert await store.count(desk.ref.org_id, CollectionKind.CORPUS) == 1
        # Nothing of this org is left (maintain() counts the whole shared test database,
        # where other tests leave rows of other vector spaces for the upkeep to re-embed).
        await desk.pipeline.maintain()
        assert await desk.pipeline.corpus_indexer.index_pending(desk.ref.org_id) == 0
        assert await store.count(desk.ref.org_id, CollectionKind.CORPUS) == 1
    finally:
        await store.aclose()


async def test_sandbox_drafts_are_refused_clearly(desk, pool):
    outcome = await draft_for(desk, "How long does shipping to Spain take?")
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE reply_suggestions SET metadata = metadata || '{\"sandbox\": true}' "
            "WHERE id = $1",
            outcome.suggestion_id,
        )
    with pytest.raises(InvalidDecision, match="sandbox"):
        await desk.approvals.decide(
            desk.ref.org_id, outcome.suggestion_id, desk.staff.ana, "approve"
        )
    assert await outbound_rows(pool, desk.ref.org_id) == []


async def test_owners_hear_of_an_escalation_once_however_often_it_is_announced(desk, pool):
    """Regression: the card pushers checked, then inserted; two at once notified twice."""
    from bot.approvals import notify_owners

    outcome = await draft_for(desk, "How long does shipping to Spain take?")

    async def announce():
        async with pool.acquire() as conn:
            await notify_owners(
                conn, desk.ref.org_id, kind="escalation", title="Complaint", body=None,
                entity_id=outcome.suggestion_id,
            )  # fmt: skip

    await asyncio.gather(*(announce() for _ in range(4)))
    async with pool.acquire() as conn:
        owners = await conn.fetch(
            "SELECT user_id FROM notifications WHERE entity_id = $1", outcome.suggestion_id
        )
    assert [r["user_id"] for r in owners] == [desk.staff.owner.id]
