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


async def test_a_decision_in_one_web_process_reaches_a_stream_held_by_another(inbox):
    """Two web processes share nothing but PostgreSQL and Redis: a second app on its own
    port serves the stream; the decision is taken through the first."""
    from aiohttp import web

    from bot.server import build_web_app

    stack = inbox.stack
    runner = web.AppRunner(build_web_app(stack.services, stack.runtime))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    second = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        agent = await inbox.user("agent")
        draft = await inbox.draft("can I pay by card?", "Yes, all cards.")
        first = inbox.browser()
        await first.login(agent.email)
        # The same session cookie works on the other process: sessions live in Redis.
        other = inbox.browser()
        other.base_url = second
        other.http.cookie_jar.update_cookies({"tm_session": first.session_cookie()})
        async with other.http.get(second + "/inbox/events") as stream:
            assert stream.status == 200
            await _next_event(stream, "ready")
            await first.post(
                f"/inbox/suggestions/{draft.suggestion_id}/decide", {"action": "approve"}
            )
            decided = await _next_event(stream, "suggestion.decided")
        assert decided["suggestion_id"] == str(draft.suggestion_id)
        assert decided["status"] == "approved"
    finally:
        await runner.cleanup()
