"""Per-organization models: retraining on staff corrections, and which model an org uses.

``train_for_org`` adds the org's corrected classifications (weighted up) to the shipped
corpus's train split, trains, scores on the shipped test split, writes the model file under
``<data_dir>/models/org-<id>/`` and records it as the org's active model.
Which model an org's messages use is ``store.classifier_for_org``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage.db import Connection
from storage.repositories import classifier_models

from .corpus import CORPUS_PATH, Row, dedupe_key, load_rows
from .store import load_default, org_model_path, train_and_score

log = logging.getLogger(__name__)

# A correction counts as this many corpus rows of its (language, category) cell: enough to
# move the boundary for texts like it, not so much that one mislabel rewrites a category.
CORRECTION_WEIGHT = 5.0


@dataclass(frozen=True)
class TrainResult:
    model: classifier_models.ClassifierModel
    metrics: dict[str, Any]
    corrections: int
    rows: int
    path: Path


def training_rows(base: list[Row], corrections: list[Row]) -> list[Row]:
    """The corpus plus corrections. A corpus row with a corrected text is dropped (staff's
    label wins in train; in test it would score the model on its own training text)."""
    corrected = {dedupe_key(r.text) for r in corrections}
    kept = [r for r in base if dedupe_key(r.text) not in corrected]
    return kept + corrections


def _correction_rows(found: list[classifier_models.Correction], detect) -> list[Row]:
    texts = [c.text.strip() for c in found]
    languages = detect(texts)
    return [
        Row(
            text=text,
            category=c.category,
            sub_intent=c.sub_intent,
            language=c.language or detected,
            source="correction",
            split="train",
            weight=CORRECTION_WEIGHT,
        )
        for c, text, detected in zip(found, texts, languages, strict=True)
        if text
    ]


def _version(rows: list[Row]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"{row.category}\t{row.text}\n".encode())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"org-{stamp}-{digest.hexdigest()[:8]}"


async def train_for_org(
    conn: Connection,
    org_id: uuid.UUID,
    data_dir: Path,
    *,
    corpus: Path = CORPUS_PATH,
    created_by: uuid.UUID | None = None,
) -> TrainResult:
    """Retrain the org's model and make it active. Call inside a transaction (the new row
    replaces the active one); training runs in a thread, so the event loop stays free."""
    found = await classifier_models.corrections(conn, org_id)
    base = await asyncio.to_thread(load_default, data_dir, corpus=corpus)
    corrections = _correction_rows(found, base.languages.detect_many)
    rows = training_rows(await asyncio.to_thread(load_rows, corpus), corrections)
    version = _version(corrections)
    model, metrics = await asyncio.to_thread(train_and_score, rows, version=version)
    path = org_model_path(data_dir, org_id, version)
    await asyncio.to_thread(model.save, path)
    record = await classifier_models.add(
        conn,
        org_id,
        version=version,
        # Relative to the data directory, so the directory can move with its models.
        path=str(path.relative_to(data_dir)),
        metrics=metrics,
        train_size=metrics["train_size"],
        created_by=created_by,
    )
    log.info(
        "org %s: trained classifier %s (%d corrections, macro-F1 %.4f)",
        org_id,
        version,
        len(corrections),
        metrics["macro_f1"],
    )
    return TrainResult(record, metrics, len(corrections), metrics["train_size"], path)
