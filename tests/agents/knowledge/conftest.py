"""Knowledge tests: sample files, the deterministic test encoder, a local-mode vector store, and
organizations committed through the pool (ingestion commits, so the rolled-back ``conn``
fixture can't hold its rows)."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from agents.knowledge.ingest import Ingestor
from agents.retrieval.embedders import HashingEmbedder
from agents.retrieval.lexical import LexicalEncoder
from storage.models import Organization
from storage.repositories import organizations
from storage.vectors import VectorStore, make_qdrant_client

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kb"


class RecordingEmbedder(HashingEmbedder):
    """The retrieval package's deterministic test embedder, recording the threads it ran on
    so tests can check that ingestion keeps it off the event loop."""

    def __init__(self) -> None:
        super().__init__(dim=64)
        self.threads: set[int] = set()
        self.calls = 0

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.threads.add(threading.get_ident())
        self.calls += 1
        return super().embed_documents(texts)


@pytest.fixture
def embedder() -> RecordingEmbedder:
    return RecordingEmbedder()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[VectorStore]:
    client = make_qdrant_client(url=None, api_key=None, path=tmp_path / "qdrant")
    vectors = VectorStore(client, dense_size=64)
    await vectors.ensure_collections()
    yield vectors
    await vectors.aclose()


@pytest.fixture(scope="session")
def lexical() -> LexicalEncoder:
    """One encoder for the session: each instance loads jieba's dictionary (about a second)."""
    return LexicalEncoder()


@pytest.fixture
def ingestor(pool, store: VectorStore, embedder: RecordingEmbedder, lexical) -> Ingestor:
    return Ingestor(pool, store, embedder, lexical, batch_size=4)


@pytest.fixture
async def make_org(pool):
    async def make(name: str | None = None) -> Organization:
        async with pool.acquire() as conn:
            return await organizations.create(conn, name or f"KB shop {uuid.uuid4().hex[:6]}")

    return make


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A private copy of the sample files, safe to edit."""
    target = tmp_path / "kb"
    shutil.copytree(FIXTURES, target)
    return target


def make_docx(path: Path) -> Path:
    """A Word file with a title, nested headings, paragraphs and a table."""
    import docx

    document = docx.Document()
    document.add_heading("Wholesale terms", level=0)
    document.add_heading("Ordering", level=1)
    document.add_paragraph("The minimum wholesale order is 20 cases.")
    document.add_heading("Payment", level=2)
    document.add_paragraph("We accept bank transfer and PayPal. Invoices are due in 30 days.")
    table = document.add_table(rows=3, cols=2)
    for row, (plan, price) in zip(
        table.rows, [("Plan", "Price"), ("Basic", "10 EUR"), ("Pro", "25 EUR")], strict=True
    ):
        row.cells[0].text, row.cells[1].text = plan, price
    document.save(path)
    return path


def make_xlsx(path: Path) -> Path:
    """A workbook with an FAQ sheet (title row above the header, language and category
    columns), a price sheet that is not an FAQ, and a hidden sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    faq = workbook.active
    faq.title = "FAQ"
    faq.append(["Costa Export FAQ"])  # a title row above the real header
    faq.append(["Pregunta", "Respuesta", "Idioma", "Categoría"])
    faq.append(
        ["¿Cuál es el pedido mínimo?", "El pedido mínimo es de 20 cajas.", "Español", "pedidos"]
    )
    faq.append(["What is the minimum order?", "The minimum order is 20 cases.", "en-GB", None])
    faq.append(["Only a question without answer", None, None, None])
    prices = workbook.create_sheet("Prices")
    prices.append(["product", "price"])
    prices.append(["Olive oil 5 L", 42.5])
    prices.append(["Cheese", 18])
    hidden = workbook.create_sheet("lookup")
    hidden.append(["internal", "do not index"])
    hidden.sheet_state = "hidden"
    workbook.save(path)
    return path
