"""``trademate classify`` and ``trademate model train``: the offline classifier from the
command line.

``classify`` reads one message per line on stdin and writes one JSON object per line on
stdout, in the same order, one output line for every input line, so a script can pair
them up. A blank line is a message with no text and gets the empty-text result (category
``other``, language ``und``). Without ``--org`` it never touches the database: the
shipped model is loaded from (or, the first time, trained into) ``<data_dir>/models``.
Each line is answered as soon as it is read, so ``classify`` also works as a co-process.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

import click

from agents.classifier.base import CATEGORIES
from agents.errors import ModelError

from .cli_stdin import stdin_lines


def _record(text: str, result: Any, version: str) -> str:
    data = asdict(result)
    data["scores"] = dict(result.scores)
    return json.dumps({"text": text, **data, "model_version": version}, ensure_ascii=False)


async def _org_model(settings, org_ref: str):
    from agents.classifier.store import classifier_for_org
    from storage.repositories import organizations

    from .services import open_services

    async with open_services(settings) as services, services.pool.acquire() as conn:
        organization = await organizations.resolve(conn, org_ref)
        return await classifier_for_org(conn, organization.id, settings.data_dir)


async def _train(settings, org_ref: str):
    from agents.classifier.org_models import train_for_org
    from storage.db import transaction
    from storage.repositories import organizations

    from .services import open_services

    async with open_services(settings) as services, transaction(services.pool) as conn:
        organization = await organizations.resolve(conn, org_ref)
        return organization, await train_for_org(conn, organization.id, settings.data_dir)


async def _correct(
    settings, org_ref: str, message_id, category: str, sub_intent: str | None, email: str | None
):
    from storage.errors import NotFound
    from storage.repositories import classifications, organizations, users

    from .services import open_services

    async with open_services(settings) as services, services.pool.acquire() as conn:
        organization = await organizations.resolve(conn, org_ref)
        reviewer = await users.get_by_email(conn, organization.id, email) if email else None
        found = await classifications.correct(
            conn,
            organization.id,
            message_id,
            category=category,
            sub_intent=sub_intent,
            reviewed_by=reviewer.id if reviewer else None,
        )
        if not found:
            raise NotFound("classified message", message_id)
        return organization


def register(main: click.Group) -> None:
    """Attach ``classify`` and the ``model`` group to the main CLI."""

    @main.command("classify")
    @click.option("--org", "org_ref", help="Use this organization's model (id or slug).")
    def classify(org_ref: str | None) -> None:
        """Classify messages from stdin (one per line) into JSON lines on stdout."""
        from agents.classifier.store import load_default

        from .cli import run

        settings = click.get_current_context().obj.settings
        try:
            model = (
                run(_org_model(settings, org_ref)) if org_ref else load_default(settings.data_dir)
            )
        except ModelError as err:
            raise click.ClickException(str(err)) from err
        for text in stdin_lines():
            click.echo(_record(text, model.classify(text), model.version))
            sys.stdout.flush()

    @main.group("model")
    def model_group() -> None:
        """Train and inspect the message classifier."""

    @model_group.command("correct")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option("--sub-intent", help="The right sub-intent too (e.g. moq, shipping).")
    @click.option("--by", "email", help="E-mail of the staff user making the correction.")
    @click.argument("message_id", type=click.UUID)
    @click.argument("category", type=click.Choice(list(CATEGORIES)))
    def model_correct(
        org_ref: str, sub_intent: str | None, email: str | None, message_id, category: str
    ) -> None:
        """Set the right category of a classified message (its id is in `try --json` as
        message_id, and in the web inbox). `model train` learns from these corrections."""
        from .cli import run

        settings = click.get_current_context().obj.settings
        organization = run(_correct(settings, org_ref, message_id, category, sub_intent, email))
        click.echo(
            f"message {message_id} of {organization.slug} is {category}; "
            "run `trademate model train` to learn from it"
        )

    @model_group.command("train")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option("--json", "as_json", is_flag=True, help="Print the full metrics as JSON.")
    def model_train(org_ref: str, as_json: bool) -> None:
        """Retrain an organization's classifier with its staff's corrections."""
        from .cli import run

        settings = click.get_current_context().obj.settings
        try:
            organization, result = run(_train(settings, org_ref))
        except ModelError as err:
            raise click.ClickException(str(err)) from err
        metrics = result.metrics
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "org_id": str(organization.id),
                        "model_id": str(result.model.id),
                        "version": result.model.version,
                        "path": str(result.path),
                        **metrics,
                    },
                    ensure_ascii=False,
                )
            )
            return
        click.echo(f"trained {result.model.version} for {organization.slug} (now active)")
        click.echo(f"rows used: {result.rows} (corrections: {result.corrections})")
        click.echo(
            f"test split: macro-F1 {metrics['macro_f1']:.4f}, accuracy {metrics['accuracy']:.4f}"
            f" on {metrics['rows']} rows"
        )
        per_language = ", ".join(
            f"{lang} {s['macro_f1']:.4f}" for lang, s in metrics["per_language"].items()
        )
        click.echo(f"per language: {per_language}")
        click.echo(f"model file: {result.path}")
