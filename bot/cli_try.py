"""``trademate try``: talk to the org's agent from the terminal, as a sandbox customer.

Interactive when stdin is a terminal (a prompt with history, ``/reset``, ``/memories``,
``/quit``); otherwise one customer message per line of stdin. Each turn prints what the
pipeline made of the message; ``--json`` prints one object per line instead. ``--purge``
deletes the org's sandbox. The session runs on one event loop (``asyncio.Runner``) with the
prompt read between turns, so ``input()`` never blocks a running loop.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .cli_stdin import stdin_lines
from .settings import Settings

if TYPE_CHECKING:
    from .playground import Playground, Turn

_NOTE = (
    "Sandbox rows are marked as tests: never sent, left out of stats, leads and follow-ups. "
    "Opens the vector store: with Qdrant local mode (no qdrant.url) this cannot run while "
    "`trademate serve` uses the same data directory."
)
_HELP = "commands: /reset (new sandbox customer), /memories, /quit"


def _session(
    settings: Settings, org_ref: str, options: dict, *, as_json: bool, purge: bool
) -> None:
    from .agent_runtime import open_pipeline
    from .cli import known_errors
    from .cli_kb import _services  # the same "Qdrant folder in use" hint as `kb`
    from .playground import Playground, resolve_org
    from .playground import purge as purge_sandbox

    with known_errors(), asyncio.Runner() as runner:
        stack = AsyncExitStack()
        try:
            services = runner.run(stack.enter_async_context(_services(settings)))
            org = runner.run(resolve_org(services, org_ref))
            if purge:
                counts = runner.run(purge_sandbox(services, org))
                click.echo(
                    f"purged the sandbox of {org.slug}: "
                    + ", ".join(f"{n} {table}" for table, n in counts.items())
                )
                return
            pipeline = runner.run(stack.enter_async_context(open_pipeline(services, None)))
            if options.pop("engine") == "offline":
                pipeline.llm = None  # even when an LLM is configured
            playground = Playground(services, pipeline, org, **options)
            customer = runner.run(playground.start())
            click.echo(
                f"talking to {org.name} as sandbox customer {customer.display_name or '(no name)'} "
                f"({customer.id}) on {playground.platform}",
                err=True,
            )
            if sys.stdin.isatty():
                _interactive(runner.run, playground, as_json, settings.data_dir / "try_history")
            else:
                for line in stdin_lines():
                    if not _line(runner.run, playground, line, as_json):
                        break
        finally:
            runner.run(stack.aclose())


def _line(run: Callable, playground: Playground, line: str, as_json: bool) -> bool:
    """Handle one input line; False means quit."""
    text = line.strip()
    if not text:
        return True
    if text in ("/quit", "/exit"):
        return False
    if text == "/reset":
        customer = run(playground.reset())
        click.echo(f"new sandbox customer {customer.id}", err=True)
    elif text == "/memories":
        memories = run(playground.memories())
        if as_json:  # stdout stays JSON lines, so a script can ask for them too
            listed = [{"content": m.content, "category": m.category} for m in memories]
            click.echo(json.dumps({"memories": listed}, ensure_ascii=False))
        else:
            listed = "\n".join(f"- {m.content} ({m.category})" for m in memories)
            click.echo(listed or "no memories")
    elif text in ("/help", "/?"):
        click.echo(_HELP, err=True)
    else:
        turn = run(playground.say(text))
        if as_json:
            click.echo(json.dumps(turn.as_json(), ensure_ascii=False))
        else:
            click.echo(format_turn(turn))
    return True


def _interactive(run: Callable, playground: Playground, as_json: bool, history: Path) -> None:
    import readline

    with suppress(OSError):  # no history yet
        readline.read_history_file(history)
    click.echo(_HELP, err=True)
    try:
        while True:
            try:
                line = input("you> ")
            except EOFError:
                break
            if not _line(run, playground, line, as_json):
                break
    except KeyboardInterrupt:
        click.echo("", err=True)
    finally:
        history.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(history)


def format_turn(turn: Turn) -> str:
    """The human view of one turn."""
    if turn.skipped and turn.category is None:  # nothing classified: the rest would be None
        return f"skipped    {turn.skipped}\n"
    hot = "yes" if turn.hot_lead else "no"
    lines = [
        f"category   {turn.category} (sub-intent {turn.sub_intent or '-'}, "
        f"confidence {turn.confidence}, by {turn.classified_by})",
        f"language   {turn.language}   sentiment {turn.sentiment}   "
        f"hot lead {hot} (score {turn.lead_score})",
    ]
    lines += [f"memory     {m['content']} ({m['category']}, {m['score']})" for m in turn.memories]
    if not turn.memories:
        lines.append("memory     -")
    for s in turn.sources:
        score = f" score {s['score']}" if s.get("score") is not None else ""
        snippet = f": {s['snippet']}" if s.get("snippet") else ""
        lines.append(f"source     {s['kind']} {s['id']}{score}{snippet}")
    if not turn.sources:
        lines.append("source     -")
    lines.append(f"draft      {turn.draft if turn.draft is not None else '(no draft)'}")
    lines.append(f"action     {turn.action}: {turn.reason}")
    lines.append(f"engine     {turn.engine}{_fallbacks(turn)}")
    if turn.skipped:
        lines.append(f"skipped    {turn.skipped}")
    return "\n".join(lines) + "\n"


def _fallbacks(turn: Turn) -> str:
    """Why the configured LLM did not do a step, e.g. " (the LLM's draft was not used:
    timeout)"; empty when it did them all (or none was configured)."""
    notes = [f"the LLM's draft was not used: {turn.llm_fallback}"] if turn.llm_fallback else []
    for step, what in (("classify", "classification"), ("memories", "memory extraction")):
        if step in turn.llm_fallbacks:
            notes.append(f"the LLM's {what} was not used: {turn.llm_fallbacks[step]}")
    return f" ({'; '.join(notes)})" if notes else ""


def register(main: click.Group) -> None:
    """Attach ``try`` to the main CLI."""

    @main.command("try", epilog=_NOTE)
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option(
        "--customer",
        "customer_name",
        help="Name of the sandbox customer (continues the newest one of that name; default: "
        "one without a name).",
    )
    @click.option(
        "--channel",
        "platform",
        type=click.Choice(["whatsapp", "telegram", "wechat", "wecom"]),
        default="whatsapp",
        show_default=True,
        help="Platform of the sandbox conversation.",
    )
    @click.option("--lang", "language", help="Preferred language of the sandbox customer.")
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
    @click.option(
        "--engine",
        type=click.Choice(["offline", "llm"]),
        help="Classify, remember and draft with the offline engine, or with the configured "
        "LLM for the steps in llm.tasks (default: the LLM if one is configured, else offline).",
    )
    @click.option("--purge", is_flag=True, help="Delete every sandbox row of the org and exit.")
    @click.pass_obj
    def try_(
        obj,
        org_ref: str,
        customer_name: str | None,
        platform: str,
        language: str | None,
        as_json: bool,
        engine: str | None,
        purge: bool,
    ) -> None:
        """Talk to your agent as a sandbox customer before going live.

        Each message goes through the same pipeline as a real one (classification, memories,
        retrieval, draft, policy) and nothing is ever sent. Interactive on a terminal;
        otherwise reads one message per line from stdin."""
        settings = obj.settings
        if engine == "llm" and not (settings.llm.provider and settings.llm.model):
            raise click.UsageError(
                "--engine llm: no LLM is configured (set llm.provider and llm.model)"
            )
        options = {
            "engine": engine,
            "platform": platform,
            "customer_name": customer_name,
            "language": language,
        }
        _session(settings, org_ref, options, as_json=as_json, purge=purge)
