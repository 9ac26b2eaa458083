"""Staff commands of the content studio.

``/content caption SKU-1 instagram es [MARKET]``, ``/hooks SKU-1 10 [platform] [lang]`` and
``/script SKU-1 tiktok 30s [lang]`` answer with one card per checked variant, each with
Approve / Regenerate / Localize buttons (blocked variants are listed with their reason,
never offered). Approved pieces become the merchant's library, which later LLM generations
take as examples. Button data: ``content:<action>:<variant id>[:<market>]``.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from agents.content import actions
from agents.content.errors import ContentError
from agents.content.outcome import ContentRequest, Outcome, Shown
from agents.content.platforms import PLATFORMS
from storage.errors import NotFound
from storage.repositories import content as repo
from storage.repositories import organizations

from .commands import Button, CommandContext, Reply, callback, command

if TYPE_CHECKING:
    from agents.content.studio import Studio

KINDS = {
    "caption": "caption",
    "captions": "caption",
    "script": "script",
    "hook": "hook",
    "hooks": "hook",
}
_SECONDS = re.compile(r"^(\d{1,3})s$")


def _studio(ctx: CommandContext) -> Studio:
    """The front end's one studio (``extra["studio"]``): the staff bot opens it with the app
    (:func:`bot.cli_content.open_studio`), so commands and buttons don't each build one and
    its LLM gateway."""
    return ctx.extra["studio"]


async def _parse(ctx: CommandContext, kind: str, words: list[str]) -> ContentRequest:
    """SKU first; then, in any order: a platform, a language, a count, "30s", a market."""
    if not words:
        raise ContentError(f"usage: {_USAGE[kind]}")
    sku, rest = words[0], words[1:]
    request = ContentRequest(kind, sku, "instagram", "", source="bot", user_id=ctx.user.id)
    for word in rest:
        low = word.lower()
        if low in PLATFORMS:
            request.platform = low
        elif low.isascii() and low.isdigit():  # "²".isdigit() is true, int("²") fails
            request.n = int(low)
        elif _SECONDS.match(low):
            request.seconds = int(_SECONDS.match(low).group(1))  # type: ignore[union-attr]
        elif len(word) == 2 and word.islower():
            request.language = low
        elif len(word) == 2 and word.isupper():
            request.market = word
        else:
            raise ContentError(f"don't know {word!r}; usage: {_USAGE[kind]}")
    if not request.language:
        async with ctx.services.pool.acquire() as conn:
            org = await organizations.get(conn, ctx.org_id)
        request.language = org.default_language
    return request


_USAGE = {
    "caption": "/content caption SKU-1 instagram es [MARKET]",
    "hook": "/hooks SKU-1 10 [platform] [language]",
    "script": "/script SKU-1 tiktok 30s [language]",
}


async def _generate(ctx: CommandContext, kind: str, words: list[str]) -> list[Reply]:
    try:
        request = await _parse(ctx, kind, words)
        outcome = await _studio(ctx).generate(ctx.org_id, request)
    except (ContentError, NotFound) as err:
        return [Reply(f"Can't generate this: {err}")]
    return cards(outcome)


def cards(outcome: Outcome) -> list[Reply]:
    """A header (engine, notes, what was blocked and why), then one card per shown variant."""
    blocked = [s for s in outcome.variants if s.status == "blocked"]
    head = [
        f"{len(outcome.shown)} {outcome.kind} variant(s) for {outcome.platform} "
        f"({outcome.language}{', ' + outcome.market if outcome.market else ''}; "
        f"{outcome.engine})"
    ]
    head += [f"Note: {n}" for n in outcome.notes]
    for s in blocked:
        reasons = "; ".join(v.message for v in s.violations if v.blocks)
        head.append(f"Blocked and not shown: {reasons}")
    return [Reply("\n".join(head)), *(card(s) for s in outcome.shown)]


def card(shown: Shown) -> Reply:
    v = shown.variant
    lines = [f"#{shown.rank or '-'} {v.kind}" + (f" ({v.hook_type})" if v.hook_type else "")]
    if v.title:
        lines.append(v.title)
    if v.scenes:
        for s in v.scenes:
            lines.append(f"[{s.purpose}, {s.duration_seconds}s] {s.on_screen_text}")
            lines.append(f"   voice: {s.voiceover} | shot: {s.visual}")
    else:
        lines.append(v.text)
    if v.call_to_action and not v.scenes:
        lines.append(v.call_to_action)
    if v.hashtags:
        lines.append(" ".join(v.hashtags))
    lines += [f"⚠️ {x.message}" for x in shown.violations]
    buttons = [
        Button("✅ Approve", f"content:a:{shown.id}"),
        Button("🔄 Regenerate", f"content:r:{shown.id}"),
    ]
    if shown.table == "content_pieces":
        buttons.append(Button("🌍 Localize", f"content:l:{shown.id}"))
    return Reply("\n".join(lines), buttons=[buttons])


@command("content", help=f"{_USAGE['caption']} — captions (or: /content script|hook ...)")
async def content_command(ctx: CommandContext) -> list[Reply]:
    words = ctx.args.split()
    kind = KINDS.get(words[0].lower()) if words else None
    if kind is None:
        return [Reply(f"usage: {_USAGE['caption']}")]
    return await _generate(ctx, kind, words[1:])


@command("hooks", help=f"{_USAGE['hook']} — opening hooks for a post or video")
async def hooks_command(ctx: CommandContext) -> list[Reply]:
    return await _generate(ctx, "hook", ctx.args.split())


@command("script", help=f"{_USAGE['script']} — a short-video script")
async def script_command(ctx: CommandContext) -> list[Reply]:
    return await _generate(ctx, "script", ctx.args.split())


@command("library", help="/library [hook|caption|script] — approved content", min_role="readonly")
async def library_command(ctx: CommandContext) -> Reply:
    kind = KINDS.get(ctx.args.strip().lower()) if ctx.args.strip() else None
    async with ctx.services.pool.acquire() as conn:
        rows = await repo.list_variants(conn, ctx.org_id, status="approved", kind=kind, limit=20)
    if not rows:
        return Reply("No approved content yet: approve a variant from /content, /hooks or /script.")
    lines = [
        f"• {r.kind}, {r.platform}, {r.language}: {' '.join(r.text.split())[:120]}" for r in rows
    ]
    return Reply("Your content library (newest first):\n" + "\n".join(lines))


@callback("content")
async def content_button(ctx: CommandContext) -> Reply | list[Reply]:
    """``a:<id>`` approve, ``r:<id>`` regenerate, ``l:<id>`` choose a market,
    ``m:<id>:<MARKET>`` localize."""
    action, _, rest = ctx.args.partition(":")
    raw_id, _, market = rest.partition(":")
    try:
        variant_id = uuid.UUID(raw_id)
    except ValueError:
        return Reply("This button is out of date.")
    studio = _studio(ctx)
    try:
        if action == "a":
            done = await actions.approve(studio, ctx.org_id, variant_id, ctx.user.id)
            return Reply(
                "Approved: saved to your content library."
                if done
                else "Not approved: it was blocked or already decided."
            )
        if action == "r":
            return cards(
                await actions.regenerate(studio, ctx.org_id, variant_id, user_id=ctx.user.id)
            )
        if action == "l":
            markets = studio.config.markets or ("US",)
            row = [Button(m, f"content:m:{variant_id}:{m}") for m in markets]
            return Reply(
                "Localize for which market?",
                buttons=[row[i : i + 4] for i in range(0, len(row), 4)],
            )
        if action == "m" and market:
            shown = await actions.localize(
                studio, ctx.org_id, variant_id, market, user_id=ctx.user.id
            )
            reply = card(shown)
            if shown.status == "blocked":
                reasons = "; ".join(v.message for v in shown.violations)
                return Reply(f"The {market} version was blocked: {reasons}")
            reply.text = f"{market} version:\n{reply.text}"
            return reply
    except (ContentError, NotFound) as err:
        return Reply(f"Can't do this: {err}")
    return Reply("This button is out of date.")
