"""Opportunistic group commit: concurrent callers share one round trip.

Callers ``submit`` items and await their own result. When fewer than ``max_inflight``
flushes are running, whatever is waiting goes out at once — so a lone request is never
delayed — and while flushes are busy, new items pile up and leave together in the next one.
Under load, batches grow by themselves; at rest, each item is its own batch.

``flush`` returns one result per item, in order; a result that is an exception is raised
to that item's caller alone (one bad item doesn't fail its neighbours).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommitter(Generic[Item, Result]):
    def __init__(
        self,
        flush: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        *,
        max_batch: int = 256,
        max_inflight: int = 2,
    ) -> None:
        self._flush = flush
        self.max_batch = max_batch
        self.max_inflight = max_inflight
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._inflight = 0
        self._tasks: set[asyncio.Task] = set()

    async def submit(self, items: Sequence[Item]) -> list[Result]:
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in items]
        self._waiting.extend(zip(items, futures, strict=True))
        self._start_flushes()
        return list(await asyncio.gather(*futures))

    def _start_flushes(self) -> None:
        while self._waiting and self._inflight < self.max_inflight:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            self._inflight += 1
            # Keep a reference: a bare create_task may be garbage-collected mid-flight.
            task = asyncio.create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
        except BaseException as err:  # every waiter must hear about it, even on cancel
            for _, future in batch:
                if not future.done():
                    future.set_exception(err)
            if not isinstance(err, Exception):
                raise
        else:
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
        finally:
            self._inflight -= 1
            self._start_flushes()

    async def aclose(self) -> None:
        """Wait for flushes in flight (their callers are owed an answer)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
