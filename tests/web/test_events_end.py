"""The live stream ends with its session: after logging out (in this tab or another) or being
deactivated, no more of the org's drafts reach the open page.

Regression: a stream opened before logging out went on delivering every new draft's event
until the browser closed it.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def quick_heartbeat(monkeypatch):
    """Requested before ``inbox``: the stack reads its settings when it starts."""
    monkeypatch.setenv("TRADEMATE__WEB__SSE_HEARTBEAT_SECONDS", "1")


async def _rest_of(stream) -> str:
    """Everything the server still sends, up to the end of the stream (the timeout only
    guards a hang: a stream that never ends fails the test)."""
    async with asyncio.timeout(20):
        return (await stream.content.read()).decode()


async def _ready(stream) -> None:
    async with asyncio.timeout(10):
        while (await stream.content.readline()).decode().strip() != "event: ready":
            pass


async def _announce_draft(inbox) -> str:
    """A draft event on the org's channel, as the pipeline publishes it."""
    services = inbox.stack.services
    suggestion_id = str(uuid.uuid4())
    event = {"type": "suggestion.created", "suggestion_id": suggestion_id, "action": "queue"}
    await services.redis.publish(services.keys.org(inbox.stack.org_id, "events"), json.dumps(event))
    return suggestion_id


async def test_logging_out_ends_the_open_stream(inbox):
    agent = await inbox.user("agent")
    browser = inbox.browser()
    await browser.login(agent.email)
    async with browser.http.get(inbox.stack.base_url + "/inbox/events") as stream:
        await _ready(stream)
        status, _ = await browser.post("/inbox/logout", {})
        assert status == 200  # followed to the login form
        hidden = await _announce_draft(inbox)
        rest = await _rest_of(stream)
    assert hidden not in rest and "suggestion.created" not in rest
    # The browser's reconnect is refused, so EventSource stops.
    status, _ = await browser.get("/inbox/events")
    assert status == 401


async def test_a_deactivated_user_loses_the_stream_at_the_next_heartbeat(quick_heartbeat, inbox):
    agent = await inbox.user("agent")
    browser = inbox.browser()
    await browser.login(agent.email)
    async with browser.http.get(inbox.stack.base_url + "/inbox/events") as stream:
        await _ready(stream)
        async with inbox.stack.services.pool.acquire() as conn:
            await conn.execute("UPDATE users SET is_active = false WHERE id = $1", agent.id)
        rest = await _rest_of(stream)  # ends: no draft needed to notice
    assert "suggestion.created" not in rest
