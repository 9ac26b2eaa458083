"""The Qdrant wrapper against real qdrant-client local mode (in memory or in a temp folder)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from qdrant_client import models

from storage.errors import VectorStoreError
from storage.vectors import (
    CollectionKind,
    SparseVector,
    VectorPoint,
    VectorStore,
    make_qdrant_client,
)

KNOWLEDGE = CollectionKind.KNOWLEDGE
ORG_A = uuid.UUID("00000000-0000-4000-8000-00000000000a")
ORG_B = uuid.UUID("00000000-0000-4000-8000-00000000000b")
SHIPPING, PRICE, RARE = 1, 2, 3  # sparse term indices


def point(dense, terms=None, **payload) -> VectorPoint:
    sparse = SparseVector(list(terms), [1.0] * len(terms)) if terms else None
    return VectorPoint(id=uuid.uuid4(), dense=dense, sparse=sparse, payload=payload)


def ids(hits) -> list[uuid.UUID]:
    return [hit.id for hit in hits]


@pytest.fixture
async def store() -> AsyncIterator[VectorStore]:
    vectors = VectorStore(make_qdrant_client(url=None, api_key=None, path=None), dense_size=3)
    await vectors.ensure_collections()
    yield vectors
    await vectors.aclose()


async def test_make_qdrant_client_uses_local_path_and_persists(tmp_path) -> None:
    folder = tmp_path / "var" / "qdrant"  # does not exist yet
    vectors = VectorStore(make_qdrant_client(url=None, api_key=None, path=folder), dense_size=3)
    assert vectors._client.init_options["path"] == str(folder)
    await vectors.ensure_collections()
    await vectors.upsert(ORG_A, KNOWLEDGE, [point([1, 0, 0])])
    await vectors.aclose()  # releases the folder lock, so a second client can open it

    reopened = VectorStore(make_qdrant_client(url=None, api_key=None, path=folder), dense_size=3)
    await reopened.ensure_collections()
    assert await reopened.count(ORG_A, KNOWLEDGE) == 1
    await reopened.aclose()


async def test_make_qdrant_client_without_path_is_in_memory() -> None:
    client = make_qdrant_client(url=None, api_key=None, path=None)
    assert client.init_options["location"] == ":memory:"
    await client.close()


async def test_aclose_closes_the_client(store: VectorStore) -> None:
    await store.aclose()
    with pytest.raises(VectorStoreError):
        await store.count(ORG_A, KNOWLEDGE)


async def test_ensure_collections_is_idempotent_and_keeps_points(store: VectorStore) -> None:
    await store.upsert(ORG_A, KNOWLEDGE, [point([1, 0, 0])])
    await store.ensure_collections()
    names = {c.name for c in (await store._client.get_collections()).collections}
    assert names == {"tm_knowledge", "tm_corpus", "tm_memories"}
    assert await store.count(ORG_A, KNOWLEDGE) == 1


async def test_collections_have_cosine_dense_and_idf_sparse_vectors(store: VectorStore) -> None:
    for kind in CollectionKind:
        info = await store._client.get_collection(store.collection_name(kind))
        dense = info.config.params.vectors[VectorStore.DENSE]
        assert (dense.size, dense.distance) == (3, models.Distance.COSINE)
        sparse = info.config.params.sparse_vectors[VectorStore.SPARSE]
        assert sparse.modifier == models.Modifier.IDF


async def test_ensure_collections_refuses_a_different_dense_size(store: VectorStore) -> None:
    other_embedder = VectorStore(store._client, dense_size=8)
    with pytest.raises(VectorStoreError, match="dense size"):
        await other_embedder.ensure_collections()


async def test_dense_round_trip_ranks_nearest_first(store: VectorStore) -> None:
    near, far = point([1, 0, 0], faq_id="f1"), point([0, 1, 0], faq_id="f2")
    await store.upsert(ORG_A, KNOWLEDGE, [far, near])
    hits = await store.search_dense(ORG_A, KNOWLEDGE, [0.9, 0.1, 0])
    assert ids(hits) == [near.id, far.id]
    assert hits[0].score > hits[1].score
    assert hits[0].payload == {"faq_id": "f1", "org_id": str(ORG_A)}


async def test_sparse_round_trip_weighs_rare_terms_by_idf(store: VectorStore) -> None:
    common = [point(None, [SHIPPING]) for _ in range(4)]
    rare = point(None, [SHIPPING, RARE])
    await store.upsert(ORG_A, KNOWLEDGE, [*common, rare])
    hits = await store.search_sparse(ORG_A, KNOWLEDGE, SparseVector([SHIPPING, RARE], [1.0, 1.0]))
    assert hits[0].id == rare.id
    # IDF at work: the common term alone scores far below the rare one.
    assert hits[1].score < hits[0].score / 2


async def test_hybrid_ranks_a_point_matching_both_first(store: VectorStore) -> None:
    dense_only = point([1, 0, 0], [PRICE])
    both = point([0.9, 0.3, 0], [SHIPPING])
    sparse_only = point([0, 0, 1], [SHIPPING, RARE])
    await store.upsert(ORG_A, KNOWLEDGE, [dense_only, both, sparse_only])
    query = SparseVector([SHIPPING, RARE], [1.0, 1.0])
    assert ids(await store.search_dense(ORG_A, KNOWLEDGE, [1, 0, 0]))[0] == dense_only.id
    assert ids(await store.search_sparse(ORG_A, KNOWLEDGE, query))[0] == sparse_only.id

    # Two candidates per side: each single-mode winner appears in one list only, `both` in two.
    hits = await store.search_hybrid(
        ORG_A, KNOWLEDGE, dense=[1, 0, 0], sparse=query, limit=3, prefetch_limit=2
    )
    assert hits[0].id == both.id
    assert set(ids(hits[1:])) == {dense_only.id, sparse_only.id}


async def test_org_a_never_sees_or_touches_org_b(store: VectorStore) -> None:
    # Identical vectors and payloads in both orgs: only the org filter tells them apart.
    a_points = [point([1, 0, 0], [SHIPPING], document_id="d1") for _ in range(2)]
    b_points = [point([1, 0, 0], [SHIPPING], document_id="d1") for _ in range(3)]
    await store.upsert(ORG_A, KNOWLEDGE, a_points)
    await store.upsert(ORG_B, KNOWLEDGE, b_points)
    a_ids, b_ids = {p.id for p in a_points}, {p.id for p in b_points}
    sparse = SparseVector([SHIPPING], [1.0])

    assert set(ids(await store.search_dense(ORG_A, KNOWLEDGE, [1, 0, 0]))) == a_ids
    assert set(ids(await store.search_sparse(ORG_A, KNOWLEDGE, sparse))) == a_ids
    # prefetch_limit=2 < B's 3 twins: A still gets both hits only if prefetches are org-filtered.
    hybrid = await store.search_hybrid(
        ORG_A, KNOWLEDGE, dense=[1, 0, 0], sparse=sparse, prefetch_limit=2
    )
    assert set(ids(hybrid)) == a_ids
    assert (await store.count(ORG_A, KNOWLEDGE), await store.count(ORG_B, KNOWLEDGE)) == (2, 3)
    assert await store.count(ORG_A, CollectionKind.CORPUS) == 0

    await store.delete(ORG_A, KNOWLEDGE, list(b_ids))  # B's ids, asked for by A: no effect
    await store.delete_where(ORG_A, KNOWLEDGE, {"document_id": "d1"})
    assert (await store.count(ORG_A, KNOWLEDGE), await store.count(ORG_B, KNOWLEDGE)) == (0, 3)
    assert set(ids(await store.search_dense(ORG_B, KNOWLEDGE, [1, 0, 0]))) == b_ids


async def test_another_orgs_vocabulary_does_not_change_lexical_scores(store: VectorStore) -> None:
    """IDF is measured over the org's own points, so B's documents can't shift A's ranking."""
    await store.upsert(ORG_A, KNOWLEDGE, [point(None, [SHIPPING]), point(None, [PRICE])])
    query = SparseVector([SHIPPING], [1.0])
    before = await store.search_sparse(ORG_A, KNOWLEDGE, query)
    await store.upsert(ORG_B, KNOWLEDGE, [point(None, [SHIPPING]) for _ in range(20)])
    after = await store.search_sparse(ORG_A, KNOWLEDGE, query)
    assert [h.score for h in after] == pytest.approx([h.score for h in before])


async def test_caller_supplied_org_id_in_payload_is_overwritten(store: VectorStore) -> None:
    forged = point([1, 0, 0], org_id=str(ORG_B), topic="price")
    await store.upsert(ORG_A, KNOWLEDGE, [forged])
    assert forged.payload["org_id"] == str(ORG_B)  # the caller's object is left untouched
    assert await store.count(ORG_B, KNOWLEDGE) == 0
    (hit,) = await store.search_dense(ORG_A, KNOWLEDGE, [1, 0, 0])
    assert hit.payload == {"org_id": str(ORG_A), "topic": "price"}


async def test_where_filters_by_exact_payload_values(store: VectorStore) -> None:
    faq = point([1, 0, 0], [SHIPPING], source_kind="faq")
    chunk = point([1, 0, 0], [SHIPPING], source_kind="chunk")
    await store.upsert(ORG_A, KNOWLEDGE, [faq, chunk])
    sparse = SparseVector([SHIPPING], [1.0])
    only_faq = {"source_kind": "faq"}

    assert ids(await store.search_dense(ORG_A, KNOWLEDGE, [1, 0, 0], where=only_faq)) == [faq.id]
    assert ids(await store.search_sparse(ORG_A, KNOWLEDGE, sparse, where=only_faq)) == [faq.id]
    hybrid = await store.search_hybrid(
        ORG_A, KNOWLEDGE, dense=[1, 0, 0], sparse=sparse, where={"source_kind": "chunk"}
    )
    assert ids(hybrid) == [chunk.id]
    either = {"source_kind": ["faq", "chunk"]}  # a list means any of them
    assert len(await store.search_dense(ORG_A, KNOWLEDGE, [1, 0, 0], where=either)) == 2


async def test_memories_are_filtered_by_customer(store: VectorStore) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    mine = point([1, 0, 0], customer_id=str(alice), fact="prefers sea freight")
    theirs = point([1, 0, 0], customer_id=str(bob), fact="wants 500 units")
    await store.upsert(ORG_A, CollectionKind.MEMORIES, [mine, theirs])
    only_alice = {"customer_id": alice}  # a UUID value matches the id stored as a string
    hits = await store.search_dense(ORG_A, CollectionKind.MEMORIES, [1, 0, 0], where=only_alice)
    assert ids(hits) == [mine.id]


async def test_delete_where_removes_only_matching_points(store: VectorStore) -> None:
    doc1 = [point([1, 0, 0], document_id="d1", source_kind="chunk") for _ in range(3)]
    doc2 = point([1, 0, 0], document_id="d2", source_kind="chunk")
    await store.upsert(ORG_A, KNOWLEDGE, [*doc1, doc2])
    await store.delete_where(ORG_A, KNOWLEDGE, {"document_id": "d1"})
    assert ids(await store.search_dense(ORG_A, KNOWLEDGE, [1, 0, 0])) == [doc2.id]
    with pytest.raises(ValueError, match="at least one condition"):
        await store.delete_where(ORG_A, KNOWLEDGE, {})


async def test_delete_by_ids(store: VectorStore) -> None:
    keep, drop = point([1, 0, 0]), point([0, 1, 0])
    await store.upsert(ORG_A, KNOWLEDGE, [keep, drop])
    await store.delete(ORG_A, KNOWLEDGE, [drop.id])
    await store.delete(ORG_A, KNOWLEDGE, [])  # nothing to do, and no "delete all" either
    assert ids(await store.search_dense(ORG_A, KNOWLEDGE, [1, 0, 0])) == [keep.id]


@pytest.mark.parametrize("bad_org", [None, str(ORG_A), 42])
async def test_org_id_must_be_a_uuid(store: VectorStore, bad_org) -> None:
    with pytest.raises(TypeError, match=r"uuid\.UUID"):
        await store.search_dense(bad_org, KNOWLEDGE, [1, 0, 0])
    with pytest.raises(TypeError):
        await store.upsert(bad_org, KNOWLEDGE, [point([1, 0, 0])])
    with pytest.raises(TypeError):
        await store.count(bad_org, KNOWLEDGE)
    with pytest.raises(TypeError):
        await store.delete(bad_org, KNOWLEDGE, [uuid.uuid4()])


async def test_where_cannot_override_the_org(store: VectorStore) -> None:
    await store.upsert(ORG_B, KNOWLEDGE, [point([1, 0, 0], [SHIPPING])])
    sparse = SparseVector([SHIPPING], [1.0])
    with pytest.raises(ValueError, match="org_id"):
        await store.search_dense(ORG_A, KNOWLEDGE, [1, 0, 0], where={"org_id": str(ORG_B)})
    with pytest.raises(ValueError, match="org_id"):
        await store.search_sparse(ORG_A, KNOWLEDGE, sparse, where={"org_id": str(ORG_B)})
    with pytest.raises(ValueError, match="org_id"):
        await store.delete_where(ORG_A, KNOWLEDGE, {"org_id": str(ORG_B)})
    assert await store.count(ORG_B, KNOWLEDGE) == 1


async def test_invalid_points_are_refused_before_reaching_qdrant(store: VectorStore) -> None:
    with pytest.raises(ValueError, match="neither"):
        await store.upsert(ORG_A, KNOWLEDGE, [VectorPoint(uuid.uuid4(), None, None, {})])
    with pytest.raises(ValueError, match="as many values"):
        SparseVector([1, 2], [1.0])
    with pytest.raises(TypeError, match="where values"):
        await store.search_dense(ORG_A, KNOWLEDGE, [1, 0, 0], where={"price": 1.5})


async def test_qdrant_errors_become_vector_store_errors(store: VectorStore) -> None:
    with pytest.raises(VectorStoreError) as wrong_size:
        await store.search_dense(ORG_A, KNOWLEDGE, [1, 0])
    assert wrong_size.value.__cause__ is not None
    missing = VectorStore(store._client, dense_size=3, prefix="never_created")
    with pytest.raises(VectorStoreError, match="never_created_corpus"):
        await missing.count(ORG_A, CollectionKind.CORPUS)


async def test_a_locked_local_folder_is_reported_clearly(tmp_path):
    first = make_qdrant_client(url=None, api_key=None, path=tmp_path / "q")
    try:
        with pytest.raises(VectorStoreError, match="in use by another process"):
            make_qdrant_client(url=None, api_key=None, path=tmp_path / "q")
    finally:
        await first.close()
