"""``/help``: the commands this user may run, one line each."""

from __future__ import annotations

from .commands import COMMANDS, CommandContext, Reply, command


@command("help", help="/help — what you can ask me", min_role="readonly")
async def show_help(ctx: CommandContext) -> Reply:
    lines = [
        c.help
        for c in sorted(COMMANDS.values(), key=lambda c: c.name)
        if c.listed and c.allowed(ctx.user.role)
    ]
    return Reply("Commands:\n" + "\n".join(lines))


@command("start", help="/start — who you are here", min_role="readonly", listed=False)
async def start(ctx: CommandContext) -> Reply:
    """Telegram's Start button sends ``/start``: a linked staff member opening the bot again
    hears who they are here, not "Unknown command /start" (customers' /start stays theirs)."""
    who = ctx.user.display_name or ctx.user.email
    return Reply(
        f"Hello {who} ({ctx.user.role}). New drafts reach you here as cards; "
        "send /inbox for the ones waiting, /help for everything you can do."
    )
