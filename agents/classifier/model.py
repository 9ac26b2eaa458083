"""The offline classifier: a trained category model, a language detector and the rules,
behind ``classify(text) -> Classification``.

Train with ``OfflineClassifier.train(rows)`` (seconds on two cores), keep with
``save(path)`` / ``OfflineClassifier.load(path)``. A model file is a short header (magic,
SHA-256 of the payload) and a pickle; ``load`` checks the digest before unpickling and the
format and scikit-learn versions after, and raises :class:`ModelError` for anything it
cannot trust. Model files are ours (written under the data directory); pickle is not a
format to accept from strangers.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from agents.errors import ModelError

from . import rules
from .base import CATEGORIES, Classification
from .corpus import Row, dedupe_key
from .features import build_pipeline
from .language import UNDETERMINED, LanguageDetector
from .signals import signals

log = logging.getLogger(__name__)

FORMAT = "trademate-offline-classifier"
FORMAT_VERSION = 1
MAGIC = b"TRADEMATE-CLASSIFIER\n"
_SKLEARN = ".".join(sklearn.__version__.split(".")[:2])


def _cell_weights(rows: Sequence[Row]) -> np.ndarray:
    """Down-weight crowded (language, category) cells by 1/sqrt(size), so 2,700 English
    questions don't drown 80 Spanish ones; explicit row weights (corrections) multiply in."""
    cells = Counter((r.language, r.category) for r in rows)
    weights = np.array([r.weight / np.sqrt(cells[(r.language, r.category)]) for r in rows])
    return weights / weights.mean()


def _empty() -> Classification:
    # A message with no text (a sticker, a photo) is "other" by definition, not by guess.
    return Classification(
        category="other",
        confidence=1.0,
        language=UNDETERMINED,
        sentiment="neutral",
        sub_intent=None,
        urgency="low",
        scores={c: float(c == "other") for c in CATEGORIES},
    )


class OfflineClassifier:
    """Category, sub-intent, sentiment, language, urgency and hot-lead score of messages."""

    def __init__(
        self,
        pipeline: Any,
        languages: LanguageDetector,
        *,
        version: str,
        overrides: Mapping[str, tuple[str, str | None]] | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.languages = languages
        self.version = version
        # dedupe_key(text) -> (category, sub-intent): what staff corrected is what we answer
        # for that exact text, whatever the model thinks.
        self.overrides = dict(overrides or {})
        self.info = dict(info or {})

    # ------------------------------------------------------------------ training
    @classmethod
    def train(
        cls, rows: Iterable[Row], *, version: str | None = None, prefix: str = "model"
    ) -> OfflineClassifier:
        """Fit on ``rows`` (pass the train split only if you will evaluate on the test
        split). Rows with ``source == "correction"`` also become exact-text overrides."""
        rows = [r for r in rows if r.text.strip()]
        if len({r.category for r in rows}) < 2:
            raise ModelError("cannot train a classifier on fewer than two categories")
        started = time.perf_counter()
        texts = [r.text for r in rows]
        pipeline = build_pipeline()
        try:
            pipeline.fit(
                texts,
                [r.category for r in rows],
                classifier__sample_weight=_cell_weights(rows),
            )
        except ValueError as err:
            raise ModelError(f"training failed: {err}") from err
        languages = LanguageDetector().fit(texts, [r.language for r in rows])
        overrides = {
            dedupe_key(r.text): (r.category, r.sub_intent) for r in rows if r.source == "correction"
        }
        digest = hashlib.sha256()
        for row in rows:
            digest.update(f"{row.category}\t{row.weight}\t{row.text}\n".encode())
        info = {
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "train_size": len(rows),
            "corrections": sum(r.source == "correction" for r in rows),
            "training_seconds": round(time.perf_counter() - started, 2),
            "rows_digest": digest.hexdigest(),
        }
        version = version or f"{prefix}-{digest.hexdigest()[:12]}"
        log.info(
            "trained classifier %s on %d rows in %.1fs",
            version,
            len(rows),
            info["training_seconds"],
        )
        return cls(pipeline, languages, version=version, overrides=overrides, info=info)

    # ------------------------------------------------------------------ classifying
    def classify(self, text: str) -> Classification:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Classification]:
        """Classify a batch (one vectorizer pass: much faster than one call per text)."""
        results: list[Classification | None] = [None] * len(texts)
        todo = [i for i, t in enumerate(texts) if t and t.strip()]
        if todo:
            batch = [texts[i].strip() for i in todo]
            probabilities = self.pipeline.predict_proba(batch)
            classes = [str(c) for c in self.pipeline.classes_]
            languages = self.languages.detect_many(batch)
            for i, text, row, language in zip(todo, batch, probabilities, languages, strict=True):
                raw = {c: 0.0 for c in CATEGORIES}
                raw.update({c: float(p) for c, p in zip(classes, row, strict=True)})
                results[i] = self._finish(text, raw, language)
        return [r if r is not None else _empty() for r in results]

    def _finish(self, text: str, raw: dict[str, float], language: str) -> Classification:
        """``raw``: the model's unrounded probabilities (the ones shown are rounded)."""
        scores = {c: round(p, 4) for c, p in raw.items()}
        found = signals(text)
        predicted = max(raw, key=raw.__getitem__)
        category = rules.category(predicted, found, text)
        lifted = category != predicted
        confidence = scores[category]
        if lifted:
            # A rule overruled the model's top class: the model's probability of the rule's
            # class among the others is the honest figure (not the near-zero raw one). From
            # the unrounded figures (rounded, both can be 0.0 and the ratio noise), clamped so
            # it never shows as 0 or above 1.
            share = raw[category] / max(1e-9, 1.0 - raw[predicted])
            share = rules.lifted_confidence(predicted, category, found, share)
            confidence = round(min(1.0, max(1e-4, share)), 4)
        sub_intent = None
        corrected = self.overrides.get(dedupe_key(text)) if self.overrides else None
        if corrected is not None:
            category, sub_intent = corrected
            confidence, lifted = 1.0, False
        sub_intent = sub_intent or rules.sub_intent(category, found, lifted=lifted)
        mood = rules.sentiment(category, scores, found)
        hot, score, _ = rules.lead(category, scores, found)
        return Classification(
            category=category,  # type: ignore[arg-type]
            confidence=confidence,
            language=language,
            sentiment=mood,
            sub_intent=sub_intent,
            urgency=rules.urgency(category, mood, found),
            is_hot_lead=hot,
            lead_score=score,
            scores=scores,
        )

    # ------------------------------------------------------------------ files
    def save(self, path: Path) -> None:
        """Write atomically (temp file + rename): a reader never sees half a model."""
        payload = pickle.dumps(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "sklearn": _SKLEARN,
                "version": self.version,
                "pipeline": self.pipeline,
                "languages": self.languages,
                "overrides": self.overrides,
                "info": self.info,
            },
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        digest = hashlib.sha256(payload).hexdigest().encode("ascii")
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with draft.open("wb") as handle:
            handle.write(MAGIC + digest + b"\n" + payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(draft, path)

    @classmethod
    def load(cls, path: Path) -> OfflineClassifier:
        try:
            blob = Path(path).read_bytes()
        except OSError as err:
            raise ModelError(f"cannot read classifier model {path}: {err}") from err
        header_end = len(MAGIC) + 65
        if not blob.startswith(MAGIC) or len(blob) < header_end:
            raise ModelError(f"{path} is not a TradeMate classifier model")
        digest, payload = blob[len(MAGIC) : header_end - 1], blob[header_end:]
        if hashlib.sha256(payload).hexdigest().encode("ascii") != digest:
            raise ModelError(f"{path} is corrupt (checksum mismatch)")
        try:
            data = pickle.loads(payload)  # noqa: S301 - our own file, checksum verified
        except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError) as err:
            raise ModelError(f"{path} was written by incompatible code: {err}") from err
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelError(f"{path} is not a TradeMate classifier model")
        if data.get("format_version") != FORMAT_VERSION or data.get("sklearn") != _SKLEARN:
            raise ModelError(
                f"{path} is format {data.get('format_version')} / scikit-learn "
                f"{data.get('sklearn')}; this code needs {FORMAT_VERSION} / {_SKLEARN}: retrain"
            )
        return cls(
            data["pipeline"],
            data["languages"],
            version=data["version"],
            overrides=data["overrides"],
            info=data["info"],
        )
