"""``/webhooks/{platform}/{channel_id}``: verify, normalize, store, enqueue, answer.

Nothing slow happens here: platforms give us seconds (WeCom's URL check one), and retry
when we're late, so drafting and sending belong to the workers. The route only touches
the adapter contract (verify/parse/handshake) and the intake service; what a platform
payload looks like stays inside ``channels/``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Protocol

from aiohttp import web

from channels.base import ChannelAdapter
from channels.errors import ChannelError, MalformedPayload, WebhookAuthError, WebhookError
from channels.hub import ChannelHub
from channels.intake import Intake
from channels.models import ChannelRef, InboundMessage, WebhookRequest, WebhookResponse
from storage.errors import NotFound
from storage.repositories import webhook_rejects

log = logging.getLogger(__name__)


class StaffGate(Protocol):
    """Takes the shop's staff updates out of a webhook (they are not customers) and answers
    them; returns the customers' messages. Installed by :mod:`bot.staff_bot`."""

    async def divert(
        self, ref: ChannelRef, adapter: ChannelAdapter, messages: tuple[InboundMessage, ...]
    ) -> tuple[InboundMessage, ...]: ...


HUB_KEY = web.AppKey("channel_hub", ChannelHub)
INTAKE_KEY = web.AppKey("intake", Intake)
PUBLIC_URL_KEY = web.AppKey("public_url", str)
STAFF_GATE_KEY = web.AppKey("staff_gate", StaffGate)


def add_webhook_routes(app: web.Application) -> None:
    app.router.add_route("POST", "/webhooks/{platform}/{channel_id}", receive)
    app.router.add_route("GET", "/webhooks/{platform}/{channel_id}", handshake)


async def receive(request: web.Request) -> web.StreamResponse:
    found = await _channel(request)
    if isinstance(found, web.Response):
        return found
    ref, adapter = found
    hook = await _to_webhook_request(request)
    try:
        adapter.verify(hook)
    except WebhookAuthError as err:
        log.warning(
            "webhook refused (%d): %s platform=%s channel=%s remote=%s",
            err.status,
            err.reason,
            ref.platform,
            ref.id,
            request.remote,
        )
        return web.Response(status=err.status, text=err.reason)
    try:
        result = adapter.parse(hook)
    except MalformedPayload as err:
        await _keep_reject(request, hook, err, ref.org_id, ref.id, ref.platform, err.readable)
        return web.Response(status=400, text=err.reason)

    messages = result.messages
    gate = request.app.get(STAFF_GATE_KEY)
    if gate is not None and messages:
        messages = await gate.divert(ref, adapter, messages)
    intake = request.app[INTAKE_KEY]
    await intake.accept(ref, messages)
    if result.statuses:
        await intake.record_statuses(ref, result.statuses)
    return _answer(result.response)


async def handshake(request: web.Request) -> web.StreamResponse:
    found = await _channel(request)
    if isinstance(found, web.Response):
        return found
    ref, adapter = found
    try:
        return _answer(adapter.handshake(await _to_webhook_request(request)))
    except WebhookError as err:
        log.warning(
            "webhook handshake refused (%d): %s platform=%s channel=%s",
            err.status,
            err.reason,
            ref.platform,
            ref.id,
        )
        return web.Response(status=err.status, text=err.reason)


async def _channel(request: web.Request):
    platform = request.match_info["platform"]
    try:
        channel_id = uuid.UUID(request.match_info["channel_id"])
    except ValueError:
        return web.Response(status=404, text="unknown channel")
    try:
        ref, status, adapter = await request.app[HUB_KEY].get(channel_id)
    except NotFound:
        log.warning(
            "webhook for unknown channel %s (%s) from %s", channel_id, platform, request.remote
        )
        return web.Response(status=404, text="unknown channel")
    except ChannelError as err:  # a stored config we can't use: our problem, let them retry
        log.error("channel %s cannot be loaded: %s", channel_id, err)
        return web.Response(status=503, text="channel unavailable")
    if ref.platform != platform:
        return web.Response(status=404, text="unknown channel")
    if status == "disabled":
        return web.Response(status=403, text="channel disabled")
    return ref, adapter


async def _to_webhook_request(request: web.Request) -> WebhookRequest:
    # Signatures cover the URL the platform called, which behind a proxy is the public one.
    public = request.app[PUBLIC_URL_KEY].rstrip("/")
    return WebhookRequest(
        method=request.method,
        url=public + request.path_qs,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query),
        body=await request.read(),
        remote=request.remote,
        received_url=str(request.url),
    )


async def _keep_reject(
    request: web.Request,
    hook: WebhookRequest,
    err: WebhookError,
    org_id: uuid.UUID,
    channel_id: uuid.UUID,
    platform: str,
    readable: bytes | None = None,
) -> None:
    log.warning("malformed webhook kept for inspection: %s channel=%s", err.reason, channel_id)
    pool = request.app[HUB_KEY].pool
    async with pool.acquire() as conn:
        await webhook_rejects.record(
            conn,
            status_code=err.status,
            reason=err.reason,
            headers=hook.headers,
            # An encrypted envelope is kept opened: the cipher alone can't be inspected.
            body=readable if readable is not None else hook.body,
            platform=platform,
            org_id=org_id,
            channel_id=channel_id,
            remote_addr=hook.remote,
        )


def _answer(response: WebhookResponse) -> web.Response:
    return web.Response(
        status=response.status, text=response.body, content_type=response.content_type
    )
