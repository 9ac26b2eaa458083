"""Live updates: server-sent events from the org's Redis events channel.

Each open inbox holds one stream; the web process serving it subscribes to the viewer's org
channel, so with several web processes every one of them sees every event (the pipeline and
the decision core publish to Redis, not to a process). Only draft events are forwarded; a
comment line every ``sse_heartbeat_seconds`` keeps proxies from closing an idle stream and
notices a browser that went away. The stream ends once its session is gone (logged out) or
its user deactivated; the browser's reconnect then gets 401 and stops.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from redis.exceptions import RedisError

from storage import events

from .viewer import Viewer, state, viewer

if TYPE_CHECKING:
    from .app import InboxState

log = logging.getLogger(__name__)

FORWARDED = frozenset({"suggestion.created", "suggestion.decided"})
# How often the loop looks up from Redis to notice a shutdown.
POLL_SECONDS = 0.5


async def stream(request: web.Request) -> web.StreamResponse:
    who = viewer(request)
    st = state(request)
    heartbeat = st.services.settings.web.sse_heartbeat_seconds
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # nginx: don't buffer the stream
        }
    )
    pubsub = st.services.redis.pubsub()
    channel = events.channel(st.services.keys, who.org_id)
    try:
        await pubsub.subscribe(channel)
        await response.prepare(request)
        # Subscribed before the first byte, so "ready" means no later event is missed.
        await response.write(b"retry: 3000\nevent: ready\ndata: {}\n\n")
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while not st.stopping.is_set():
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=POLL_SECONDS)
            if message is not None:
                frame = _frame(message.get("data"))
                if frame is not None:
                    if not await _session_alive(st, who):
                        break
                    await response.write(frame)
                    quiet_since = loop.time()
            elif loop.time() - quiet_since >= heartbeat:
                if not await _still_allowed(st, who):
                    break
                await response.write(b": heartbeat\n\n")
                quiet_since = loop.time()
    except ConnectionResetError:
        log.debug("inbox stream of user %s closed by the browser", who.user.id)
    except (RedisError, OSError) as err:
        log.warning("inbox stream of org %s lost Redis: %s", who.org_id, err)
    finally:
        try:
            await pubsub.unsubscribe(channel)
        except (RedisError, OSError):
            log.debug("could not unsubscribe %s", channel)
        await pubsub.aclose()
    return response


async def _session_alive(st: InboxState, who: Viewer) -> bool:
    """The stream outlives the request that opened it: after a logout (here or in another
    tab) it must not go on showing the org's drafts. Checked before every event."""
    return await st.sessions.get(who.session.id) is not None


async def _still_allowed(st: InboxState, who: Viewer) -> bool:
    """At each heartbeat also the user: a deactivated one loses the stream within
    ``sse_heartbeat_seconds`` (the login guard drops their session on their next page)."""
    if not await _session_alive(st, who):
        return False
    async with st.services.pool.acquire() as conn:
        return bool(
            await conn.fetchval(
                "SELECT is_active FROM users WHERE org_id = $1 AND id = $2",
                who.org_id,
                who.user.id,
            )
        )


def _frame(data: object) -> bytes | None:
    try:
        event = json.loads(data) if isinstance(data, (str, bytes)) else None
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("type") not in FORWARDED:
        return None
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
