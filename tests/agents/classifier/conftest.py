"""Shared fixtures: the default model is trained once per session, into a temporary data
directory (never the repo's), and copied into each test's own data directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agents.classifier.model import OfflineClassifier
from agents.classifier.store import default_path, load_default


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("classifier-data")


@pytest.fixture(scope="session")
def classifier(session_data_dir: Path) -> OfflineClassifier:
    """The shipped default model, trained from the corpus in the repo on first use."""
    return load_default(session_data_dir)


@pytest.fixture
def data_dir(tmp_path: Path, classifier: OfflineClassifier, session_data_dir: Path) -> Path:
    """A fresh data directory that already holds the cached default model (no retraining)."""
    target = default_path(tmp_path)
    target.parent.mkdir(parents=True)
    shutil.copyfile(default_path(session_data_dir), target)
    return tmp_path
