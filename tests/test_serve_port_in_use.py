"""``trademate serve`` on a port another process holds: a one-line error and exit 1, not an
ExceptionGroup traceback from the role task group."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import trademate

pytestmark = pytest.mark.slow


async def test_port_in_use_is_a_clear_error(cli_env):
    assert trademate(cli_env, "migrate").returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = trademate(
            cli_env, "serve", "--role", "web", "--host", "127.0.0.1", "--port", str(port)
        )
    assert result.returncode == 1
    assert f"web role cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
