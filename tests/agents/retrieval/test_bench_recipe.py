"""Regression: the retrieval bench copied the embedding recipe (and left out the blank-answer
rule), so bench and production could drift; it now builds its points with points.faq_draft."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path

from agents.retrieval.points import FAQ_DENSE, FAQ_LEXICAL, faq_draft

BENCH_DATA = Path(__file__).parents[3] / "bench" / "retrieval_data.py"


def _bench_data():
    spec = importlib.util.spec_from_file_location("bench_retrieval_data", BENCH_DATA)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_bench_embeds_what_ingestion_embeds_blank_answers_included() -> None:
    data = _bench_data()
    faqs = [
        data.Faq("refund", "en", "Where is my refund?", "Refunds take 5 days."),
        data.Faq("hours", "en", "When are you open?", "  "),  # blank: the question alone
    ]
    drafts = data.drafts_for("kb", faqs, FAQ_DENSE, FAQ_LEXICAL)
    for faq, draft in zip(faqs, drafts, strict=True):
        ingested = faq_draft(uuid.uuid4(), faq.question, faq.answer, language=faq.language)
        assert draft.dense_texts == ingested.dense_texts
        assert draft.lexical_text == ingested.lexical_text
        assert draft.payload["intent"] == faq.intent and draft.payload["question"] == faq.question
    assert drafts[1].dense_texts == ("When are you open?",)
    # The bench's --tune-embedding variants go through the same builder.
    (variant,) = data.drafts_for("kb", faqs[:1], ("question",), "question")
    assert variant.dense_texts == ("Where is my refund?",)
    assert variant.lexical_text == "Where is my refund?"
