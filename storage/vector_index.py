"""An exact in-process index over Qdrant *local mode* collections, for the embedded default.

Why: qdrant-client's local mode scores every point in Python (~80 ms for one dense search over
2,000 points on the reference machine); at 10,000 knowledge chunks a message spent seconds in
search. This index holds the same points as numpy arrays — a dense matrix (normalised rows, so
cosine is a dot product, as Qdrant computes it) and a sparse CSC term matrix — and answers the
searches :class:`~storage.vectors.VectorStore` makes in well under a millisecond.

Qdrant stays the store of record: every write goes to qdrant-client first and is applied here
only once it succeeded; a collection is loaded from qdrant-client (``scroll``) the first time it
is searched. It is used only in local mode, where Qdrant locks the storage folder to a single
process (``:memory:`` is private to the process anyway), so every write to the collection passes
through the one ``VectorStore`` that owns this index — there is nothing another process could
change behind its back. A second process sees the first one's writes because they are in the
folder it loads from when it opens it. With a Qdrant server (``qdrant.url``) there is no index:
the server answers.

Tenancy: the index is partitioned by ``org_id``, and every query takes the ``models.Filter``
built by ``VectorStore._scoped``; a filter without an exact ``org_id`` condition is refused, so
a query can only ever see one organization's partition. The other conditions (``MatchValue`` /
``MatchAny`` on payload keys, ``HasIdCondition``) are evaluated with per-key inverted indexes.

Scores match local mode's: dense = cosine (float32); lexical = sum of query weight x IDF x
document weight over shared terms, with IDF ``ln((N - df + 0.5) / (df + 0.5) + 1)`` over the
organization's points that have a lexical vector (``VectorStore(tenant_idf=True)``) or over the
whole collection; only points sharing at least one term are returned. ``tests/storage/
test_vectors_index.py`` checks both against qdrant-client on the same points.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from qdrant_client import AsyncQdrantClient, models
from scipy import sparse as sp
from threadpoolctl import threadpool_limits

_SCROLL_PAGE = 1024


class UnsupportedFilter(ValueError):
    """A filter the index cannot evaluate (the store then asks qdrant-client instead)."""


@dataclass(frozen=True)
class IndexHit:
    id: str
    score: float
    payload: dict


class _Partition:
    """One organization's points of one collection."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.ids: list[str | None] = []  # row → point id; None once deleted
        self.row_of: dict[str, int] = {}
        self.payloads: list[dict | None] = []
        self.dense = np.zeros((16, dim), dtype=np.float32)
        self.has_dense = np.zeros(16, dtype=bool)
        self.sparse_rows: list[tuple[np.ndarray, np.ndarray] | None] = []
        self.dead = 0
        # Derived lazily, dropped on writes:
        self._terms: _Terms | None = None
        self._inverted: dict[str, dict[Hashable, set[int]]] = {}

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def live(self) -> int:
        return len(self.row_of)

    def upsert(self, point_id: str, dense: np.ndarray | None, sparse, payload: dict) -> None:
        row = self.row_of.get(point_id)
        if row is None:
            row = self.size
            self._grow(row + 1)
            self.ids.append(point_id)
            self.payloads.append(None)
            self.sparse_rows.append(None)
            self.row_of[point_id] = row
        else:
            self._unindex(row)
        self.payloads[row] = payload
        if dense is not None:
            self.dense[row] = dense
            self.has_dense[row] = True
        else:
            self.has_dense[row] = False
        self.sparse_rows[row] = sparse
        self._terms = None
        for key, inverted in self._inverted.items():
            for value in _values(payload.get(key)):
                inverted[value].add(row)

    def delete_rows(self, rows: Iterable[int]) -> None:
        for row in rows:
            point_id = self.ids[row]
            if point_id is None:
                continue
            self._unindex(row)
            del self.row_of[point_id]
            self.ids[row] = None
            self.payloads[row] = None
            self.sparse_rows[row] = None
            self.has_dense[row] = False
            self.dead += 1
            self._terms = None
        if self.dead > 64 and self.dead > self.size // 2:
            self._compact()

    def rows_matching(self, conditions: Sequence[Any]) -> np.ndarray | None:
        """Live rows meeting every condition, or None meaning "all live rows"."""
        rows: set[int] | None = None
        for condition in conditions:
            found = self._rows_of(condition)
            rows = found if rows is None else rows & found
            if not rows:
                return np.zeros(0, dtype=np.int64)
        if rows is None:
            return None
        return np.fromiter(sorted(rows), dtype=np.int64, count=len(rows))

    def terms(self) -> _Terms:
        if self._terms is None:
            self._terms = _Terms.build(self.sparse_rows, self.size)
        return self._terms

    # -- internals -----------------------------------------------------------------------

    def _rows_of(self, condition: Any) -> set[int]:
        if isinstance(condition, models.HasIdCondition):
            wanted = (str(i) for i in condition.has_id)
            return {self.row_of[i] for i in wanted if i in self.row_of}
        key, values = condition
        inverted = self._inverted.get(key)
        if inverted is None:
            inverted = defaultdict(set)
            for row, payload in enumerate(self.payloads):
                if payload is not None:
                    for value in _values(payload.get(key)):
                        inverted[value].add(row)
            self._inverted[key] = inverted
        found: set[int] = set()
        for value in values:
            found |= inverted.get(value, set())
        return found

    def _unindex(self, row: int) -> None:
        payload = self.payloads[row]
        if payload is None:
            return
        for key, inverted in self._inverted.items():
            for value in _values(payload.get(key)):
                inverted.get(value, set()).discard(row)

    def _grow(self, needed: int) -> None:
        if needed <= len(self.has_dense):
            return
        capacity = max(needed, 2 * len(self.has_dense))
        dense = np.zeros((capacity, self.dim), dtype=np.float32)
        dense[: self.size] = self.dense[: self.size]
        has = np.zeros(capacity, dtype=bool)
        has[: self.size] = self.has_dense[: self.size]
        self.dense, self.has_dense = dense, has

    def _compact(self) -> None:
        keep = [row for row, point_id in enumerate(self.ids) if point_id is not None]
        fresh = _Partition(self.dim)
        for row in keep:
            dense = self.dense[row] if self.has_dense[row] else None
            fresh.upsert(self.ids[row], dense, self.sparse_rows[row], self.payloads[row])
        self.__dict__.update(fresh.__dict__)


@dataclass
class _Terms:
    """The lexical vectors of a partition as a CSC matrix (rows = partition rows)."""

    matrix: sp.csc_matrix
    column_of: dict[int, int]  # term index → column
    df: np.ndarray  # documents containing each column's term
    docs: int  # rows with a lexical vector (the IDF corpus)

    @classmethod
    def build(cls, rows: Sequence[tuple[np.ndarray, np.ndarray] | None], size: int) -> _Terms:
        column_of: dict[int, int] = {}
        row_ids: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        docs = 0
        for row, vector in enumerate(rows):
            if vector is None:
                continue
            indices, values = vector
            docs += 1
            mapped = np.fromiter(
                (column_of.setdefault(int(i), len(column_of)) for i in indices),
                dtype=np.int64,
                count=len(indices),
            )
            row_ids.append(np.full(len(indices), row, dtype=np.int64))
            cols.append(mapped)
            vals.append(values)
        if row_ids:
            data = (np.concatenate(vals), (np.concatenate(row_ids), np.concatenate(cols)))
            matrix = sp.csc_matrix(data, shape=(size, len(column_of)), dtype=np.float32)
        else:
            matrix = sp.csc_matrix((size, 0), dtype=np.float32)
        matrix.sum_duplicates()
        df = np.diff(matrix.indptr).astype(np.int64)
        return cls(matrix, column_of, df, docs)


class _Collection:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.partitions: dict[str, _Partition] = {}
        self.org_of: dict[str, str] = {}  # point id → the org partition holding it

    def partition(self, org: str) -> _Partition:
        part = self.partitions.get(org)
        if part is None:
            part = self.partitions[org] = _Partition(self.dim)
        return part


class LocalIndex:
    """The index of every collection one local-mode ``VectorStore`` owns (see module doc)."""

    def __init__(
        self,
        client: AsyncQdrantClient,
        *,
        dense_name: str,
        sparse_name: str,
        org_key: str,
        dim: int,
    ) -> None:
        self._client = client
        self._dense, self._sparse, self._org_key, self._dim = dense_name, sparse_name, org_key, dim
        self._collections: dict[str, _Collection] = {}
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        _one_blas_thread()

    def lock(self, name: str) -> asyncio.Lock:
        """Held around a collection's load and around each write (client first, then index),
        so a write can neither be missed by a load in progress nor applied twice."""
        return self._locks[name]

    async def collection(self, name: str) -> _Collection:
        """The loaded collection (loading it from qdrant-client the first time)."""
        found = self._collections.get(name)
        if found is not None:
            return found
        async with self.lock(name):
            return await self._load_locked(name)

    async def _load_locked(self, name: str) -> _Collection:
        found = self._collections.get(name)
        if found is not None:
            return found
        collection = _Collection(self._dim)
        offset = None
        while True:
            points, offset = await self._client.scroll(
                name, limit=_SCROLL_PAGE, offset=offset, with_payload=True, with_vectors=True
            )
            for point in points:
                self._apply(collection, str(point.id), point.vector, point.payload or {})
            if offset is None:
                break
        self._collections[name] = collection
        return collection

    def loaded(self, name: str) -> _Collection | None:
        return self._collections.get(name)

    # -- writes (call with lock(name) held, after the client accepted them) ---------------

    def upserted(self, name: str, points: Sequence[models.PointStruct]) -> None:
        collection = self._collections.get(name)
        if collection is None:
            return  # not loaded yet: the load will read these points from qdrant-client
        for point in points:
            self._apply(collection, str(point.id), point.vector, point.payload or {})

    def deleted(self, name: str, scope: models.Filter) -> None:
        collection = self._collections.get(name)
        if collection is None:
            return
        org, conditions = self._split(scope)
        part = collection.partitions.get(org)
        if part is None:
            return
        rows = part.rows_matching(conditions)
        rows = range(part.size) if rows is None else rows.tolist()
        for row in rows:
            collection.org_of.pop(part.ids[row] or "", None)
        part.delete_rows(rows)

    # -- reads ------------------------------------------------------------------------------

    def count(self, collection: _Collection, scope: models.Filter) -> int:
        org, conditions = self._split(scope)
        part = collection.partitions.get(org)
        if part is None:
            return 0
        rows = part.rows_matching(conditions)
        return part.live if rows is None else len(rows)

    def search_dense(
        self, collection: _Collection, scope: models.Filter, vector: Sequence[float], limit: int
    ) -> list[IndexHit]:
        org, conditions = self._split(scope)
        part = collection.partitions.get(org)
        if part is None or limit <= 0:
            return []
        query = _normalised(np.asarray(vector, dtype=np.float32))
        rows = part.rows_matching(conditions)
        if rows is None:
            scores = part.dense[: part.size] @ query
            candidates = np.flatnonzero(part.has_dense[: part.size])
            scores = scores[candidates]
        else:
            candidates = rows[part.has_dense[rows]]
            scores = part.dense[candidates] @ query
        return self._top(part, candidates, scores, limit)

    def search_sparse(
        self,
        collection: _Collection,
        scope: models.Filter,
        indices: Sequence[int],
        values: Sequence[float],
        limit: int,
        *,
        tenant_idf: bool,
    ) -> list[IndexHit]:
        org, conditions = self._split(scope)
        part = collection.partitions.get(org)
        if part is None or limit <= 0:
            return []
        terms = part.terms()
        known = [
            (terms.column_of[i], v)
            for i, v in zip(indices, values, strict=True)
            if i in terms.column_of
        ]
        if not known:
            return []
        columns = np.fromiter((c for c, _ in known), dtype=np.int64, count=len(known))
        if tenant_idf:
            df, docs = terms.df[columns], terms.docs
        else:
            df, docs = self._global_df(
                collection, [int(i) for i in indices if i in terms.column_of]
            )
        idf = np.log((docs - df + 0.5) / (df + 0.5) + 1.0)
        weights = np.fromiter((v for _, v in known), dtype=np.float64, count=len(known)) * idf
        sub = terms.matrix[:, columns]
        scores = np.asarray(sub @ weights.astype(np.float32)).ravel()
        overlapping = np.unique(sub.indices)  # rows sharing at least one term
        rows = part.rows_matching(conditions)
        if rows is not None:
            overlapping = np.intersect1d(overlapping, rows, assume_unique=True)
        return self._top(part, overlapping, scores[overlapping], limit)

    # -- internals --------------------------------------------------------------------------

    def _apply(self, collection: _Collection, point_id: str, vector: Any, payload: dict) -> None:
        org = payload.get(self._org_key)
        if not isinstance(org, str):
            return  # not written through VectorStore: no org, so no query can reach it
        vectors = vector if isinstance(vector, dict) else {}
        dense = vectors.get(self._dense)
        dense = None if dense is None else _normalised(np.asarray(dense, dtype=np.float32))
        lexical = vectors.get(self._sparse)
        sparse = None
        if lexical is not None:
            sparse = (
                np.asarray(lexical.indices, dtype=np.int64),
                np.asarray(lexical.values, dtype=np.float32),
            )
        previous = collection.org_of.get(point_id)
        if previous is not None and previous != org:  # the point moved to another org
            old = collection.partitions[previous]
            old.delete_rows([old.row_of[point_id]])
        collection.partition(org).upsert(point_id, dense, sparse, payload)
        collection.org_of[point_id] = org

    def _split(self, scope: models.Filter) -> tuple[str, list[Any]]:
        """The org of a ``VectorStore._scoped`` filter, and its other conditions."""
        if scope.should or scope.must_not or scope.min_should:
            raise UnsupportedFilter("only 'must' filters are indexed")
        must = scope.must if isinstance(scope.must, list) else [scope.must]
        org: str | None = None
        conditions: list[Any] = []
        for condition in must:
            if isinstance(condition, models.HasIdCondition):
                conditions.append(condition)
                continue
            if not isinstance(condition, models.FieldCondition):
                raise UnsupportedFilter(f"unsupported condition {type(condition).__name__}")
            match = condition.match
            if isinstance(match, models.MatchValue):
                values = [match.value]
            elif isinstance(match, models.MatchAny):
                values = list(match.any)
            else:
                raise UnsupportedFilter(f"unsupported match on {condition.key}")
            if condition.key == self._org_key and isinstance(match, models.MatchValue):
                if org is not None and org != match.value:
                    raise UnsupportedFilter("two different org conditions")
                org = str(match.value)
            else:
                conditions.append((condition.key, values))
        if org is None:  # fail closed: never search across organizations
            raise UnsupportedFilter("a query without an org_id condition")
        return org, conditions

    @staticmethod
    def _global_df(collection: _Collection, indices: list[int]) -> tuple[np.ndarray, int]:
        df = np.zeros(len(indices), dtype=np.int64)
        docs = 0
        for part in collection.partitions.values():
            terms = part.terms()
            docs += terms.docs
            for k, index in enumerate(indices):
                column = terms.column_of.get(index)
                if column is not None:
                    df[k] += terms.df[column]
        return df, docs

    @staticmethod
    def _top(part: _Partition, rows: np.ndarray, scores: np.ndarray, limit: int) -> list[IndexHit]:
        if len(rows) == 0:
            return []
        if len(rows) > limit:
            best = np.argpartition(-scores, limit - 1)[:limit]
        else:
            best = np.arange(len(rows))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [IndexHit(part.ids[rows[k]], float(scores[k]), part.payloads[rows[k]]) for k in best]


_blas_limited = False


def _one_blas_thread() -> None:
    """Limit BLAS to one thread in this process (once). A matrix-vector product over 10,000
    points took 11 ms with OpenBLAS's two threads fighting the embedder's OpenMP threads for the
    two cores, 1.6 ms on one thread. The classifier's small products lose nothing either."""
    global _blas_limited
    if not _blas_limited:
        threadpool_limits(1, user_api="blas")
        _blas_limited = True


def _normalised(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 and not math.isclose(norm, 1.0, rel_tol=1e-6) else vector


def _values(value: object) -> list[Hashable]:
    """The values a payload field matches on (each element of a list, like Qdrant)."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Hashable)]
    return [value] if isinstance(value, Hashable) and value is not None else []
