"""Ingesting a merchant's files into the knowledge base: rows in PostgreSQL, points in Qdrant.

One file at a time: read and hash it, take the document's locks, skip it if identical bytes are
already indexed, else parse, chunk, embed (off the event loop, in batches), write the new points,
swap the rows in one transaction, then delete the old points. A document row tracks each file:
``pending`` → ``processing`` → ``ready`` | ``failed`` (with the reason). One file failing never
stops the others; the report says what happened to each.

Idempotency and concurrency: a document is identified by its knowledge base and absolute source
path; its content by the sha256 of its bytes. Before looking at the rows, an ingest takes two
session-level advisory locks, one on the path and one on the hash, so two runs handling the same
file (or the same bytes under two paths) serialise: the second finds the first one's ``ready``
row and skips. Only ``ready`` rows are trusted; a document left ``processing`` by a crash or
``failed`` is simply processed again.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from agents.errors import IngestError
from agents.retrieval.base import Embedder, SparseEncoder
from agents.retrieval.centering import vector_format
from agents.retrieval.points import PointDraft, chunk_draft, embed_drafts, faq_draft
from storage.db import Connection
from storage.errors import StorageError
from storage.repositories import knowledge
from storage.vectors import CollectionKind, VectorPoint, VectorStore

from .chunking import Chunk, chunk_sections
from .parsed import ParsedFile, guess_language
from .readers import READERS, read_file, reader_for, reader_version
from .report import EmbedProgress, FileResult, FileStatus, IngestReport, Progress

log = logging.getLogger(__name__)

EMBED_BATCH = 64  # texts per embedder call: big enough to amortise, small enough to stay responsive
_LOCK_POLL_SECONDS = 0.2
VECTORS_KEY = "vectors"  # document metadata: the vector space its points were embedded in
# Document metadata: the version of the reader that parsed it. A reader that now reads more of
# a file (FAQ headers it used to miss) bumps its version, and the unchanged file is read again.
READER_KEY = "reader_version"


def discover(paths: Iterable[Path]) -> list[Path]:
    """The files to ingest: files as given, directories searched recursively for supported
    suffixes (hidden files and Office lock files ``~$...`` left out); each file once, in order.

    Paths that don't exist are kept so that their failure is reported, not silently dropped.
    """
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if (
                    child.is_file()
                    and child.suffix.lower() in READERS
                    and not any(part.startswith((".", "~$")) for part in relative)
                ):
                    found.setdefault(child.resolve(), None)
        else:
            found.setdefault(path.resolve(), None)
    return list(found)


class Ingestor:
    """Ingests files for one organization at a time (see the module docstring)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        vectors: VectorStore,
        embedder: Embedder,
        sparse: SparseEncoder,
        *,
        batch_size: int = EMBED_BATCH,
        embedded: EmbedProgress | None = None,
    ) -> None:
        self._pool = pool
        # Called with (texts embedded, texts in the file) after each batch: a large document
        # takes minutes to embed, and a bar that only moves per file looks hung meanwhile.
        self._embedded = embedded
        self._vectors = vectors
        self._embedder = embedder
        self._sparse = sparse
        self._batch_size = batch_size
        # Recorded on each document: one indexed in another vector space (another model, or
        # before language centering) is embedded again even if its bytes did not change.
        self._format = vector_format(embedder)

    async def ingest_path(
        self,
        org_id: uuid.UUID,
        path: Path | str,
        *,
        knowledge_base: str = "default",
        progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest a file, or every supported file under a directory."""
        files = await asyncio.to_thread(discover, [Path(path)])
        return await self.ingest_files(
            org_id, files, knowledge_base=knowledge_base, progress=progress
        )

    async def ingest_files(
        self,
        org_id: uuid.UUID,
        files: Sequence[Path],
        *,
        knowledge_base: str = "default",
        progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest ``files`` in order; ``progress`` is called after each one with its result."""
        async with self._pool.acquire() as conn:
            kb = await knowledge.ensure_knowledge_base(conn, org_id, knowledge_base)
        report = IngestReport()
        for path in files:
            result = await self._ingest_file(org_id, kb.id, Path(path))
            report.results.append(result)
            if progress is not None:
                progress(result)
        return report

    async def _ingest_file(self, org_id: uuid.UUID, kb_id: uuid.UUID, path: Path) -> FileResult:
        name = str(path)
        try:
            reader_for(name)
            data, source = await asyncio.to_thread(_read, path)
        except IngestError as err:
            return FileResult(name, "failed", reason=str(err))
        except OSError as err:
            return FileResult(name, "failed", reason=_reason(name, f"cannot read ({err.strerror})"))
        digest = hashlib.sha256(data).hexdigest()
        async with (
            self._pool.acquire() as conn,
            _document_locks(conn, org_id, kb_id, [f"path:{source}", f"sha256:{digest}"]),
        ):
            document = await knowledge.find_by_source(conn, org_id, kb_id, source)
            if document is None:
                # New path: identical bytes already indexed under another path (a copy, a moved
                # folder) would only duplicate every answer.
                same = await knowledge.find_ready_by_hash(conn, org_id, kb_id, digest)
                if same is not None:
                    why = f"same content as {same.source_path}"
                    return FileResult(name, "skipped", same.id, reason=why)
            elif (
                document.status == "ready"
                and document.content_hash == digest
                and document.metadata.get(VECTORS_KEY) == self._format
                and document.metadata.get(READER_KEY, 1) == reader_version(name)
            ):
                return FileResult(name, "skipped", document.id, reason="unchanged")
            # Indexed once before (even if a later attempt failed): this run replaces it.
            updating = document is not None and document.processed_at is not None
            if document is None:
                document = await knowledge.create_document(
                    conn,
                    org_id,
                    kb_id,
                    title=path.name,
                    source_path=source,
                    mime_type=READERS[path.suffix.lower()].mime_type,
                    size_bytes=len(data),
                    content_hash=digest,
                )
            await knowledge.set_status(conn, org_id, document.id, "processing")
            try:
                faqs, chunks = await self._index(conn, org_id, document.id, name, data, digest)
            except (IngestError, StorageError, asyncpg.PostgresError) as err:
                reason = _reason(name, err)
                await knowledge.set_status(conn, org_id, document.id, "failed", error=reason)
                return FileResult(name, "failed", document.id, reason=reason)
            except Exception as err:
                # An embedder or encoder is pluggable and its errors aren't ours to enumerate;
                # one bad file must still not stop the rest of the run.
                log.exception("ingest of %s (org %s) failed unexpectedly", name, org_id)
                reason = _reason(name, f"{type(err).__name__}: {err}")
                await knowledge.set_status(conn, org_id, document.id, "failed", error=reason)
                return FileResult(name, "failed", document.id, reason=reason)
        status: FileStatus = "updated" if updating else "ingested"
        log.info("%s %s (org %s): %d FAQs, %d chunks", status, name, org_id, faqs, chunks)
        return FileResult(name, status, document.id, faqs=faqs, chunks=chunks)

    async def _index(
        self,
        conn: Connection,
        org_id: uuid.UUID,
        document_id: uuid.UUID,
        name: str,
        data: bytes,
        digest: str,
    ) -> tuple[int, int]:
        """Parse, embed and store one file's content in place of its previous version."""
        parsed, chunks = await asyncio.to_thread(_parse, name, data)
        faq_rows, chunk_rows, new_points = await self._build(parsed, chunks, document_id)
        old_ids = await knowledge.vector_ids(conn, org_id, document_id)
        # New points first, rows swapped atomically, old points last: searches see either
        # version whole (plus, at most, both for a moment), never a document with no points.
        await self._vectors.upsert(org_id, CollectionKind.KNOWLEDGE, new_points)
        try:
            async with conn.transaction():
                await knowledge.replace_contents(
                    conn,
                    org_id,
                    document_id,
                    chunks=chunk_rows,
                    faqs=faq_rows,
                    title=parsed.title,
                    mime_type=parsed.mime_type,
                    size_bytes=len(data),
                    content_hash=digest,
                    language=_dominant_language(
                        [f.language for f in faq_rows] + [c.language for c in chunk_rows]
                    ),
                    metadata={
                        **parsed.metadata,
                        VECTORS_KEY: self._format,
                        READER_KEY: reader_version(name),
                    },
                    vector_space=self._format,
                )
        except BaseException:
            # The rows still describe the old version: its points must stay, the new ones go.
            await self._vectors.delete(org_id, CollectionKind.KNOWLEDGE, [p.id for p in new_points])
            raise
        try:
            await self._vectors.delete(org_id, CollectionKind.KNOWLEDGE, old_ids)
        except StorageError:
            # The rows are already the new version; stale points only cost a little noise and
            # carry row ids that no longer exist, which readers must tolerate anyway.
            log.warning("could not delete %d old points of document %s", len(old_ids), document_id)
        return len(faq_rows), len(chunk_rows)

    async def _build(
        self, parsed: ParsedFile, chunks: list[Chunk], document_id: uuid.UUID
    ) -> tuple[list[knowledge.NewFaq], list[knowledge.NewChunk], list[VectorPoint]]:
        """Rows and points for the parsed file; a row's id is also its point's id.

        The retrieval package's drafts decide the payload and what text each vector is made
        from, so ingestion and search can't drift apart.
        """
        faq_rows = [
            knowledge.NewFaq(faq_id, f.question, f.answer, f.language, f.category, faq_id)
            for f, faq_id in ((f, uuid.uuid4()) for f in parsed.faqs)
        ]
        chunk_rows = [
            knowledge.NewChunk(
                chunk_id,
                c.ord,
                c.text,
                c.heading,
                guess_language(c.text),
                chunk_id,
                dict(c.metadata),
            )
            for c, chunk_id in ((c, uuid.uuid4()) for c in chunks)
        ]
        drafts = [
            faq_draft(f.id, f.question, f.answer, language=f.language, document_id=document_id)
            for f in faq_rows
        ] + [
            chunk_draft(
                c.id,
                document_id,
                c.text,
                # The section path rides along with the document title, so a chunk that says
                # "3-5 days" under "Shipping > Delivery times" is found for "delivery time".
                title=f"{parsed.title} > {c.heading}" if c.heading else parsed.title,
                ord=c.ord,
                language=c.language,
            )
            for c in chunk_rows
        ]
        return faq_rows, chunk_rows, await self._embed(drafts)

    async def _embed(self, drafts: list[PointDraft]) -> list[VectorPoint]:
        """Embed a batch at a time in a worker thread: the model is CPU-bound and would
        otherwise stall every other task on the event loop."""
        embedded: list[VectorPoint] = []
        for start in range(0, len(drafts), self._batch_size):
            batch = drafts[start : start + self._batch_size]
            embedded += await asyncio.to_thread(embed_drafts, batch, self._embedder, self._sparse)
            if self._embedded is not None:
                self._embedded(len(embedded), len(drafts))
        return embedded


def _read(path: Path) -> tuple[bytes, str]:
    """The file's bytes and its absolute path (the document's identity)."""
    return path.read_bytes(), str(path.resolve())


def _parse(name: str, data: bytes) -> tuple[ParsedFile, list[Chunk]]:
    parsed = read_file(name, data)
    return parsed, chunk_sections(parsed.sections)


def _reason(name: str, err: object) -> str:
    """The error message, naming the file once."""
    message = str(err)
    return message if message.startswith(name) else f"{name}: {message}"


def _dominant_language(languages: Iterable[str | None]) -> str | None:
    counts = Counter(lang for lang in languages if lang)
    return counts.most_common(1)[0][0] if counts else None


@asynccontextmanager
async def _document_locks(
    conn: Connection, org_id: uuid.UUID, kb_id: uuid.UUID, keys: Sequence[str]
) -> AsyncIterator[None]:
    """Hold the locks of every key. They are taken in ascending lock-number order, so two runs
    wanting overlapping sets can't wait on each other in a cycle. Waiting is a poll, not a
    blocking call, because the other run may hold a lock for longer than the pool's statement
    timeout (embedding a large file)."""
    held: list[int] = []
    try:
        for lock_id in sorted({knowledge.document_lock_id(org_id, kb_id, key) for key in keys}):
            for attempt in itertools.count():
                if await knowledge.try_lock_document(conn, lock_id):
                    held.append(lock_id)
                    break
                if attempt == 0:
                    log.info("org %s: waiting for another ingest of the same document", org_id)
                await asyncio.sleep(_LOCK_POLL_SECONDS)
        yield
    finally:
        for lock_id in reversed(held):
            await knowledge.unlock_document(conn, lock_id)
