"""The storage package's exception tree.

Everything storage raises on purpose derives from :class:`StorageError`; vendor errors
(asyncpg, redis, qdrant-client) are translated where they are caught and chained with
``raise ... from err`` so the original stays visible in tracebacks.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base class for every error raised by the storage layer."""


class NotFound(StorageError):
    """A row that must exist does not (or belongs to another organization)."""

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} not found: {key}")
        self.entity = entity
        self.key = key


class Conflict(StorageError):
    """A write collided with a uniqueness rule (e.g. a duplicate e-mail in one org)."""


class MigrationError(StorageError):
    """Migrations cannot be applied: a bad file, a failed statement, or an edited history."""


class ChecksumMismatch(MigrationError):
    """An already-applied migration file was edited afterwards."""

    def __init__(self, version: int, name: str) -> None:
        super().__init__(
            f"migration {version:04d}_{name} was edited after it was applied "
            "(checksum differs); add a new migration instead of changing an applied one"
        )
        self.version = version
        self.name = name


class EmbeddedServerError(StorageError):
    """An embedded PostgreSQL / Redis-compatible server could not be started."""


class VectorStoreError(StorageError):
    """A Qdrant operation failed."""


class EncryptionError(StorageError):
    """A secret could not be encrypted or decrypted (wrong or missing key)."""
