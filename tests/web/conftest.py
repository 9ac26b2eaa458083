"""The web inbox against the whole running service (the e2e ``stack``): staff accounts,
drafts made from real signed webhooks, and a browser-like HTTP client with its own cookies."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.passwords import hash_password
from channels.models import ChannelRef
from channels.registry import platforms
from storage.db import transaction
from storage.models import User
from storage.repositories import suggestions, users
from tests.e2e import conftest as e2e
from tests.e2e.conftest import Stack
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SANDBOX_FROM, sign_twilio_request

# The whole service on a loopback port with fake platform APIs (see tests/e2e/conftest.py).
fakes = e2e.fakes
stack = e2e.stack

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Draft:
    suggestion_id: uuid.UUID
    conversation_id: uuid.UUID
    customer_id: uuid.UUID
    text: str


class Browser:
    """An HTTP client that keeps cookies like a browser (127.0.0.1 included)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.token = ""

    async def get(self, path: str, **kwargs) -> tuple[int, str]:
        async with self.http.get(self.base_url + path, **kwargs) as response:
            return response.status, await response.text()

    async def post(self, path: str, data: dict, *, token: bool = True) -> tuple[int, str]:
        form = {"csrf_token": self.token, **data} if token else data
        async with self.http.post(self.base_url + path, data=form) as response:
            return response.status, await response.text()

    async def login(self, email: str, password: str = PASSWORD, **extra) -> tuple[int, str]:
        _, page = await self.get("/inbox/login")
        form = {"email": email, "password": password, "csrf_token": csrf_token(page), **extra}
        status, body = await self.post("/inbox/login", form, token=False)
        if status == 200 and "Log out" in body:
            self.token = csrf_token(body)
        return status, body

    def session_cookie(self) -> str | None:
        for cookie in self.http.cookie_jar:
            if cookie.key == "tm_session":
                return cookie.value
        return None

    async def aclose(self) -> None:
        await self.http.close()


class InboxHarness:
    def __init__(self, stack: Stack, channel: ChannelRef) -> None:
        self.stack = stack
        self.channel = channel
        self.browsers: list[Browser] = []

    def browser(self) -> Browser:
        browser = Browser(self.stack.base_url)
        self.browsers.append(browser)
        return browser

    async def user(self, role: str = "agent", *, org_id: uuid.UUID | None = None) -> User:
        email = f"{role}-{uuid.uuid4().hex[:6]}@shop.test"
        async with transaction(self.stack.services.pool) as conn:
            return await users.create(
                conn,
                org_id or self.stack.org_id,
                email,
                role,
                password_hash=hash_password(PASSWORD),
                display_name=f"{role.title()} Person",
            )

    async def inbound(self, text: str, *, phone: str = "+34600000009", name: str = "Marta"):
        """A signed WhatsApp message through the real webhook; returns the stored row."""
        sid = "SM" + uuid.uuid4().hex
        url = self.stack.url(self.channel)
        params = {
            "MessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": f"whatsapp:{phone}",
            "To": SANDBOX_FROM,
            "Body": text,
            "NumMedia": "0",
            "ProfileName": name,
        }
        headers = {
            "X-Twilio-Signature": sign_twilio_request(url, params, AUTH_TOKEN),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        async with self.stack.http.post(url, data=urlencode(params), headers=headers) as r:
            assert r.status == 200
        await self.stack.wait_for(
            "SELECT count(*) FROM messages WHERE external_message_id = $1", sid, expect=1
        )
        rows = await self.stack.fetch("SELECT * FROM messages WHERE external_message_id = $1", sid)
        return rows[0]

    async def draft(self, question: str, answer: str, **who) -> Draft:
        """An inbound message and the pending draft the pipeline would write for it,
        announced on the org's events channel as the pipeline does."""
        message = await self.inbound(question, **who)
        async with transaction(self.stack.services.pool) as conn:
            suggestion, _ = await suggestions.create_reply(
                conn,
                org_id=message["org_id"],
                message_id=message["id"],
                conversation_id=message["conversation_id"],
                draft=answer,
                language="en",
                sources=[{"kind": "faq", "id": str(uuid.uuid4()), "score": 0.93, "title": "FAQ"}],
                confidence=0.9,
                engine="offline",
                action="queue",
                reason="needs approval",
            )
        services = self.stack.services
        event = {
            "type": "suggestion.created",
            "suggestion_id": str(suggestion.id),
            "conversation_id": str(suggestion.conversation_id),
            "action": "queue",
        }
        channel = services.keys.org(message["org_id"], "events")
        await services.redis.publish(channel, json.dumps(event))
        return Draft(suggestion.id, message["conversation_id"], message["customer_id"], answer)


@pytest.fixture(scope="session", autouse=True)
def _adapters_imported() -> None:
    """Import every channel adapter (aiogram alone takes seconds) before the first ``stack``
    starts, so a busy machine doesn't spend the stack's start-up budget on imports."""
    platforms()


@pytest.fixture
async def inbox(stack: Stack) -> AsyncIterator[InboxHarness]:
    config = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": SANDBOX_FROM}
    harness = InboxHarness(stack, await stack.add_channel("whatsapp", config))
    try:
        yield harness
    finally:
        for browser in harness.browsers:
            await browser.aclose()
