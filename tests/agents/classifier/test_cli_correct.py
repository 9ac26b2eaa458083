"""``trademate model correct``: how staff's corrections reach ``model train`` (the README's
"retrain with its staff's corrections" needs a way to make one)."""

from __future__ import annotations

import json
import shutil
import uuid

import asyncpg
import pytest

from tests.conftest import trademate

from .test_cli import _classify

TEXT = "Do you work with interior designers on the oak shelves?"


async def _classified_message(database_url: str, org_id: uuid.UUID) -> uuid.UUID:
    """An inbound message the pipeline classified as a question (not yet reviewed)."""
    conn = await asyncpg.connect(database_url)
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
            TEXT,
        )
        await conn.execute(
            """INSERT INTO message_classifications (org_id, message_id, category, sub_intent)
               VALUES ($1, $2, 'question', 'product_info')""",
            org_id,
            message_id,
        )
        return message_id
    finally:
        await conn.close()


@pytest.mark.slow
async def test_a_correction_made_from_the_cli_is_learnt_by_model_train(cli_env, data_dir):
    shutil.copytree(data_dir / "models", f"{cli_env['TRADEMATE__APP__DATA_DIR']}/models")
    assert trademate(cli_env, "migrate").returncode == 0
    org_id = uuid.UUID(trademate(cli_env, "org", "create", "Oak Works").stdout.strip())
    assert trademate(cli_env, "org", "create", "Other Shop").returncode == 0
    message_id = str(await _classified_message(cli_env["DATABASE_URL"], org_id))

    # Another org can't label this org's message; a label that isn't a category is refused.
    other = trademate(cli_env, "model", "correct", "--org", "other-shop", message_id, "spam")
    assert other.returncode == 1 and "not found" in other.stderr
    wrong = trademate(cli_env, "model", "correct", "--org", "oak-works", message_id, "lead")
    assert wrong.returncode == 2
    # Confirming what the classifier said is no correction: nothing to learn yet.
    same = trademate(cli_env, "model", "correct", "--org", "oak-works", message_id, "question")
    assert same.returncode == 0, same.stderr
    corrected = trademate(
        cli_env, "model", "correct", "--org", "oak-works", message_id, "purchase_intent"
    )
    assert corrected.returncode == 0, corrected.stderr

    trained = trademate(cli_env, "model", "train", "--org", "oak-works")
    assert trained.returncode == 0, trained.stderr
    assert "corrections: 1" in trained.stdout

    done = _classify(cli_env, TEXT + "\n", "--org", "oak-works")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["category"] == "purchase_intent"
    assert result["model_version"].startswith("org-")


async def test_confirming_the_classifiers_label_is_not_a_correction(cli_env):
    assert trademate(cli_env, "migrate").returncode == 0
    org_id = uuid.UUID(trademate(cli_env, "org", "create", "Oak Works").stdout.strip())
    message_id = await _classified_message(cli_env["DATABASE_URL"], org_id)

    done = trademate(cli_env, "model", "correct", "--org", "oak-works", str(message_id), "question")

    assert done.returncode == 0, done.stderr
    conn = await asyncpg.connect(cli_env["DATABASE_URL"])
    try:
        status = await conn.fetchval(
            "SELECT review_status FROM message_classifications WHERE message_id = $1", message_id
        )
    finally:
        await conn.close()
    assert status == "confirmed"
