"""Model files: save/load round trip, refusal of files we cannot trust, and the cached
default model (trained once, reused, retrained when the corpus changes)."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import pytest

from agents.classifier import store
from agents.classifier.corpus import CORPUS_PATH, load_rows, write_rows
from agents.classifier.model import MAGIC, OfflineClassifier
from agents.errors import ModelError

TEXTS = ["我想订购500个", "¿Cuánto cuesta el envío?", "follow for follow", "thanks!", ""]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    """A few hundred rows of the shipped corpus: enough to train in well under a second."""
    rows = load_rows()
    picked = [r for i, r in enumerate(rows) if i % 25 == 0]
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    write_rows(picked, path)
    return path


def test_save_load_round_trip(classifier, tmp_path):
    path = tmp_path / "model.pkl"
    classifier.save(path)
    loaded = OfflineClassifier.load(path)
    assert loaded.version == classifier.version
    assert loaded.classify_many(TEXTS) == classifier.classify_many(TEXTS)
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed away


def _saved(classifier, tmp_path) -> Path:
    path = tmp_path / "model.pkl"
    classifier.save(path)
    return path


def test_a_flipped_byte_is_refused(classifier, tmp_path):
    path = _saved(classifier, tmp_path)
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(ModelError, match="corrupt"):
        OfflineClassifier.load(path)


def test_a_truncated_file_is_refused(classifier, tmp_path):
    path = _saved(classifier, tmp_path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ModelError, match="corrupt"):
        OfflineClassifier.load(path)


@pytest.mark.parametrize("content", [b"", b"hello", b"\x80\x05N."])
def test_something_else_is_refused(tmp_path, content):
    path = tmp_path / "model.pkl"
    path.write_bytes(content)
    with pytest.raises(ModelError, match="not a TradeMate classifier model"):
        OfflineClassifier.load(path)


def test_a_missing_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="cannot read"):
        OfflineClassifier.load(tmp_path / "absent.pkl")


def _write_payload(path: Path, data: object) -> None:
    payload = pickle.dumps(data)
    path.write_bytes(MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


def test_an_incompatible_format_version_is_refused(tmp_path):
    path = tmp_path / "model.pkl"
    _write_payload(
        path, {"format": "trademate-offline-classifier", "format_version": 999, "sklearn": "0.1"}
    )
    with pytest.raises(ModelError, match="retrain"):
        OfflineClassifier.load(path)


def test_a_valid_pickle_of_something_else_is_refused(tmp_path):
    path = tmp_path / "model.pkl"
    _write_payload(path, ["not", "a", "model"])
    with pytest.raises(ModelError, match="not a TradeMate classifier model"):
        OfflineClassifier.load(path)


def test_training_needs_two_categories():
    rows = [r for r in load_rows() if r.category == "spam"][:20]
    with pytest.raises(ModelError):
        OfflineClassifier.train(rows)


def test_training_is_deterministic(small_corpus):
    rows = load_rows(small_corpus)
    first, second = OfflineClassifier.train(rows), OfflineClassifier.train(rows)
    assert first.version == second.version
    assert first.classify_many(TEXTS) == second.classify_many(TEXTS)


def test_default_model_is_cached_and_reused(small_corpus, tmp_path, monkeypatch):
    model = store.load_default(tmp_path, corpus=small_corpus)
    assert store.default_path(tmp_path).exists()
    assert model.version == store.default_version(small_corpus)
    assert store.load_default(tmp_path, corpus=small_corpus) is model  # memoized

    store._loaded.clear()  # a new process: the file is loaded, not retrained

    def no_training(*args, **kwargs):
        raise AssertionError("retrained although a valid cached model exists")

    monkeypatch.setattr(OfflineClassifier, "train", no_training)
    reloaded = store.load_default(tmp_path, corpus=small_corpus)
    assert reloaded.version == model.version


def test_a_corrupt_cached_default_is_retrained(small_corpus, tmp_path):
    store.load_default(tmp_path, corpus=small_corpus)
    store.default_path(tmp_path).write_bytes(b"garbage")
    store._loaded.clear()
    model = store.load_default(tmp_path, corpus=small_corpus)
    assert OfflineClassifier.load(store.default_path(tmp_path)).version == model.version


def test_a_changed_corpus_retrains_the_default(small_corpus, tmp_path):
    first = store.load_default(tmp_path, corpus=small_corpus)
    changed = tmp_path / "corpus.jsonl"
    rows = load_rows(small_corpus)
    write_rows(rows[: len(rows) // 2], changed)
    second = store.load_default(tmp_path, corpus=changed)
    assert second.version != first.version
    assert OfflineClassifier.load(store.default_path(tmp_path)).version == second.version


def test_the_default_model_trains_from_the_shipped_corpus(classifier):
    assert classifier.version == store.default_version(CORPUS_PATH)
    assert classifier.info["train_size"] == sum(r.split == "train" for r in load_rows())
    assert classifier.info["training_seconds"] < 60
