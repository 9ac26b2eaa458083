"""QueryEncoder: one model call per distinct text, concurrent texts batched, errors delivered."""

from __future__ import annotations

import asyncio
import threading

import pytest

from agents.retrieval.embedders import HashingEmbedder
from agents.retrieval.queries import QueryEncoder


class RecordingEmbedder(HashingEmbedder):
    """HashingEmbedder that records every model call and can hold the first one."""

    def __init__(self) -> None:
        super().__init__(dim=16)
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.release.set()

    def embed_query(self, text: str) -> list[float]:
        self.release.wait(5)
        if text == "boom":
            raise RuntimeError("engine failed")
        return super().embed_query(text)

    def embed_queries(self, texts):
        self.batches.append(list(texts))
        return [super(RecordingEmbedder, self).embed_query(t) for t in texts]


async def test_concurrent_texts_are_batched_and_repeats_embedded_once() -> None:
    embedder = RecordingEmbedder()
    encoder = QueryEncoder(embedder)
    embedder.release.clear()  # the first call waits, so the others queue up behind it
    first = asyncio.create_task(encoder.dense("first"))
    await asyncio.sleep(0.05)
    texts = ["price of BTL-500?", "shipping to Spain", "price of BTL-500?", "发货要多久"]
    others = [asyncio.create_task(encoder.dense(t)) for t in texts]
    await asyncio.sleep(0.05)
    embedder.release.set()
    vectors = await asyncio.gather(first, *others)

    # "first" alone, then the three distinct waiting texts in one batch.
    assert encoder.calls == 2 and encoder.embedded == 4
    assert embedder.batches == [["price of BTL-500?", "shipping to Spain", "发货要多久"]]
    assert vectors[1] == vectors[3] == embedder.embed_query("price of BTL-500?")
    assert vectors[0] == embedder.embed_query("first")

    again = await encoder.dense("shipping to Spain")  # cached: no model call
    assert again == vectors[2] and encoder.calls == 2


async def test_a_failed_embedding_reaches_its_callers_and_is_not_cached() -> None:
    encoder = QueryEncoder(RecordingEmbedder())
    with pytest.raises(RuntimeError, match="engine failed"):
        await encoder.dense("boom")
    with pytest.raises(RuntimeError, match="engine failed"):
        await encoder.dense("boom")
    assert encoder.calls == 2
    assert len(await encoder.dense("fine")) == 16


async def test_the_cache_keeps_only_the_most_recent_texts() -> None:
    encoder = QueryEncoder(RecordingEmbedder(), cache_size=2)
    for text in ("a", "b", "a", "c", "a"):  # "b" is the least recently used when "c" arrives
        await encoder.dense(text)
    assert encoder.calls == 3
    await encoder.dense("b")
    assert encoder.calls == 4


async def test_passages_use_embed_documents_and_are_cached_apart_from_queries() -> None:
    class Passages(RecordingEmbedder):
        def embed_documents(self, texts):
            self.batches.append(["passage:", *texts])
            return [[1.0] + [0.0] * 15 for _ in texts]

    embedder = Passages()
    encoder = QueryEncoder(embedder)
    first = await encoder.passages(["Needs 500 pcs", "Based in Madrid"])
    again = await encoder.passages(["Needs 500 pcs"])  # another customer, same fact
    query = await encoder.dense("Needs 500 pcs")
    assert embedder.batches[0][0] == "passage:" and set(embedder.batches[0][1:]) == {
        "Needs 500 pcs",
        "Based in Madrid",
    }
    assert first[0] == again[0] == [1.0] + [0.0] * 15
    assert query == embedder.embed_query("Needs 500 pcs") != first[0]
    assert encoder.calls == 2  # both passages in one call, then the query


async def test_a_text_asked_for_as_the_last_runner_finishes_is_still_embedded():
    """Regression: a runner left ``_runners`` only in its done-callback, one loop step after
    it saw the queue empty; a text queued in between started no runner and waited forever."""
    encoder = QueryEncoder(RecordingEmbedder(), parallel=1)
    asked: list = []

    def ask_in_the_gap(_: asyncio.Future) -> None:
        # Runs after the runner set the first vector and finished, before its done-callbacks.
        coro = encoder.dense("second")
        coro.send(None)  # up to its wait: queues the text and starts a runner if none runs
        asked.append((coro, encoder._pending[(True, "second")]))

    first = asyncio.ensure_future(encoder.dense("first"))
    await asyncio.sleep(0)
    encoder._pending[(True, "first")].add_done_callback(ask_in_the_gap)
    await first
    [(coro, second)] = asked
    assert await asyncio.wait_for(asyncio.shield(second), 5) is not None
    coro.close()
