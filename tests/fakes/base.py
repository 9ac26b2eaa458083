"""A base for fake platform APIs: a real aiohttp server on 127.0.0.1 that records calls.

Subclasses add routes that answer in the platform's real wire format. Tests program
failures with :meth:`FakeAPI.fail_next` (e.g. a 429 with Retry-After, or two 503s) and read
what our code sent from :attr:`FakeAPI.calls`.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class Failure:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    path_contains: str | None = None


class FakeAPI:
    """Start with ``async with FakeSomething() as fake:``; ``fake.base_url`` is where it listens."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._failures: deque[Failure] = deque()
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.app = web.Application(middlewares=[self._record])
        self.add_routes(self.app)

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def fail_next(
        self,
        status: int,
        body: Any,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
        path_contains: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching calls with this status and body."""
        for _ in range(times):
            self._failures.append(Failure(status, body, headers or {}, path_contains))

    def calls_to(self, fragment: str) -> list[Call]:
        return [c for c in self.calls if fragment in c.path]

    @web.middleware
    async def _record(self, request: web.Request, handler):
        body = await request.read()
        self.calls.append(
            Call(
                request.method,
                request.path,
                dict(request.query),
                {k.lower(): v for k, v in request.headers.items()},
                body,
            )
        )
        for failure in list(self._failures):
            if failure.path_contains is None or failure.path_contains in request.path:
                self._failures.remove(failure)
                payload = failure.body
                text = payload if isinstance(payload, str) else json.dumps(payload)
                return web.Response(
                    status=failure.status,
                    text=text,
                    headers=failure.headers,
                    content_type="application/json" if not isinstance(payload, str) else None,
                )
        return await handler(request)

    async def __aenter__(self) -> FakeAPI:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
