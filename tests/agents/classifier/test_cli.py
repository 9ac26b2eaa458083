"""``trademate classify`` and ``trademate model train`` run as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid

import asyncpg
import pytest

from agents.classifier.store import default_path
from tests.conftest import trademate

LINES = ["我想订购500个", "", "¿Cuánto cuesta el envío?", "Claim your free iPhone at bit.ly/x"]


def _classify(env: dict[str, str], stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "classify", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_classify_reads_lines_and_prints_json_lines(data_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEMATE")}
    env.update(
        TRADEMATE__APP__DATA_DIR=str(data_dir),
        TRADEMATE__APP__LOG_LEVEL="WARNING",
        # Plain classify must not touch the database: an unreachable one proves it.
        DATABASE_URL="postgresql://nobody@127.0.0.1:9/none",
    )
    done = _classify(env, "\n".join(LINES) + "\n")
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["text"] for r in results] == LINES  # one output line per input line
    zh, blank, es, spam = results
    assert (zh["category"], zh["language"], zh["is_hot_lead"]) == ("purchase_intent", "zh", True)
    assert (blank["category"], blank["language"]) == ("other", "und")
    assert (es["category"], es["language"], es["sub_intent"]) == ("question", "es", "shipping")
    assert spam["category"] == "spam"
    for result in results:
        assert {"confidence", "sentiment", "urgency", "lead_score", "scores"} <= set(result)
        assert 0 <= result["confidence"] <= 1 and result["model_version"].startswith("base-")


@pytest.mark.slow
async def test_model_train_then_classify_with_the_org_model(cli_env, data_dir):  # noqa: F811
    shutil.copytree(data_dir / "models", f"{cli_env['TRADEMATE__APP__DATA_DIR']}/models")
    assert trademate(cli_env, "migrate").returncode == 0
    org_id = uuid.UUID(trademate(cli_env, "org", "create", "Oak Works").stdout.strip())
    text = "Do you work with interior designers on the oak shelves?"
    conn = await asyncpg.connect(cli_env["DATABASE_URL"])
    try:
        channel_id = await conn.fetchval(
            """INSERT INTO channels (org_id, platform, name, config_encrypted, webhook_secret)
               VALUES ($1, 'telegram', 'bot', '\\x00', 's') RETURNING id""",
            org_id,
        )
        customer_id = await conn.fetchval(
            "INSERT INTO customers (org_id) VALUES ($1) RETURNING id", org_id
        )
        conversation_id = await conn.fetchval(
            """INSERT INTO conversations (org_id, customer_id, channel_id)
               VALUES ($1, $2, $3) RETURNING id""",
            org_id,
            customer_id,
            channel_id,
        )
        message_id = await conn.fetchval(
            """INSERT INTO messages (org_id, conversation_id, channel_id, customer_id, direction,
                                     sender_type, content)
               VALUES ($1, $2, $3, $4, 'inbound', 'customer', $5) RETURNING id""",
            org_id,
            conversation_id,
            channel_id,
            customer_id,
            text,
        )
        await conn.execute(
            """INSERT INTO message_classifications (org_id, message_id, category, review_status,
                                                    corrected_category)
               VALUES ($1, $2, 'question', 'corrected', 'purchase_intent')""",
            org_id,
            message_id,
        )
    finally:
        await conn.close()

    trained = trademate(cli_env, "model", "train", "--org", "oak-works")
    assert trained.returncode == 0, trained.stderr
    assert "corrections: 1" in trained.stdout and "macro-F1" in trained.stdout

    done = _classify(cli_env, text + "\n", "--org", "oak-works")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["category"] == "purchase_intent"
    assert result["model_version"].startswith("org-")


def test_model_train_needs_an_org(data_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEMATE")}
    env["TRADEMATE__APP__DATA_DIR"] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "model", "train"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--org" in done.stderr
    assert default_path(data_dir).exists()
