"""The local-mode numpy index answers exactly what qdrant-client's local mode answers.

Each test writes the same points through a ``VectorStore`` with the index and one without it
(``local_index=False``: qdrant-client scores every point) and compares the answers.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator

import pytest
from qdrant_client import models

from storage.vector_index import LocalIndex, UnsupportedFilter
from storage.vectors import (
    CollectionKind,
    SparseVector,
    VectorPoint,
    VectorStore,
    make_qdrant_client,
)

KNOWLEDGE, MEMORIES = CollectionKind.KNOWLEDGE, CollectionKind.MEMORIES
ORG_A = uuid.UUID("00000000-0000-4000-8000-0000000000aa")
ORG_B = uuid.UUID("00000000-0000-4000-8000-0000000000bb")
DIM = 8


def random_points(rng: random.Random, n: int) -> list[VectorPoint]:
    points = []
    for i in range(n):
        terms = sorted(rng.sample(range(1, 40), rng.randint(1, 6)))
        points.append(
            VectorPoint(
                id=uuid.UUID(int=rng.getrandbits(128) | (1 << 127)),
                dense=[rng.uniform(-1, 1) for _ in range(DIM)],
                sparse=SparseVector(terms, [rng.uniform(0.5, 2.5) for _ in terms]),
                payload={"source_kind": "faq" if i % 3 else "chunk", "n": i},
            )
        )
    return points


@pytest.fixture(params=[True, False], ids=["tenant-idf", "collection-idf"])
async def pair(request) -> AsyncIterator[tuple[VectorStore, VectorStore]]:
    """(indexed, plain) stores holding the same points of two orgs."""
    stores = [
        VectorStore(
            make_qdrant_client(url=None, api_key=None, path=None),
            dense_size=DIM,
            local_index=flag,
            tenant_idf=request.param,
        )
        for flag in (True, False)
    ]
    rng = random.Random(4)
    a_points, b_points = random_points(rng, 120), random_points(rng, 60)
    for store in stores:
        await store.ensure_collections()
        await store.upsert(ORG_A, KNOWLEDGE, a_points)
        await store.upsert(ORG_B, KNOWLEDGE, b_points)
    yield stores[0], stores[1]
    for store in stores:
        await store.aclose()


def same(indexed, plain) -> None:
    """Same hits in the same order with the same scores (weights are random floats: no ties)."""
    assert [(h.id, round(h.score, 4), h.payload) for h in indexed] == [
        (h.id, round(h.score, 4), h.payload) for h in plain
    ]


async def test_dense_sparse_and_hybrid_match_qdrant_local_mode(pair) -> None:
    indexed, plain = pair
    assert indexed._index is not None and plain._index is None
    rng = random.Random(9)
    for _ in range(15):
        dense = [rng.uniform(-1, 1) for _ in range(DIM)]
        terms = sorted(rng.sample(range(1, 45), 3))  # some terms nobody has
        sparse = SparseVector(terms, [1.0] * 3)
        for where in (None, {"source_kind": "faq"}, {"source_kind": ["faq", "chunk"]}):
            for org in (ORG_A, ORG_B):
                kw = {"limit": 7, "where": where}
                same(
                    await indexed.search_dense(org, KNOWLEDGE, dense, **kw),
                    await plain.search_dense(org, KNOWLEDGE, dense, **kw),
                )
                same(
                    await indexed.search_sparse(org, KNOWLEDGE, sparse, **kw),
                    await plain.search_sparse(org, KNOWLEDGE, sparse, **kw),
                )
        hybrid = [
            await s.search_hybrid(ORG_A, KNOWLEDGE, dense=dense, sparse=sparse, limit=5)
            for s in (indexed, plain)
        ]
        assert [h.id for h in hybrid[0]][:1] == [h.id for h in hybrid[1]][:1]
        assert [round(h.score, 4) for h in hybrid[0]] == [round(h.score, 4) for h in hybrid[1]]


async def test_results_never_cross_organizations(pair) -> None:
    indexed, _ = pair
    b_ids = {h.id for h in await indexed.search_dense(ORG_B, KNOWLEDGE, [1.0] * DIM, limit=500)}
    a_hits = await indexed.search_dense(ORG_A, KNOWLEDGE, [1.0] * DIM, limit=500)
    assert len(a_hits) == 120 and len(b_ids) == 60
    assert not b_ids & {h.id for h in a_hits}
    assert {h.payload["org_id"] for h in a_hits} == {str(ORG_A)}
    lexical = await indexed.search_sparse(
        ORG_A, KNOWLEDGE, SparseVector(list(range(1, 40)), [1.0] * 39), limit=500
    )
    assert {h.payload["org_id"] for h in lexical} == {str(ORG_A)}
    assert await indexed.count(ORG_A, KNOWLEDGE) == 120
    assert await indexed.count(ORG_B, KNOWLEDGE) == 60
    # Another org's point ids cannot be deleted through org A either.
    await indexed.delete(ORG_A, KNOWLEDGE, list(b_ids))
    assert await indexed.count(ORG_B, KNOWLEDGE) == 60


async def test_writes_after_loading_are_seen(pair) -> None:
    indexed, plain = pair
    query = [0.5] * DIM
    top = (await indexed.search_dense(ORG_A, KNOWLEDGE, query, limit=3))[0]  # loads the index
    for store in pair:
        await store.delete(ORG_A, KNOWLEDGE, [top.id])
        await store.delete_where(ORG_A, KNOWLEDGE, {"source_kind": "chunk"})
        await store.upsert(  # a replaced point keeps one row, with its new vectors
            ORG_A,
            KNOWLEDGE,
            [VectorPoint(top.id, [1.0] * DIM, SparseVector([99], [1.0]), {"source_kind": "faq"})],
        )
    for store_call in (
        lambda s: s.search_dense(ORG_A, KNOWLEDGE, query, limit=200),
        lambda s: s.search_sparse(ORG_A, KNOWLEDGE, SparseVector([5, 99], [1.0, 1.0]), limit=200),
    ):
        same(await store_call(indexed), await store_call(plain))
    assert await indexed.count(ORG_A, KNOWLEDGE) == await plain.count(ORG_A, KNOWLEDGE) == 80
    first = await indexed.search_dense(ORG_A, KNOWLEDGE, [1.0] * DIM, limit=1)
    assert first[0].id == top.id and first[0].score == pytest.approx(1.0)


async def test_memories_filtered_by_customer(pair) -> None:
    indexed, _ = pair
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    points = [
        VectorPoint(uuid.uuid4(), [float(i == k) for k in range(DIM)], None, {"customer_id": who})
        for i, who in enumerate([alice, alice, bob])
    ]
    await indexed.upsert(ORG_A, MEMORIES, points)
    hits = await indexed.search_dense(
        ORG_A, MEMORIES, [0, 0, 1] + [0] * 5, where={"customer_id": alice}
    )
    assert {h.payload["customer_id"] for h in hits} == {alice} and len(hits) == 2
    assert (
        await indexed.search_dense(ORG_B, MEMORIES, [1.0] * DIM, where={"customer_id": alice}) == []
    )


async def test_a_later_process_sees_an_earlier_ones_writes(tmp_path) -> None:
    """Local mode allows one process per folder at a time; whatever one wrote, the next one
    to open the folder finds (its index loads from qdrant-client)."""
    folder = tmp_path / "qdrant"
    first_id, second_id = uuid.uuid4(), uuid.uuid4()
    for point_id in (first_id, second_id):
        store = VectorStore(make_qdrant_client(url=None, api_key=None, path=folder), dense_size=DIM)
        await store.ensure_collections()
        await store.search_dense(ORG_A, KNOWLEDGE, [1.0] * DIM)  # the index is loaded first
        await store.upsert(ORG_A, KNOWLEDGE, [VectorPoint(point_id, [1.0] * DIM, None, {})])
        await store.aclose()
    reopened = VectorStore(make_qdrant_client(url=None, api_key=None, path=folder), dense_size=DIM)
    await reopened.ensure_collections()
    hits = await reopened.search_dense(ORG_A, KNOWLEDGE, [1.0] * DIM)
    assert {h.id for h in hits} == {first_id, second_id}
    await reopened.delete(ORG_A, KNOWLEDGE, [first_id])
    await reopened.aclose()
    again = VectorStore(make_qdrant_client(url=None, api_key=None, path=folder), dense_size=DIM)
    await again.ensure_collections()
    assert [h.id for h in await again.search_dense(ORG_A, KNOWLEDGE, [1.0] * DIM)] == [second_id]
    await again.aclose()


async def test_a_filter_without_an_org_is_refused() -> None:
    client = make_qdrant_client(url=None, api_key=None, path=None)
    index = LocalIndex(client, dense_name="dense", sparse_name="lexical", org_key="org_id", dim=DIM)
    unscoped = models.Filter(
        must=[models.FieldCondition(key="source_kind", match=models.MatchValue(value="faq"))]
    )
    with pytest.raises(UnsupportedFilter, match="org_id"):
        index._split(unscoped)
    await client.close()
