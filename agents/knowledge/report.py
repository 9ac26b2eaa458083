"""What an ingest run reports: one result per file, and totals."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Literal

FileStatus = Literal["ingested", "updated", "skipped", "failed"]


@dataclass(frozen=True)
class FileResult:
    """What happened to one file. ``reason`` says why it was skipped or failed."""

    path: str
    status: FileStatus
    document_id: uuid.UUID | None = None
    faqs: int = 0
    chunks: int = 0
    reason: str | None = None


@dataclass
class IngestReport:
    """Per-file results of one ingest run, with totals."""

    results: list[FileResult] = field(default_factory=list)

    def count(self, status: FileStatus) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def faqs(self) -> int:
        return sum(r.faqs for r in self.results)

    @property
    def chunks(self) -> int:
        return sum(r.chunks for r in self.results)

    def as_dict(self) -> dict:
        """A JSON-ready summary (the CLI's ``--json`` output)."""
        return {
            "files": len(self.results),
            **{status: self.count(status) for status in ("ingested", "updated", "skipped")},
            "failed": self.count("failed"),
            "faqs": self.faqs,
            "chunks": self.chunks,
            "results": [
                {**asdict(r), "document_id": str(r.document_id) if r.document_id else None}
                for r in self.results
            ],
        }


Progress = Callable[[FileResult], None]
"""Called after each file with its result (the CLI advances its progress bar)."""

EmbedProgress = Callable[[int, int], None]
"""Called while one file is embedded with (texts done, texts in the file)."""
