"""Live updates: the inbox's server-sent event stream follows the org's Redis channel."""

from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp
import pytest

pytestmark = pytest.mark.slow


async def _next_event(response: aiohttp.ClientResponse, wanted: str) -> dict:
    """Read frames until one of type ``wanted`` (the timeout only guards a hang)."""
    async with asyncio.timeout(10):
        event = None
        while True:
            line = (await response.content.readline()).decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: ") and event == wanted:
                return json.loads(line[len("data: ") :])


async def test_the_stream_announces_new_and_decided_drafts_of_the_viewers_org_only(inbox):
    agent = await inbox.user("agent")
    browser = inbox.browser()
    await browser.login(agent.email)
    async with browser.http.get(inbox.stack.base_url + "/inbox/events") as stream:
        assert stream.status == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        await _next_event(stream, "ready")

        # Another org's event on its own channel never reaches this stream.
        services = inbox.stack.services
        foreign = {"type": "suggestion.created", "suggestion_id": str(uuid.uuid4())}
        await services.redis.publish(services.keys.org(uuid.uuid4(), "events"), json.dumps(foreign))

        draft = await inbox.draft("any discounts for 1000 pcs?", "Yes: 10% off.")
        created = await _next_event(stream, "suggestion.created")
        assert created["suggestion_id"] == str(draft.suggestion_id)

        # The card the page would fetch for it.
        status, fragment = await browser.get(f"/inbox/cards/{draft.suggestion_id}")
        assert status == 200 and fragment.lstrip().startswith("<article")
        assert "Yes: 10% off." in fragment

        await browser.post(f"/inbox/suggestions/{draft.suggestion_id}/decide", {"action": "reject"})
        decided = await _next_event(stream, "suggestion.decided")
        assert decided["suggestion_id"] == str(draft.suggestion_id)
        assert decided["status"] == "rejected"
    status, _ = await browser.get(f"/inbox/cards/{draft.suggestion_id}")
    assert status == 404  # decided: no longer a card
