"""The playground in process, on the pipeline ``open_pipeline`` builds for ``trademate try``:
what an earlier line said reaches the LLM's draft for a later one, and a sandbox conversation
can never queue a message to send — not even when something (an approval in the inbox) tries."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from agents.llm import LLMConfig, LLMGateway
from agents.llm.tasks import LLMTasks
from bot.agent_runtime import open_pipeline
from bot.cli_try import format_turn
from bot.outbox import ChannelOutbox
from bot.playground import Playground
from bot.services import open_services
from bot.settings import load_settings
from storage.db import transaction
from storage.queue import WorkQueue
from storage.repositories import organizations
from tests.conftest import wipe_namespace
from tests.fakes.chat_model import FakeModels

pytestmark = pytest.mark.slow


@pytest.fixture
async def stack(monkeypatch, database_url, redis_url, tmp_path):
    for name, value in {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TRADEMATE__APP__DATA_DIR": str(tmp_path / "var"),
        "TRADEMATE__REDIS__NAMESPACE": f"try{uuid.uuid4().hex[:8]}",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    async with (
        open_services(settings, with_vectors=True) as services,
        open_pipeline(services, None) as pipeline,
    ):
        async with transaction(services.pool) as conn:
            org = await organizations.create(conn, "Playground Shop")
        try:
            yield services, pipeline, org
        finally:
            async with services.pool.acquire() as conn:
                await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)
            await wipe_namespace(services.redis, settings.redis.namespace)


def classification_out(category: str) -> dict:
    return {
        "category": category,
        "sub_intent": None,
        "confidence": 0.9,
        "sentiment": "neutral",
        "language": "en",
        "urgency": "normal",
        "is_hot_lead": False,
        "lead_score": 40,
    }


def draft_out(reply: str) -> dict:
    return {
        "reply": reply,
        "language": "en",
        "source_ids": [],
        "needs_human": False,
        "reason": None,
        "confidence": 0.8,
    }


async def test_a_fact_from_line_one_reaches_the_draft_of_line_three(stack) -> None:
    services, pipeline, org = stack
    assert pipeline.outbox is None  # the playground's pipeline cannot send
    models = FakeModels()
    config = LLMConfig(provider="openai", model="fake-model", timeout_seconds=5.0)
    gateway = LLMGateway(
        config, services.pool, services.redis, services.keys, model_factory=models.factory
    )
    pipeline.llm = LLMTasks(gateway)
    for reply in ("Noted!", "Yes, within 30 days.", "We can ship 500 pcs to Madrid."):
        models.answer("DraftOut", draft_out(reply))
    # The model's classification of each line, and one fact the rules do not catch.
    for category in ("purchase_intent", "question", "question"):
        models.answer("ClassificationOut", classification_out(category))
    hotel = {"category": "need", "content": "Furnishing a new hotel.", "importance": 0.7}
    models.answer("MemoriesOut", {"memories": [hotel]}, {"memories": []}, {"memories": []})
    playground = Playground(services, pipeline, org, customer_name="Lucía")

    turns = [
        await playground.say(text)
        for text in (
            "Hi, we are in Madrid, need 500 pcs for our new hotel",
            "Do you accept returns?",
            "Can you deliver before Christmas?",
        )
    ]

    assert models.tools_called() == ["ClassificationOut", "MemoriesOut", "DraftOut"] * 3
    third_prompt = "\n".join(str(m.content) for m in models.calls[8][1])
    assert "Based in Madrid" in third_prompt and "Needs 500 pcs" in third_prompt
    assert "Furnishing a new hotel." in third_prompt  # the model's own fact, recalled
    assert (turns[2].engine, turns[2].draft) == ("llm", "We can ship 500 pcs to Madrid.")
    assert {"Based in Madrid", "Needs 500 pcs"} <= {m["content"] for m in turns[2].memories}
    assert turns[0].category == "purchase_intent" and turns[1].category == "question"
    shown = format_turn(turns[2])
    assert "memory     Based in Madrid (location" in shown
    assert "draft      We can ship 500 pcs to Madrid." in shown
    assert "engine     llm" in shown


async def test_a_sandbox_suggestion_can_never_be_queued_for_sending(stack) -> None:
    services, pipeline, org = stack
    playground = Playground(services, pipeline, org)
    turn = await playground.say("Do you accept returns?")
    assert turn.action == "queue" and turn.suggestion_id is not None
    async with services.pool.acquire() as conn:
        conversation_id = await conn.fetchval(
            "SELECT conversation_id FROM messages WHERE id = $1", turn.message_id
        )
    outbox = ChannelOutbox(services.pool, WorkQueue(services.redis, services.keys, "outbound"))

    # What approving it in the inbox would do: the database refuses, nothing is queued.
    with pytest.raises(asyncpg.CheckViolationError, match="sandbox channel"):
        await outbox.send_suggestion(org.id, turn.suggestion_id, conversation_id, "Approved!")

    async with services.pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM messages WHERE org_id = $1 AND direction = 'outbound'", org.id
            )
            == 0
        )
        assert (
            await conn.fetchval(
                "SELECT status FROM reply_suggestions WHERE id = $1", turn.suggestion_id
            )
            == "pending"
        )  # the refused approval rolled back with it
        with pytest.raises(asyncpg.CheckViolationError, match="channels_test_disabled"):
            await conn.execute(
                "UPDATE channels SET status = 'active' WHERE org_id = $1 AND is_test", org.id
            )
