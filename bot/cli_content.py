"""``trademate content ...``: generate checked hooks, captions and scripts from the catalog,
and import A/B results.

``generate`` works offline (templates filled from the product's catalog row); with
``llm.provider`` and ``llm.model`` configured it asks the model first and falls back to the
templates when the model fails. Every variant is checked against the brand and compliance
rules before it is printed; blocked ones are listed with the reason, never as usable copy.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from agents.content import platforms

from .settings import Settings

if TYPE_CHECKING:
    from agents.content.outcome import Outcome
    from agents.content.studio import Studio

    from .services import Services

PLATFORMS = list(platforms.PLATFORMS)  # the studio's own list


@asynccontextmanager
async def open_studio(services: Services) -> AsyncIterator[Studio]:
    """The content studio, with the LLM engine when one is configured. Open one per app or
    CLI run, not one per command: the staff bot opens it with the app and every command and
    button shares it (and its LLM gateway, closed here)."""
    from agents.content.config import ContentConfig
    from agents.content.llm import LLMEngine
    from agents.content.studio import Studio

    settings = services.settings
    config = ContentConfig.from_mapping(
        settings.content.model_dump()
        | {"rates": dict(settings.quotes.rates), "rate_base": settings.quotes.rate_base}
    )
    gateway = None
    if settings.llm.provider and settings.llm.model:
        # The pipeline's gateway opener (it registers the prompt versions). Imported only
        # here: the agent runtime loads aiogram and the pipeline, seconds the offline
        # `trademate content` commands don't need to spend.
        from .agent_runtime import _open_gateway

        gateway = await _open_gateway(settings, services)
    llm = None if gateway is None else LLMEngine(gateway, settings.app.name)
    try:
        yield Studio(services.pool, config, llm)
    finally:
        if gateway is not None:
            await gateway.aclose()


async def _generate(settings: Settings, org_ref: str, request: dict[str, Any]) -> Outcome:
    from agents.content.errors import ContentError
    from agents.content.outcome import ContentRequest
    from storage.repositories import organizations

    from .services import open_services

    async with open_services(settings) as services, open_studio(services) as studio:
        async with services.pool.acquire() as conn:
            org = await organizations.resolve(conn, org_ref)
        try:
            return await studio.generate(org.id, ContentRequest(**request))
        except ContentError as err:
            raise click.ClickException(str(err)) from err


async def _list(settings: Settings, org_ref: str, status, kind, limit: int):
    from storage.repositories import content, organizations

    from .services import open_services

    async with open_services(settings) as services, services.pool.acquire() as conn:
        org = await organizations.resolve(conn, org_ref)
        return await content.list_variants(conn, org.id, status=status, kind=kind, limit=limit)


async def _localize(settings: Settings, org_ref: str, variant_id: uuid.UUID, market: str):
    from agents.content import actions
    from agents.content.errors import ContentError
    from storage.repositories import organizations

    from .services import open_services

    async with open_services(settings) as services, open_studio(services) as studio:
        async with services.pool.acquire() as conn:
            org = await organizations.resolve(conn, org_ref)
        try:
            return await actions.localize(studio, org.id, variant_id, market)
        except ContentError as err:
            raise click.ClickException(str(err)) from err


def _read_results(path: Path) -> list[dict[str, Any]]:
    from agents.content.errors import ContentError
    from agents.content.results_file import read_results

    try:
        return read_results(path)
    except ContentError as err:
        raise click.ClickException(str(err)) from err


async def _results(settings: Settings, org_ref: str, rows: list[dict[str, Any]]) -> list[dict]:
    from agents.content.ab import Arm, decide
    from storage.repositories import content, organizations

    from .services import open_services

    async with (
        open_services(settings) as services,
        services.pool.acquire() as conn,
        conn.transaction(),
    ):
        org = await organizations.resolve(conn, org_ref)
        groups: dict[uuid.UUID, list[Arm]] = {}
        for row in rows:
            variant = await content.find_variant(conn, org.id, row["variant_id"])
            if variant.request_id is None:
                raise click.ClickException(f"{variant.id} is not part of a variant group")
            await content.record_results(conn, org.id, variant, row["counts"])
            counts = row["counts"]
            # Clicks per impression when given, else completions per view.
            if "impressions" in counts:
                arm = Arm(str(variant.id), counts["impressions"], counts.get("clicks", 0))
            else:
                arm = Arm(str(variant.id), counts["views"], counts.get("completions", 0))
            if arm.successes > arm.trials:
                raise click.ClickException(f"{variant.id}: more successes than trials")
            groups.setdefault(variant.request_id, []).append(arm)
        report = []
        for request_id, arms in groups.items():
            decision = decide(arms, settings.content.ab_confidence)
            winner = uuid.UUID(decision.winner) if decision.winner else None
            await content.set_ab_outcome(
                conn, org.id, request_id, decision.status, decision.as_dict(), winner
            )
            report.append({"request_id": str(request_id), **decision.as_dict()})
        return report


def _print_outcome(outcome: Outcome) -> None:
    click.echo(
        f"request {outcome.request_id} ({outcome.kind}, {outcome.platform}, {outcome.language}"
        f"{', ' + outcome.market if outcome.market else ''}; engine {outcome.engine}, "
        f"seed {outcome.seed})"
    )
    for note in outcome.notes:
        click.echo(f"note: {note}", err=True)
    for shown in outcome.variants:
        v = shown.variant
        label = f"#{shown.rank}" if shown.rank else "--"
        click.echo(f"\n{label} [{shown.status}] {shown.id}")
        if v.title:
            click.echo(f"title: {v.title}")
        click.echo(v.text if shown.status != "blocked" else f"(blocked) {v.text}")
        if v.call_to_action:
            click.echo(v.call_to_action)
        if v.hashtags:
            click.echo(" ".join(v.hashtags))
        for s in v.scenes:
            click.echo(f"  [{s.purpose} {s.duration_seconds}s] {s.visual} | {s.on_screen_text}")
        for x in shown.violations:
            click.echo(
                f"  ! {x.severity}: {x.message}"
                + (f" ({x.matched_text})" if x.matched_text else "")
            )


def register(main: click.Group) -> None:
    """Attach the ``content`` group to the main CLI."""

    @main.group()
    def content() -> None:
        """Marketing content from the catalog: hooks, captions, short-video scripts."""

    @content.command("generate")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option("--product", "sku", required=True, help="Product SKU (from the catalog).")
    @click.option("--kind", required=True, type=click.Choice(["hook", "caption", "script"]))
    @click.option("--platform", "platform_name", required=True, type=click.Choice(PLATFORMS))
    @click.option(
        "--lang", "language", default="en", show_default=True, help=" ".join(platforms.LANGUAGES)
    )
    @click.option("--market", help="Target market (US, DE, BR, ...): units, prices, rules.")
    @click.option(
        "--n", "n", type=click.IntRange(1, 100), help="Variants (content.default_variants)."
    )
    @click.option("--seed", type=int, help="Same seed, same variants (offline engine).")
    @click.option("--seconds", type=click.IntRange(5, 600), help="Script length (default 30).")
    @click.option("--json", "as_json", is_flag=True, help="Print the variants as JSON.")
    @click.pass_obj
    def content_generate(
        obj,
        org_ref: str,
        sku: str,
        kind: str,
        platform_name: str,
        language: str,
        market: str | None,
        n: int | None,
        seed: int | None,
        seconds: int | None,
        as_json: bool,
    ):
        """Generate ranked, rule-checked variants for one product and store them."""
        from .cli import run

        request = {
            "kind": kind,
            "sku": sku,
            "platform": platform_name,
            "language": language,
            "market": market.upper() if market else None,
            "n": n,
            "seed": seed,
            "seconds": seconds,
            "source": "cli",
        }
        outcome = run(_generate(obj.settings, org_ref, request))
        if as_json:
            click.echo(json.dumps(outcome.as_dict(), ensure_ascii=False))
        else:
            _print_outcome(outcome)
        if not outcome.shown:
            click.get_current_context().exit(1)

    @content.command("list")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option(
        "--status",
        type=click.Choice(["draft", "flagged", "blocked", "approved", "rejected", "archived"]),
        help="Only this status (approved = the merchant's library).",
    )
    @click.option("--kind", type=click.Choice(["hook", "caption", "script"]))
    @click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
    @click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
    @click.pass_obj
    def content_list(obj, org_ref: str, status, kind, limit: int, as_json: bool):
        """List generated hooks and pieces, newest first."""
        from .cli import run

        rows = run(_list(obj.settings, org_ref, status, kind, limit))
        if as_json:
            click.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
            return
        for r in rows:
            text = " ".join(r.text.split())
            click.echo(f"{r.id}\t{r.kind}\t{r.status}\t{r.platform}\t{r.language}\t{text[:80]}")

    @content.command("localize")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option("--market", required=True, help="Target market (US, DE, BR, CN, ...).")
    @click.option("--json", "as_json", is_flag=True, help="Print the new piece as JSON.")
    @click.argument("variant_id", type=click.UUID)
    @click.pass_obj
    def content_localize(obj, org_ref: str, market: str, as_json: bool, variant_id: uuid.UUID):
        """Adapt a caption or script to a market (another language needs the LLM)."""
        from .cli import run

        shown = run(_localize(obj.settings, org_ref, variant_id, market.upper()))
        if as_json:
            click.echo(json.dumps(shown.as_dict(), ensure_ascii=False))
        else:
            click.echo(f"[{shown.status}] {shown.id}\n{shown.variant.full_text()}")
            for x in shown.violations:
                click.echo(f"  ! {x.severity}: {x.message}")
        if shown.status == "blocked":
            click.get_current_context().exit(1)

    @content.command("results")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option("--json", "as_json", is_flag=True, help="Print the decisions as JSON.")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.pass_obj
    def content_results(obj, org_ref: str, as_json: bool, file: Path):
        """Import A/B counts from a CSV (variant_id, impressions, clicks — or views,
        completions) and say, per variant group, whether a winner is clear yet."""
        from .cli import run

        report = run(_results(obj.settings, org_ref, _read_results(file)))
        if as_json:
            click.echo(json.dumps(report, ensure_ascii=False))
            return
        for item in report:
            if item["winner"]:
                click.echo(
                    f"{item['request_id']}: winner {item['winner']} "
                    f"(confidence {item['confidence']:.0%})"
                )
            else:
                click.echo(
                    f"{item['request_id']}: not yet (no variant is better at "
                    f"{item['confidence']:.0%} confidence)"
                )
