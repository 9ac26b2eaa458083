"""The Qdrant wrapper: one collection per kind of content, every point owned by one organization.

Tenancy is enforced here, not by callers: ``upsert`` stamps ``org_id`` into every payload and every
read, count and delete is built by :meth:`VectorStore._scoped`, which always adds the ``org_id``
condition. There is no method that takes a raw Qdrant filter, so a query across organizations
cannot be written through this module.

Each collection holds a dense vector (semantic, cosine) and a sparse ``lexical`` vector whose term
weights Qdrant multiplies by IDF at query time (``Modifier.IDF``), so callers store plain term
frequencies. Hybrid search fuses both with reciprocal rank fusion inside Qdrant.

Local mode (``path=`` or ``":memory:"``) is the embedded default: one process per path (Qdrant
locks the folder), payload indexes ignored. qdrant-client scores every point in Python there
(~80 ms a search at 2,000 points), so in local mode searches and counts are answered by an exact
in-process numpy index (:mod:`storage.vector_index`) loaded from the client and updated after
each successful write; Qdrant remains the store of record. With a server URL the server answers.
"""

from __future__ import annotations

import contextlib
import pathlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from qdrant_client import AsyncQdrantClient, models
from qdrant_client.common.client_exceptions import QdrantException
from qdrant_client.http.exceptions import ApiException

from storage.errors import VectorStoreError
from storage.vector_index import IndexHit, LocalIndex, UnsupportedFilter

# What qdrant-client raises: HTTP/transport errors from server mode, and plain ValueError /
# RuntimeError from local mode ("Collection ... not found", wrong dimension, folder locked, closed).
_CLIENT_ERRORS = (ApiException, QdrantException, ValueError, RuntimeError)
_UPSERT_BATCH = 256  # keeps a large ingest from becoming one huge request
Where = Mapping[str, object] | None  # exact-match payload conditions; a list value = any of them


class CollectionKind(StrEnum):
    """What a collection holds; one Qdrant collection per kind, shared by all organizations."""

    KNOWLEDGE = "knowledge"  # FAQs and document chunks (payload 'source_kind': faq | chunk)
    CORPUS = "corpus"  # approved or edited past replies
    MEMORIES = "memories"  # customer memories (payload carries customer_id)


@dataclass(frozen=True)
class SparseVector:
    """Term index → weight (e.g. term frequency); Qdrant applies IDF itself."""

    indices: list[int]
    values: list[float]

    def __post_init__(self) -> None:
        if len(self.indices) != len(self.values):
            raise ValueError("sparse vector needs as many values as indices")


@dataclass(frozen=True)
class VectorPoint:
    """One point to store; at least one of ``dense`` / ``sparse`` must be given."""

    id: UUID
    dense: list[float] | None
    sparse: SparseVector | None
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class VectorHit:
    """One search result: the point id, its score (higher is better) and its payload."""

    id: UUID
    score: float
    payload: dict


def make_qdrant_client(
    *, url: str | None, api_key: str | None, path: pathlib.Path | None
) -> AsyncQdrantClient:
    """Build the client: a configured ``url`` wins (server mode); else local mode at ``path``
    (created if missing), or in memory when ``path`` is None."""
    if url:
        return AsyncQdrantClient(url=url, api_key=api_key)
    if path is None:
        return AsyncQdrantClient(location=":memory:")
    path.mkdir(parents=True, exist_ok=True)
    try:
        return AsyncQdrantClient(path=str(path))
    except RuntimeError as err:  # qdrant-client's word for "another process holds the folder"
        raise VectorStoreError(
            f"Qdrant local mode at {path} is in use by another process (is `trademate serve` "
            "running?); stop it, or set qdrant.url so several processes share a Qdrant server"
        ) from err


class VectorStore:
    """Org-scoped access to the TradeMate collections (see the module docstring)."""

    DENSE = "dense"
    SPARSE = "lexical"
    ORG_KEY = "org_id"
    # Payload fields worth a keyword index besides org_id: the filters we know callers will use.
    _INDEXED: Mapping[CollectionKind, tuple[str, ...]] = {
        CollectionKind.KNOWLEDGE: ("source_kind",),
        CollectionKind.MEMORIES: ("customer_id",),
    }

    def __init__(
        self,
        client: AsyncQdrantClient,
        *,
        dense_size: int,
        prefix: str = "tm",
        tenant_idf: bool = True,
        local_index: bool = True,
    ) -> None:
        """``tenant_idf`` computes IDF over the organization's own points only, so another
        tenant's vocabulary cannot shift this tenant's lexical scores. It needs Qdrant server
        >= 1.19 (local mode has it); turn it off for an older server. ``local_index=False``
        makes local mode answer searches through qdrant-client itself (slow; for comparison)."""
        self._client = client
        self._dense_size = dense_size
        self._prefix = prefix
        self._tenant_idf = tenant_idf
        options = client.init_options
        self._local = options.get("location") == ":memory:" or options.get("path") is not None
        self._index = (
            LocalIndex(
                client,
                dense_name=self.DENSE,
                sparse_name=self.SPARSE,
                org_key=self.ORG_KEY,
                dim=dense_size,
            )
            if self._local and local_index
            else None
        )

    def collection_name(self, kind: CollectionKind) -> str:
        """The Qdrant collection name of ``kind``, e.g. ``tm_knowledge``."""
        return f"{self._prefix}_{CollectionKind(kind)}"

    async def ensure_collections(self) -> None:
        """Create every collection and its payload indexes if missing; safe to call on each start.

        An existing collection whose dense size differs (a different embedder) is an error rather
        than something to repair silently: its vectors would have to be re-embedded.
        """
        for kind in CollectionKind:
            name = self.collection_name(kind)
            with self._errors(f"ensure {name}"):
                if not await self._client.collection_exists(name):
                    await self._create(name)
                params = (await self._client.get_collection(name)).config.params
                if not self._local:  # local mode ignores payload indexes (and warns about them)
                    await self._create_indexes(kind)
            self._check_schema(name, params)

    async def upsert(
        self, org_id: UUID, kind: CollectionKind, points: Sequence[VectorPoint]
    ) -> None:
        """Insert or replace ``points`` as ``org_id``'s (a caller's payload org_id is replaced)."""
        org = self._org(org_id)
        structs = [self._point_struct(org, point) for point in points]
        name = self.collection_name(kind)
        async with self._writing(name):
            with self._errors(f"upsert into {name}"):
                for start in range(0, len(structs), _UPSERT_BATCH):
                    batch = structs[start : start + _UPSERT_BATCH]
                    await self._client.upsert(name, batch, wait=True)
                    if self._index is not None:
                        self._index.upserted(name, batch)

    async def search_dense(
        self,
        org_id: UUID,
        kind: CollectionKind,
        vector: Sequence[float],
        *,
        limit: int = 10,
        where: Where = None,
    ) -> list[VectorHit]:
        """Nearest points of ``org_id`` by cosine similarity of the dense vector."""
        scope = self._scoped(org_id, where)
        if self._index is not None:
            self._check_dense(vector)
            indexed = await self._indexed(
                kind, lambda c: self._index.search_dense(c, scope, vector, limit)
            )
            if indexed is not None:
                return indexed
        return await self._query(kind, scope, query=list(vector), using=self.DENSE, limit=limit)

    async def search_sparse(
        self,
        org_id: UUID,
        kind: CollectionKind,
        vector: SparseVector,
        *,
        limit: int = 10,
        where: Where = None,
    ) -> list[VectorHit]:
        """Best lexical matches of ``org_id`` (dot product of IDF-weighted sparse vectors)."""
        scope, idf = self._scoped(org_id, where), self._idf_params(org_id)
        if self._index is not None:
            indexed = await self._indexed(
                kind,
                lambda c: self._index.search_sparse(
                    c, scope, vector.indices, vector.values, limit, tenant_idf=self._tenant_idf
                ),
            )
            if indexed is not None:
                return indexed
        return await self._query(
            kind, scope, query=_sparse(vector), using=self.SPARSE, search_params=idf, limit=limit
        )

    async def search_hybrid(
        self,
        org_id: UUID,
        kind: CollectionKind,
        *,
        dense: Sequence[float],
        sparse: SparseVector,
        limit: int = 10,
        prefetch_limit: int = 50,
        where: Where = None,
    ) -> list[VectorHit]:
        """Dense and lexical candidates (``prefetch_limit`` each) fused by reciprocal rank."""
        scope = self._scoped(org_id, where)
        if self._index is not None:
            # Qdrant's RRF (k=2, equal weights) over the two prefetches, computed here.
            dense_hits = await self.search_dense(
                org_id, kind, dense, limit=prefetch_limit, where=where
            )
            sparse_hits = await self.search_sparse(
                org_id, kind, sparse, limit=prefetch_limit, where=where
            )
            return _rrf([dense_hits, sparse_hits], limit)
        # The filter sits on each prefetch as well as on top so the candidate limits apply to this
        # org's points only; newer servers propagate it anyway, repeating it costs nothing.
        common = {"filter": scope, "limit": prefetch_limit}
        prefetch = [
            models.Prefetch(query=list(dense), using=self.DENSE, **common),
            models.Prefetch(
                query=_sparse(sparse), using=self.SPARSE, params=self._idf_params(org_id), **common
            ),
        ]
        rrf = models.FusionQuery(fusion=models.Fusion.RRF)
        return await self._query(kind, scope, prefetch=prefetch, query=rrf, limit=limit)

    async def delete(self, org_id: UUID, kind: CollectionKind, ids: Sequence[UUID]) -> None:
        """Delete the given points if they belong to ``org_id``; other orgs' ids are left alone."""
        if not ids:
            return
        only_ids = models.HasIdCondition(has_id=[str(i) for i in ids])
        await self._delete(kind, self._scoped(org_id, None, only_ids))

    async def delete_where(self, org_id: UUID, kind: CollectionKind, where: Where) -> None:
        """Delete the org's points matching ``where`` (e.g. every chunk of one document)."""
        if not where:
            raise ValueError("delete_where needs at least one condition")
        await self._delete(kind, self._scoped(org_id, where))

    async def count(self, org_id: UUID, kind: CollectionKind) -> int:
        """Exact number of points ``org_id`` has in ``kind``."""
        name = self.collection_name(kind)
        scope = self._scoped(org_id, None)
        if self._index is not None:
            index = self._index
            counted = await self._indexed(kind, lambda c: index.count(c, scope), hits=False)
            if counted is not None:
                return counted
        with self._errors(f"count {name}"):
            result = await self._client.count(name, count_filter=scope, exact=True)
        return result.count

    async def aclose(self) -> None:
        """Close the client (and, in local mode, release the storage folder's lock)."""
        with self._errors("close"):
            await self._client.close()

    # -- internals -------------------------------------------------------------------------

    def _scoped(self, org_id: UUID, where: Where, *extra: models.Condition) -> models.Filter:
        """The one place filters are built: the org condition is always the first ``must``."""
        conditions: list[models.Condition] = [_match(self.ORG_KEY, str(self._org(org_id)))]
        for key, value in (where or {}).items():
            if key == self.ORG_KEY:
                raise ValueError("org_id is set by the store; pass it as org_id, not in where")
            conditions.append(_match(key, value))
        return models.Filter(must=[*conditions, *extra])

    @staticmethod
    def _org(org_id: object) -> UUID:
        # A None or a string slipping through would otherwise become a filter on "None".
        if not isinstance(org_id, UUID):
            raise TypeError(f"org_id must be a uuid.UUID, got {type(org_id).__name__}")
        return org_id

    def _idf_params(self, org_id: UUID) -> models.SearchParams | None:
        if not self._tenant_idf:
            return None
        return models.SearchParams(idf=models.IdfCorpusParams(corpus=self._scoped(org_id, None)))

    def _point_struct(self, org: UUID, point: VectorPoint) -> models.PointStruct:
        vector: dict[str, list[float] | models.SparseVector] = {}
        if point.dense is not None:
            vector[self.DENSE] = list(point.dense)
        if point.sparse is not None:
            vector[self.SPARSE] = _sparse(point.sparse)
        if not vector:
            raise ValueError(f"point {point.id} has neither a dense nor a sparse vector")
        payload = {**point.payload, self.ORG_KEY: str(org)}  # ours wins over the caller's
        return models.PointStruct(id=str(point.id), vector=vector, payload=payload)

    async def _query(
        self, kind: CollectionKind, scope: models.Filter, **kw: Any
    ) -> list[VectorHit]:
        name = self.collection_name(kind)
        with self._errors(f"search {name}"):
            response = await self._client.query_points(
                name, query_filter=scope, with_payload=True, **kw
            )
        return [VectorHit(UUID(str(p.id)), p.score, p.payload or {}) for p in response.points]

    async def _delete(self, kind: CollectionKind, scope: models.Filter) -> None:
        name = self.collection_name(kind)
        async with self._writing(name):
            with self._errors(f"delete in {name}"):
                await self._client.delete(name, models.FilterSelector(filter=scope), wait=True)
            if self._index is not None:
                self._index.deleted(name, scope)

    @contextlib.asynccontextmanager
    async def _writing(self, name: str) -> AsyncIterator[None]:
        """Serialises writes with the index's load of the collection (local mode only)."""
        if self._index is None:
            yield
            return
        async with self._index.lock(name):
            yield

    async def _indexed(self, kind: CollectionKind, read: Any, *, hits: bool = True) -> Any:
        """``read(collection)`` on the local index; None when the index cannot answer the
        filter (then qdrant-client does)."""
        assert self._index is not None
        name = self.collection_name(kind)
        with self._errors(f"load {name}"):
            collection = await self._index.collection(name)
        try:
            found = read(collection)
        except UnsupportedFilter:
            return None
        return [_hit(h) for h in found] if hits else found

    def _check_dense(self, vector: Sequence[float]) -> None:
        with self._errors("dense search"):  # the error qdrant-client raises for it
            if len(vector) != self._dense_size:
                raise ValueError(f"query has {len(vector)} dimensions, not {self._dense_size}")

    async def _create(self, name: str) -> None:
        dense = models.VectorParams(size=self._dense_size, distance=models.Distance.COSINE)
        sparse = models.SparseVectorParams(modifier=models.Modifier.IDF)
        try:
            await self._client.create_collection(
                name, {self.DENSE: dense}, sparse_vectors_config={self.SPARSE: sparse}
            )
        except _CLIENT_ERRORS:
            # Another process starting at the same moment may have created it first.
            if not await self._client.collection_exists(name):
                raise

    def _check_schema(self, name: str, params: models.CollectionParams) -> None:
        dense = params.vectors.get(self.DENSE) if isinstance(params.vectors, dict) else None
        sparse = (params.sparse_vectors or {}).get(self.SPARSE)
        if dense is None or dense.size != self._dense_size:
            found = dense.size if dense else "no"
            raise VectorStoreError(
                f"collection {name} has {found} dense size, configured {self._dense_size}"
            )
        if sparse is None or sparse.modifier != models.Modifier.IDF:
            raise VectorStoreError(f"collection {name} lacks the IDF-weighted {self.SPARSE} vector")

    async def _create_indexes(self, kind: CollectionKind) -> None:
        name = self.collection_name(kind)
        # is_tenant lets the server store each org's points together (Qdrant's multitenancy advice).
        tenant = models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True)
        await self._client.create_payload_index(name, self.ORG_KEY, field_schema=tenant)
        for key in self._INDEXED.get(kind, ()):
            await self._client.create_payload_index(
                name, key, field_schema=models.PayloadSchemaType.KEYWORD
            )

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """The one boundary where qdrant-client's errors become :class:`VectorStoreError`."""
        try:
            yield
        except _CLIENT_ERRORS as err:
            raise VectorStoreError(f"qdrant: {action} failed: {err}") from err


def _match(key: str, value: object) -> models.FieldCondition:
    """Exact match; a list/tuple/set means "any of these" (MatchAny)."""
    if isinstance(value, list | tuple | set | frozenset):
        return models.FieldCondition(key=key, match=models.MatchAny(any=[_plain(v) for v in value]))
    return models.FieldCondition(key=key, match=models.MatchValue(value=_plain(value)))


def _plain(value: object) -> str | int | bool:
    if isinstance(value, UUID):
        return str(value)  # payloads hold ids as strings
    if isinstance(value, str | int | bool):
        return value
    raise TypeError(f"where values must be str, int, bool or UUID, got {type(value).__name__}")


def _hit(found: IndexHit) -> VectorHit:
    return VectorHit(UUID(found.id), found.score, dict(found.payload))


def _rrf(lists: Sequence[list[VectorHit]], limit: int, k: int = 2) -> list[VectorHit]:
    """Qdrant's reciprocal rank fusion: sum of 1 / (k + rank - 1) over the lists (rank from 1)."""
    fused: dict[UUID, float] = {}
    first: dict[UUID, VectorHit] = {}
    for hits in lists:
        for rank, hit in enumerate(hits):
            fused[hit.id] = fused.get(hit.id, 0.0) + 1.0 / (rank + k)
            first.setdefault(hit.id, hit)
    order = sorted(fused, key=lambda i: -fused[i])[:limit]
    return [VectorHit(i, fused[i], first[i].payload) for i in order]


def _sparse(vector: SparseVector) -> models.SparseVector:
    return models.SparseVector(indices=list(vector.indices), values=list(vector.values))
