"""Per-org retraining on staff corrections, against real PostgreSQL (rolled back)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from agents.classifier.org_models import train_for_org
from agents.classifier.store import classifier_for_org, load_for_org
from storage.repositories import classifier_models
from storage.repositories.intake import InboundRow, store_inbound
from tests.storage.factories import make_channel, make_org

CORRECTED = "Do you work with interior designers on the oak shelves?"


async def _message(conn, org, channel, text: str) -> uuid.UUID:
    stored = await store_inbound(
        conn,
        InboundRow(
            org_id=org.id,
            channel_id=channel.id,
            sender_id=f"cust-{uuid.uuid4().hex[:6]}",
            sender_name=None,
            language=None,
            profile={},
            sent_at=datetime.now(UTC),
            external_message_id=uuid.uuid4().hex,
            content=text,
            content_type="text",
            media=[],
            metadata={},
        ),
    )
    return stored.message_id


async def _classified(conn, org, channel, text, category, *, corrected_to=None) -> uuid.UUID:
    message_id = await _message(conn, org, channel, text)
    await conn.execute(
        """
        INSERT INTO message_classifications (org_id, message_id, category, confidence, engine,
                                             review_status, corrected_category, reviewed_at)
        VALUES ($1, $2, $3, 0.8, 'offline', $4, $5, CASE WHEN $5::text IS NULL THEN NULL
                                                       ELSE now() END)
        """,
        org.id,
        message_id,
        category,
        "corrected" if corrected_to else "unreviewed",
        corrected_to,
    )
    return message_id


@pytest.fixture
async def shop(conn):
    org = await make_org(conn)
    return org, await make_channel(conn, org)


async def test_corrections_are_the_orgs_corrected_rows_with_text(conn, shop):
    org, channel = shop
    other_org = await make_org(conn)
    other_channel = await make_channel(conn, other_org)
    wanted = await _classified(conn, org, channel, CORRECTED, "question", corrected_to="spam")
    await _classified(conn, org, channel, "hello", "other")  # not reviewed
    await _classified(conn, other_org, other_channel, "hi", "other", corrected_to="spam")
    [found] = await classifier_models.corrections(conn, org.id)
    assert (found.message_id, found.text, found.category) == (wanted, CORRECTED, "spam")


async def test_retraining_with_corrections_changes_the_prediction(conn, shop, data_dir):
    org, channel = shop
    default = await classifier_for_org(conn, org.id, data_dir)
    assert default.classify(CORRECTED).category != "purchase_intent"
    await _classified(conn, org, channel, CORRECTED, "question", corrected_to="purchase_intent")

    result = await train_for_org(conn, org.id, data_dir)

    assert result.corrections == 1
    assert result.metrics["macro_f1"] >= 0.9  # still scored on the untouched test split
    assert result.path.exists() and result.path.is_relative_to(data_dir / "models")
    assert result.model.is_active and result.model.path == str(result.path.relative_to(data_dir))
    retrained = await classifier_for_org(conn, org.id, data_dir)
    assert retrained.version == result.model.version != default.version
    assert retrained.classify(CORRECTED).category == "purchase_intent"
    # Weighted up, the correction moves the model itself, not only the exact text.
    assert (
        retrained.classify(CORRECTED + " Thanks").scores["purchase_intent"]
        > default.classify(CORRECTED + " Thanks").scores["purchase_intent"]
    )

    other_org = await make_org(conn)
    unaffected = await classifier_for_org(conn, other_org.id, data_dir)
    assert unaffected.version == default.version


@pytest.mark.slow
async def test_retraining_again_replaces_the_active_model(conn, shop, data_dir):
    org, channel = shop
    await _classified(conn, org, channel, CORRECTED, "question", corrected_to="spam")
    first = await train_for_org(conn, org.id, data_dir)
    second = await train_for_org(conn, org.id, data_dir)
    models = await classifier_models.list_for_org(conn, org.id)
    assert [m.id for m in models if m.is_active] == [second.model.id]
    assert first.model.id in {m.id for m in models}
    assert (await classifier_models.find_active(conn, org.id)).id == second.model.id


async def test_an_unreadable_org_model_falls_back_to_the_default(conn, shop, data_dir, pool):
    org, _ = shop
    default = await classifier_for_org(conn, org.id, data_dir)
    await classifier_models.add(
        conn, org.id, version="broken", path="models/missing.pkl", metrics={}, train_size=0
    )
    model = await classifier_for_org(conn, org.id, data_dir)
    assert model.version == default.version


async def test_load_for_org_uses_the_pool(pool, data_dir):
    # An org with no model of its own (the id exists nowhere) gets the shipped default.
    model = await load_for_org(pool, data_dir, uuid.uuid4())
    assert model.classify("我想订购500个").is_hot_lead
