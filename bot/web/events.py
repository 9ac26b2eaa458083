"""Live updates: server-sent events from the org's Redis events channel.

Each open inbox holds one stream; the web process serving it subscribes to the viewer's org
channel, so with several web processes every one of them sees every event (the pipeline and
the decision core publish to Redis, not to a process). Only draft events are forwarded; a
comment line every ``sse_heartbeat_seconds`` keeps proxies from closing an idle stream and
notices a browser that went away.
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web
from redis.exceptions import RedisError

from storage import events

from .viewer import state, viewer

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
                    await response.write(frame)
                    quiet_since = loop.time()
            elif loop.time() - quiet_since >= heartbeat:
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


def _frame(data: object) -> bytes | None:
    try:
        event = json.loads(data) if isinstance(data, (str, bytes)) else None
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("type") not in FORWARDED:
        return None
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
