"""Where trained models live on disk, and the default model every fresh install uses.

The default model is trained on first use from the shipped corpus (train split only, so the
test split stays honest for every model) and cached at
``<data_dir>/models/classifier-default.pkl``. Its version names the corpus digest, the file
format and the scikit-learn version, so a changed corpus or an upgraded library retrains
instead of loading a stale or incompatible file. Loaded models are memoized per path for the
life of the process (a worker classifies thousands of messages with one model).

An org that retrained (``trademate model train``) has an active row in
``classifier_models``; ``classifier_for_org`` / ``load_for_org`` return that model, or the
default when there is none or its file is unusable (logged, never fatal on the message
path).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from pathlib import Path

from agents.errors import ModelError
from storage.db import Connection, Pool
from storage.repositories import classifier_models

from .corpus import CORPUS_PATH, file_digest, load_rows, test_rows, train_rows
from .evaluation import evaluate
from .model import _SKLEARN, FORMAT_VERSION, OfflineClassifier

log = logging.getLogger(__name__)

DEFAULT_FILE = "classifier-default.pkl"
_lock = threading.Lock()
_loaded: dict[Path, OfflineClassifier] = {}


def models_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "models"


def default_path(data_dir: Path) -> Path:
    return models_dir(data_dir) / DEFAULT_FILE


def org_model_path(data_dir: Path, org_id: uuid.UUID, version: str) -> Path:
    return models_dir(data_dir) / f"org-{org_id}" / f"classifier-{version}.pkl"


def default_version(corpus: Path = CORPUS_PATH) -> str:
    return f"base-{file_digest(corpus)[:12]}-f{FORMAT_VERSION}-sk{_SKLEARN}"


def train_and_score(rows, *, version: str | None = None, prefix: str = "model"):
    """Train on the rows' train split, score on their test split; returns (model, metrics).
    Extra rows (corrections) must come with ``split="train"``."""
    rows = list(rows)
    model = OfflineClassifier.train(train_rows(rows), version=version, prefix=prefix)
    held_out = list(test_rows(rows))
    metrics = evaluate(held_out, model.classify_many([r.text for r in held_out]))
    metrics["train_size"] = model.info["train_size"]
    metrics["corrections"] = model.info["corrections"]
    metrics["training_seconds"] = model.info["training_seconds"]
    model.info["metrics"] = metrics
    return model, metrics


def load_default(data_dir: Path, *, corpus: Path = CORPUS_PATH) -> OfflineClassifier:
    """The shipped model: memoized, else the cached file, else trained now and cached."""
    path = default_path(data_dir)
    version = default_version(corpus)
    with _lock:
        cached = _loaded.get(path)
        if cached is not None and cached.version == version:
            return cached
        model = _read_cached(path, version)
        if model is None:
            log.info("training the default classifier from %s (first use)", corpus)
            model, metrics = train_and_score(load_rows(corpus), version=version)
            log.info("default classifier: macro-F1 %.4f on the test split", metrics["macro_f1"])
            model.save(path)
        _loaded[path] = model
        return model


def _read_cached(path: Path, version: str) -> OfflineClassifier | None:
    if not path.exists():
        return None
    try:
        model = OfflineClassifier.load(path)
    except ModelError as err:
        log.warning("ignoring the cached default classifier: %s", err)
        return None
    if model.version != version:
        log.info("cached classifier %s is stale (want %s): retraining", model.version, version)
        return None
    return model


def load_file(path: Path) -> OfflineClassifier:
    """A model file, memoized by path (per-org model files never change once written)."""
    path = Path(path)
    with _lock:
        model = _loaded.get(path)
        if model is None:
            model = _loaded[path] = OfflineClassifier.load(path)
        return model


async def classifier_for_org(
    conn: Connection, org_id: uuid.UUID, data_dir: Path
) -> OfflineClassifier:
    """The model this org's messages are classified with (file reads run in a thread)."""
    active = await classifier_models.find_active(conn, org_id)
    return await _pick(active, org_id, data_dir)


async def load_for_org(pool: Pool, data_dir: Path, org_id: uuid.UUID) -> OfflineClassifier:
    """:func:`classifier_for_org` borrowing a connection from ``pool`` only for the lookup
    (the worker's entry point: no connection is held while a model file loads)."""
    async with pool.acquire() as conn:
        active = await classifier_models.find_active(conn, org_id)
    return await _pick(active, org_id, data_dir)


async def _pick(
    active: classifier_models.ClassifierModel | None, org_id: uuid.UUID, data_dir: Path
) -> OfflineClassifier:
    if active is not None:
        path = Path(active.path)
        path = path if path.is_absolute() else Path(data_dir) / path
        try:
            return await asyncio.to_thread(load_file, path)
        except ModelError as err:
            log.error(
                "org %s: classifier %s unusable, using the default: %s", org_id, active.version, err
            )
    return await asyncio.to_thread(load_default, data_dir)
