"""`trademate try` says when the pipeline skipped a message (a bare STOP is an opt-out, not a
message to answer) instead of printing a turn whose every field is None."""

from __future__ import annotations

import uuid

import pytest

from agents.pipeline_contracts import Outcome
from bot.agent_runtime import open_pipeline
from bot.cli_try import format_turn
from bot.playground import Playground, turn_from
from bot.services import open_services
from bot.settings import load_settings
from storage.db import transaction
from storage.repositories import organizations
from tests.conftest import wipe_namespace

OPTED_OUT = "the customer opted out of messages"


def test_a_skipped_outcome_shows_why_in_json_and_text() -> None:
    outcome = Outcome(uuid.uuid4())
    outcome.skipped = OPTED_OUT
    turn = turn_from("STOP", outcome)
    assert turn.as_json()["skipped"] == OPTED_OUT
    assert format_turn(turn) == f"skipped    {OPTED_OUT}\n"  # no "category None"


def test_a_turn_that_was_not_skipped_has_no_skipped_line() -> None:
    turn = turn_from("hi", Outcome(uuid.uuid4()))
    assert turn.as_json()["skipped"] is None
    assert "skipped" not in format_turn(turn)


async def test_stop_in_the_playground_is_reported_as_an_opt_out(
    monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str, tmp_path
) -> None:
    for name, value in {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TRADEMATE__APP__DATA_DIR": str(tmp_path / "var"),
        "TRADEMATE__REDIS__NAMESPACE": f"try{uuid.uuid4().hex[:8]}",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    async with (
        open_services(settings, with_vectors=True) as services,
        open_pipeline(services, None) as pipeline,
    ):
        async with transaction(services.pool) as conn:
            org = await organizations.create(conn, "Opt-out Shop")
        try:
            playground = Playground(services, pipeline, org, customer_name="X")
            turn = await playground.say("STOP")
            assert turn.skipped == OPTED_OUT
            assert turn.as_json()["skipped"] == OPTED_OUT
            assert format_turn(turn) == f"skipped    {OPTED_OUT}\n"
            assert turn.draft is None and turn.action is None
        finally:
            async with services.pool.acquire() as conn:
                await conn.execute("DELETE FROM organizations WHERE id = $1", org.id)
            await wipe_namespace(services.redis, settings.redis.namespace)
