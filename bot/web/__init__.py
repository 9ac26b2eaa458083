"""The web inbox: staff log in, see pending drafts beside their conversations, decide them.

Server-rendered pages (jinja2) on the same aiohttp server as the webhooks, mounted under
``/inbox`` by :func:`add_inbox_routes`. Sessions live in Redis, so any number of web
processes serve the same staff; live updates come from the org's Redis events channel.
"""

from .app import add_inbox_routes

__all__ = ["add_inbox_routes"]
