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
