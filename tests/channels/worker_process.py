"""A worker process whose handler never finishes: the test kills it with SIGKILL mid-message.

Run as ``python -m tests.channels.worker_process`` with the same environment as the test's stack;
it prints "claimed <message id>" once it holds a message, then hangs.
"""

from __future__ import annotations

import asyncio
import sys

from bot.runtime import open_runtime
from bot.services import open_services
from bot.settings import load_settings


async def main() -> None:
    async def hang(message) -> None:
        sys.stdout.write(f"claimed {message.id}\n")
        sys.stdout.flush()
        await asyncio.Event().wait()

    settings = load_settings()
    async with open_services(settings) as services, open_runtime(services) as runtime:
        await runtime.worker(services, hang).run(asyncio.Event())


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
