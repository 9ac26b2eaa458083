"""Classifying concurrent messages together: one model call for whatever is waiting.

The worker handles several messages at once, and the offline classifier's cost is mostly per
call, not per text: one vectorizer pass and one ``predict_proba`` over a batch. Measured on this
2-core machine: ~2.7 ms for one text alone, ~3,500 texts/s in batches. So
:class:`ClassifierBatcher` runs at most one classification call at a time; texts that arrive
while it runs are classified together in the next call (no added wait: a batch is whatever
queued up during the previous one, as :class:`agents.retrieval.queries.QueryEncoder` does for
embeddings).

Each waiting text carries the classifier its org uses (``ClassifierSource.for_org``): one call
groups the texts by classifier, so an org with its own retrained model is never classified by
another org's model. A model with ``classify_many`` gets its group in one call; any other
``classify(text)`` is called per text, in the same worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from .base import Classification

log = logging.getLogger(__name__)


class _Classifier(Protocol):
    def classify(self, text: str) -> Classification: ...


class ClassifierBatcher:
    """``classifier.classify(text)`` for async callers, batched across concurrent callers."""

    def __init__(self, *, max_batch: int = 64) -> None:
        self._max_batch = max_batch
        self._queue: list[tuple[_Classifier, str, asyncio.Future[Classification]]] = []
        self._runner: asyncio.Task[None] | None = None
        self.calls = 0  # thread calls made (for the benchmark and tests)
        self.classified = 0  # texts classified by them

    async def classify(self, classifier: _Classifier, text: str) -> Classification:
        future: asyncio.Future[Classification] = asyncio.get_running_loop().create_future()
        self._queue.append((classifier, text, future))
        if self._runner is None:
            self._runner = asyncio.create_task(self._run())
            # Also for a runner cancelled before its first step (its finally never runs).
            self._runner.add_done_callback(self._forget)
        # shield: a caller giving up must not cancel the batch others are waiting on
        return await asyncio.shield(future)

    async def _run(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
                try:
                    results = await asyncio.to_thread(self._classify, batch)
                except Exception as err:  # noqa: BLE001 - e.g. no thread to run in
                    results = [err] * len(batch)
                for (_, _, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            # In the same step that saw the queue empty (see QueryEncoder._run): a text
            # queued after this point starts a new runner.
            self._runner = None

    def _forget(self, runner: asyncio.Task[None]) -> None:
        if self._runner is runner:
            self._runner = None

    def _classify(
        self, batch: Sequence[tuple[_Classifier, str, Any]]
    ) -> list[Classification | Exception]:
        """Each text's classification, or the error its classifier raised (a broken model
        fails its own org's texts, not the others' in the same batch)."""
        self.calls += 1
        self.classified += len(batch)
        groups: dict[int, tuple[_Classifier, list[int]]] = {}
        for i, (classifier, _, _) in enumerate(batch):
            groups.setdefault(id(classifier), (classifier, []))[1].append(i)
        results: list[Classification | Exception] = [None] * len(batch)  # type: ignore[list-item]
        for classifier, positions in groups.values():
            texts = [batch[i][1] for i in positions]
            many = getattr(classifier, "classify_many", None)
            try:
                found = many(texts) if many is not None else [classifier.classify(t) for t in texts]
                # Checked here, not by the zip below: a model answering for the wrong number
                # of texts fails its own org's texts, not the whole batch.
                if len(found) != len(texts):
                    raise ValueError(f"{len(found)} classifications for {len(texts)} texts")
            except Exception as err:  # noqa: BLE001 - handed to this group's callers
                found = [err] * len(texts)
            for i, result in zip(positions, found, strict=True):
                results[i] = result
        return results
