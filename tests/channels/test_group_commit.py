"""Group commit: lone items go at once, concurrent ones share a flush, failures stay local."""

from __future__ import annotations

import asyncio

import pytest

from channels.group_commit import GroupCommitter


class Recorder:
    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.batches: list[list[int]] = []
        self.gate = gate

    async def __call__(self, items):
        self.batches.append(list(items))
        if self.gate is not None:
            await self.gate.wait()
        return [ValueError(f"bad {i}") if i < 0 else i * 10 for i in items]


async def test_a_lone_item_is_flushed_at_once():
    recorder = Recorder()
    committer = GroupCommitter(recorder, max_inflight=1)
    assert await committer.submit([7]) == [70]
    assert recorder.batches == [[7]]


async def test_items_arriving_during_a_flush_share_the_next_one():
    gate = asyncio.Event()
    recorder = Recorder(gate)
    committer = GroupCommitter(recorder, max_inflight=1)
    first = asyncio.create_task(committer.submit([1]))
    await asyncio.sleep(0)  # the first flush starts and waits at the gate
    others = [asyncio.create_task(committer.submit([i])) for i in (2, 3, 4)]
    await asyncio.sleep(0)
    gate.set()
    assert await first == [10]
    assert [await t for t in others] == [[20], [30], [40]]
    assert recorder.batches == [[1], [2, 3, 4]]


async def test_batches_are_capped():
    gate = asyncio.Event()
    recorder = Recorder(gate)
    committer = GroupCommitter(recorder, max_batch=2, max_inflight=1)
    tasks = [asyncio.create_task(committer.submit([i])) for i in range(5)]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*tasks)
    assert all(len(batch) <= 2 for batch in recorder.batches)
    assert sorted(i for batch in recorder.batches for i in batch) == [0, 1, 2, 3, 4]


async def test_a_failed_item_fails_only_its_caller():
    committer = GroupCommitter(Recorder(), max_inflight=1)
    good, bad = await asyncio.gather(
        committer.submit([5]), committer.submit([-1]), return_exceptions=True
    )
    assert good == [50]
    assert isinstance(bad, ValueError)


async def test_a_failed_flush_fails_every_caller_in_it():
    async def broken(items):
        raise ConnectionError("database down")

    committer = GroupCommitter(broken)
    with pytest.raises(ConnectionError):
        await committer.submit([1, 2])
    await committer.aclose()
