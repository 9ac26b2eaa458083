"""Ingestion into real PostgreSQL and a local-mode Qdrant: rows, points, status, idempotent
re-ingest, replacement, per-file failures, concurrency and org isolation."""

from __future__ import annotations

import asyncio
import threading
import uuid
from pathlib import Path

from agents.knowledge.ingest import Ingestor, discover
from storage.repositories import knowledge
from storage.vectors import CollectionKind, VectorStore

from .conftest import RecordingEmbedder, make_docx, make_xlsx

KNOWLEDGE = CollectionKind.KNOWLEDGE


async def points_of(store: VectorStore, org_id: uuid.UUID, ids) -> list:
    """The org's points among ``ids`` (retrieve can't cross orgs: filter on the store's side)."""
    records = await store._client.retrieve(
        store.collection_name(KNOWLEDGE), [str(i) for i in ids], with_payload=True
    )
    return [r for r in records if r.payload["org_id"] == str(org_id)]


async def rows(pool, org_id: uuid.UUID):
    async with pool.acquire() as conn:
        documents = await knowledge.list_documents(conn, org_id)
        faqs = await knowledge.list_faqs(conn, org_id)
        chunks = [c for d in documents for c in await knowledge.list_chunks(conn, org_id, d.id)]
    return documents, faqs, chunks


async def test_a_folder_becomes_documents_faqs_chunks_and_points(
    pool, store, ingestor: Ingestor, make_org, kb_dir: Path, embedder: RecordingEmbedder
) -> None:
    make_docx(kb_dir / "terms.docx")
    make_xlsx(kb_dir / "catalog.xlsx")
    (kb_dir / ".hidden.md").write_text("# not me\n\nhidden", encoding="utf-8")
    org = await make_org()
    seen = []

    report = await ingestor.ingest_path(org.id, kb_dir, progress=seen.append)

    assert report.count("failed") == 0, report.failed
    assert len(report.results) == 8 == len(seen)  # 6 samples + docx + xlsx, not .hidden.md
    assert report.count("ingested") == 8
    documents, faqs, chunks = await rows(pool, org.id)
    assert {d.status for d in documents} == {"ready"}
    assert all(d.processed_at and d.content_hash and d.error is None for d in documents)
    assert report.faqs == len(faqs) == 4 + 2 + 2 + 2  # faq.csv, zh, es, the xlsx FAQ sheet
    assert report.chunks == len(chunks) == sum(d.chunk_count for d in documents)
    assert await store.count(org.id, KNOWLEDGE) == len(faqs) + len(chunks)
    # Each row names its point; each point carries the payload the retriever reads.
    faq = next(f for f in faqs if f.question == "How long does shipping take?")
    assert faq.vector_id == faq.id and faq.language == "en" and faq.category == "shipping"
    (point,) = await points_of(store, org.id, [faq.vector_id])
    assert point.payload == {
        "source_kind": "faq",
        "row_id": str(faq.id),
        "question": faq.question,
        "answer": faq.answer,
        "language": "en",
        "document_id": str(faq.document_id),
        "org_id": str(org.id),
    }
    guide = next(d for d in documents if d.title == "Store guide")
    guide_chunks = [c for c in chunks if c.document_id == guide.id]
    assert [c.heading for c in guide_chunks][:2] == [None, "Shipping > Rates"]
    (chunk_point,) = await points_of(store, org.id, [guide_chunks[1].vector_id])
    assert chunk_point.payload["source_kind"] == "chunk"
    assert chunk_point.payload["row_id"] == str(guide_chunks[1].id)
    assert chunk_point.payload["document_id"] == str(guide.id)
    assert chunk_point.payload["title"] == "Store guide > Shipping > Rates"  # title + section
    assert chunk_point.payload["text"] == guide_chunks[1].text
    assert chunk_point.payload["ord"] == 1
    assert set(chunk_point.payload) == {
        "source_kind",
        "row_id",
        "document_id",
        "title",
        "text",
        "ord",
        "language",
        "org_id",
    }
    pdf = next(d for d in documents if d.mime_type == "application/pdf")
    # The parsed file's metadata, and the vector space its points were embedded in.
    assert pdf.title == "Shipping policy"
    assert pdf.metadata == {"pages": 2, "vectors": embedder.name, "reader_version": 1}
    # The model ran in worker threads, never on the event loop's thread.
    assert embedder.threads and threading.get_ident() not in embedder.threads


async def test_reingesting_unchanged_files_skips_them(
    pool, store, ingestor: Ingestor, make_org, kb_dir: Path, embedder: RecordingEmbedder
) -> None:
    org = await make_org()
    await ingestor.ingest_path(org.id, kb_dir)
    before = await rows(pool, org.id)
    calls = embedder.calls

    again = await ingestor.ingest_path(org.id, kb_dir)

    assert {r.status for r in again.results} == {"skipped"}
    assert {r.reason for r in again.results} == {"unchanged"}
    assert embedder.calls == calls  # nothing re-embedded
    assert await rows(pool, org.id) == before
    assert await store.count(org.id, KNOWLEDGE) == len(before[1]) + len(before[2])


async def test_a_changed_file_replaces_its_rows_and_points(
    pool, store, ingestor: Ingestor, make_org, kb_dir: Path
) -> None:
    org = await make_org()
    faq_file = kb_dir / "faq.csv"
    first = await ingestor.ingest_path(org.id, faq_file)
    async with pool.acquire() as conn:
        old = await knowledge.list_faqs(conn, org.id)
    faq_file.write_text(
        "question,answer\nDo you ship to Canada?,Yes, in 7 to 10 days.\n", encoding="utf-8"
    )

    second = await ingestor.ingest_path(org.id, faq_file)

    (result,) = second.results
    assert result.status == "updated" and result.faqs == 1
    assert result.document_id == first.results[0].document_id  # same document, new content
    async with pool.acquire() as conn:
        (new,) = await knowledge.list_faqs(conn, org.id)
        document = await knowledge.get_document(conn, org.id, result.document_id)
    assert new.question == "Do you ship to Canada?"
    assert document.status == "ready" and document.size_bytes == faq_file.stat().st_size
    assert await points_of(store, org.id, [f.vector_id for f in old]) == []  # old points gone
    assert len(await points_of(store, org.id, [new.vector_id])) == 1
    assert await store.count(org.id, KNOWLEDGE) == 1


async def test_the_same_bytes_under_another_path_are_not_indexed_twice(
    pool, store, ingestor: Ingestor, make_org, kb_dir: Path
) -> None:
    org = await make_org()
    await ingestor.ingest_path(org.id, kb_dir / "faq.csv")
    copy = kb_dir / "copy-of-faq.csv"
    copy.write_bytes((kb_dir / "faq.csv").read_bytes())

    (result,) = (await ingestor.ingest_path(org.id, copy)).results

    assert result.status == "skipped"
    assert result.reason == f"same content as {kb_dir / 'faq.csv'}"
    assert await store.count(org.id, KNOWLEDGE) == 4


async def test_one_bad_file_fails_alone_and_its_status_says_why(
    pool, store, ingestor: Ingestor, make_org, kb_dir: Path
) -> None:
    org = await make_org()
    broken = kb_dir / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 truncated nonsense")
    files = [kb_dir / "faq.csv", broken, kb_dir / "missing.md", kb_dir / "notes.rtf"]
    (kb_dir / "notes.rtf").write_text("{\\rtf1}", encoding="ascii")

    report = await ingestor.ingest_files(org.id, files)

    assert [r.status for r in report.results] == ["ingested", "failed", "failed", "failed"]
    assert "not a readable PDF" in report.results[1].reason
    assert report.results[2].reason.startswith(f"{kb_dir / 'missing.md'}: cannot read")
    assert "unsupported file type '.rtf'" in report.results[3].reason
    documents, faqs, _ = await rows(pool, org.id)
    by_path = {Path(d.source_path).name: d for d in documents}
    assert set(by_path) == {"faq.csv", "broken.pdf"}  # unreadable paths leave no row
    assert by_path["faq.csv"].status == "ready" and len(faqs) == 4
    assert by_path["broken.pdf"].status == "failed"
    assert "not a readable PDF" in by_path["broken.pdf"].error

    # Fixed and re-ingested: the same document row becomes ready.
    broken.write_bytes((kb_dir / "shipping.pdf").read_bytes())
    (retry,) = (await ingestor.ingest_files(org.id, [broken])).results
    assert retry.status == "ingested" and retry.document_id == by_path["broken.pdf"].id
    async with pool.acquire() as conn:
        fixed = await knowledge.get_document(conn, org.id, retry.document_id)
    assert (fixed.status, fixed.error) == ("ready", None)


class ExplodingEmbedder(RecordingEmbedder):
    def embed_documents(self, texts):
        if any("Saffron" in t for t in texts):
            raise RuntimeError("model crashed")
        return super().embed_documents(texts)


async def test_files_indexed_in_another_vector_space_are_embedded_again(
    pool, store, ingestor: Ingestor, make_org, kb_dir: Path, lexical
) -> None:
    # Regression: centering changed what stored vectors mean; an unchanged file indexed before
    # must not be skipped, or its old vectors would be searched with new-style questions.
    org = await make_org()
    await ingestor.ingest_path(org.id, kb_dir)

    class NewModel(RecordingEmbedder):
        name = "another-model"

    newer = NewModel()
    again = await Ingestor(pool, store, newer, lexical).ingest_path(org.id, kb_dir)

    assert {r.status for r in again.results} == {"updated"}
    assert newer.calls > 0
    documents, faqs, chunks = await rows(pool, org.id)
    assert {d.metadata["vectors"] for d in documents} == {"another-model"}
    assert await store.count(org.id, KNOWLEDGE) == len(faqs) + len(chunks)  # old points gone
    third = await Ingestor(pool, store, NewModel(), lexical).ingest_path(org.id, kb_dir)
    assert {r.reason for r in third.results} == {"unchanged"}


async def test_an_embedder_crash_fails_that_file_only(
    pool, store, make_org, kb_dir: Path, lexical
) -> None:
    org = await make_org()
    ingestor = Ingestor(pool, store, ExplodingEmbedder(), lexical)
    report = await ingestor.ingest_files(org.id, [kb_dir / "price_list.csv", kb_dir / "guide.md"])
    assert [r.status for r in report.results] == ["failed", "ingested"]
    assert "RuntimeError: model crashed" in report.results[0].reason
    assert await store.count(org.id, KNOWLEDGE) == report.results[1].chunks


class GatedEmbedder(RecordingEmbedder):
    """Blocks in embed_documents until released, so a test can look at an ingest mid-way."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def embed_documents(self, texts):
        self.entered.set()
        assert self.release.wait(10)
        return super().embed_documents(texts)


async def test_status_is_processing_while_embedding(
    pool, store, make_org, kb_dir: Path, lexical
) -> None:
    org = await make_org()
    gated = GatedEmbedder()
    ingestor = Ingestor(pool, store, gated, lexical)
    task = asyncio.ensure_future(ingestor.ingest_path(org.id, kb_dir / "guide.md"))
    try:
        assert await asyncio.to_thread(gated.entered.wait, 10)
        documents, _, _ = await rows(pool, org.id)
        assert [d.status for d in documents] == ["processing"]
    finally:
        gated.release.set()
    (result,) = (await task).results
    assert result.status == "ingested"


async def test_concurrent_ingests_of_the_same_files_do_not_double_rows(
    pool, store, make_org, kb_dir: Path, lexical
) -> None:
    org = await make_org()
    make_xlsx(kb_dir / "catalog.xlsx")
    files = discover([kb_dir])
    one = Ingestor(pool, store, RecordingEmbedder(), lexical, batch_size=2)
    two = Ingestor(pool, store, RecordingEmbedder(), lexical, batch_size=2)

    first, second = await asyncio.gather(
        one.ingest_files(org.id, files), two.ingest_files(org.id, list(reversed(files)))
    )

    for path in files:
        statuses = sorted(r.status for r in first.results + second.results if r.path == str(path))
        assert statuses == ["ingested", "skipped"], path
    documents, faqs, chunks = await rows(pool, org.id)
    assert len(documents) == len(files)
    assert len(faqs) == 4 + 2 + 2 + 2
    assert await store.count(org.id, KNOWLEDGE) == len(faqs) + len(chunks)


async def test_org_b_sees_nothing_of_org_a(
    pool, store, ingestor: Ingestor, make_org, kb_dir: Path, embedder: RecordingEmbedder
) -> None:
    org_a, org_b = await make_org(), await make_org()
    await ingestor.ingest_path(org_a.id, kb_dir)

    documents, faqs, chunks = await rows(pool, org_b.id)
    assert (documents, faqs, chunks) == ([], [], [])
    assert await store.count(org_b.id, KNOWLEDGE) == 0
    query = embedder.embed_query("How long does shipping take?")
    assert await store.search_dense(org_b.id, KNOWLEDGE, query) == []
    faqs_only = {"source_kind": "faq"}
    assert await store.search_dense(org_b.id, KNOWLEDGE, query, where=faqs_only) == []
    (best, *_) = await store.search_dense(org_a.id, KNOWLEDGE, query, where=faqs_only)
    assert best.payload["question"] == "How long does shipping take?"
    # The same bytes are new to org B: indexed for B, not skipped as A's.
    report = await ingestor.ingest_path(org_b.id, kb_dir / "faq.csv")
    assert report.results[0].status == "ingested"
    async with pool.acquire() as conn:
        assert len(await knowledge.list_faqs(conn, org_b.id)) == 4
        assert len(await knowledge.list_faqs(conn, org_a.id)) == 4 + 2 + 2


async def test_knowledge_bases_are_separate(pool, ingestor: Ingestor, make_org, kb_dir) -> None:
    org = await make_org()
    await ingestor.ingest_path(org.id, kb_dir / "faq.csv")
    report = await ingestor.ingest_path(org.id, kb_dir / "faq.csv", knowledge_base="wholesale")
    assert report.results[0].status == "ingested"
    documents, _, _ = await rows(pool, org.id)
    assert len({d.knowledge_base_id for d in documents}) == 2


async def test_embedding_progress_is_reported_per_batch_within_a_file(
    pool, store, embedder: RecordingEmbedder, lexical, make_org, tmp_path: Path
) -> None:
    # A long document: the CLI's second bar must move while it embeds, not only after it.
    doc = tmp_path / "long.md"
    doc.write_text(
        "\n\n".join(f"## Part {i}\n\n" + f"Paragraph {i} about bottles. " * 60 for i in range(12)),
        encoding="utf-8",
    )
    calls: list[tuple[int, int]] = []
    ingestor = Ingestor(
        pool, store, embedder, lexical, batch_size=4, embedded=lambda *c: calls.append(c)
    )
    org = await make_org()

    (result,) = (await ingestor.ingest_files(org.id, [doc])).results

    assert result.status == "ingested" and result.chunks >= 9
    total = result.chunks
    assert [c[1] for c in calls] == [total] * len(calls)
    assert [c[0] for c in calls] == [min(n, total) for n in range(4, total + 4, 4)]


async def test_a_file_read_by_an_older_reader_is_read_again_though_unchanged(
    pool, ingestor: Ingestor, make_org, tmp_path: Path
) -> None:
    # Before reader version 2 "Customer question"/"Our answer" was not an FAQ header: the
    # file became a text chunk, and "unchanged" must not keep it that way after an upgrade.
    faq = tmp_path / "faq.csv"
    faq.write_text("Customer question,Our answer\nDo you ship to Peru?,Yes.\n", encoding="utf-8")
    org = await make_org()
    (first,) = (await ingestor.ingest_files(org.id, [faq])).results
    assert (first.status, first.faqs) == ("ingested", 1)
    (same,) = (await ingestor.ingest_files(org.id, [faq])).results
    assert same.status == "skipped"
    async with pool.acquire() as conn:  # as an older version of the CSV reader left it
        await conn.execute(
            "UPDATE documents SET metadata = metadata - 'reader_version' WHERE id = $1",
            first.document_id,
        )

    (again,) = (await ingestor.ingest_files(org.id, [faq])).results

    assert (again.status, again.faqs) == ("updated", 1)
    (skipped,) = (await ingestor.ingest_files(org.id, [faq])).results
    assert skipped.status == "skipped"
