"""Stored files (``media_files``): quote PDFs and other generated media, kept in PostgreSQL so
every web process can serve every file. Reads are org-scoped; a missing file is ``NotFound``.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from ..db import Connection
from ..errors import NotFound
from ..models import Row


class MediaFile(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    kind: str
    file_name: str
    mime_type: str
    content: bytes
    size_bytes: int
    sha256: str
    created_at: datetime


async def store_file(
    conn: Connection,
    org_id: uuid.UUID,
    *,
    kind: str,
    file_name: str,
    mime_type: str,
    content: bytes,
) -> uuid.UUID:
    return await conn.fetchval(
        """
        INSERT INTO media_files (org_id, kind, file_name, mime_type, content, size_bytes, sha256)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING id
        """,
        org_id,
        kind,
        file_name,
        mime_type,
        content,
        len(content),
        hashlib.sha256(content).hexdigest(),
    )


async def get_file(conn: Connection, org_id: uuid.UUID, file_id: uuid.UUID) -> MediaFile:
    record = await conn.fetchrow(
        "SELECT * FROM media_files WHERE org_id = $1 AND id = $2", org_id, file_id
    )
    if record is None:
        raise NotFound("media file", file_id)
    return MediaFile.from_record(record)
