"""ClassifierBatcher: concurrent texts share model calls, each with its own org's model."""

from __future__ import annotations

import asyncio
import threading

import pytest

from agents.classifier.base import Classification
from agents.classifier.batching import ClassifierBatcher


class Model:
    """Labels every text with its own name; records the batches it was given."""

    def __init__(self, name: str, *, gate: threading.Event | None = None) -> None:
        self.name, self.gate, self.batches = name, gate, []

    def classify_many(self, texts):
        if self.gate is not None:
            self.gate.wait(5)
        self.batches.append(list(texts))
        return [Classification("question", 0.9, self.name, "neutral") for _ in texts]


async def test_texts_queued_during_a_call_share_the_next_call_by_model():
    gate = threading.Event()
    a, b = Model("a", gate=gate), Model("b")
    batcher = ClassifierBatcher()
    first = asyncio.create_task(batcher.classify(a, "first"))
    await asyncio.sleep(0.05)  # the first call is running (held at the gate)
    rest = [
        asyncio.create_task(batcher.classify(model, text))
        for model, text in [(a, "a1"), (b, "b1"), (a, "a2"), (b, "b2")]
    ]
    await asyncio.sleep(0.05)
    gate.set()
    results = await asyncio.gather(first, *rest)
    assert [r.language for r in results] == ["a", "a", "b", "a", "b"]  # each text, its model
    assert a.batches == [["first"], ["a1", "a2"]] and b.batches == [["b1", "b2"]]
    assert batcher.calls == 2 and batcher.classified == 5


async def test_a_broken_model_fails_only_its_own_texts():
    class Broken:
        def classify(self, text):
            raise ValueError("unreadable model file")

    good = Model("good")
    batcher = ClassifierBatcher()
    results = await asyncio.gather(
        batcher.classify(Broken(), "x"), batcher.classify(good, "y"), return_exceptions=True
    )
    assert isinstance(results[0], ValueError)
    assert results[1].language == "good"
    assert (await batcher.classify(good, "z")).language == "good"  # still running afterwards


async def test_regression_a_model_answering_for_too_few_texts_fails_only_its_own_org():
    class Short(Model):
        def classify_many(self, texts):
            return super().classify_many(texts)[:-1]

    good = Model("good")
    batcher = ClassifierBatcher()
    results = await asyncio.gather(
        batcher.classify(Short("short"), "x"),
        batcher.classify(good, "y"),
        return_exceptions=True,
    )
    assert batcher.calls == 1  # one batch held both orgs' texts
    assert isinstance(results[0], ValueError)
    assert results[1].language == "good"


async def test_a_caller_giving_up_does_not_cancel_the_others():
    gate = threading.Event()
    model = Model("m", gate=gate)
    batcher = ClassifierBatcher()
    leaving = asyncio.create_task(batcher.classify(model, "leaving"))
    staying = asyncio.create_task(batcher.classify(model, "staying"))
    await asyncio.sleep(0.05)
    leaving.cancel()
    gate.set()
    assert (await staying).language == "m"
    with pytest.raises(asyncio.CancelledError):
        await leaving
