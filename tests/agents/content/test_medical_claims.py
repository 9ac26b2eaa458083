"""Medical promises a model (or a merchant's brief) writes about everyday products.

Regression: an LLM caption saying "keeps drinks cold and cures your headaches" passed the
medical rule (its list had no headaches, migraines, flu, insomnia...), as did "alivia el
dolor de cabeza" and "relieves back pain".
"""

from __future__ import annotations

import pytest

from agents.content.checks import check

from .test_checks import CLEAN, caption, ctx


@pytest.mark.parametrize(
    ("sample", "language"),
    [
        ("Keeps drinks cold and cures your headaches!", "en"),
        ("Relieves back pain after one week.", "en"),
        ("Prevents colds and flu all winter.", "en"),
        ("Helps: eliminates insomnia.", "en"),
        ("Alivia el dolor de cabeza en minutos.", "es"),
        ("Previene la gripe y los resfriados.", "es"),
        ("喝了能降血压。", "zh"),
    ],
)
def test_everyday_medical_promises_block(sample, language):
    assert "medical_claim" in {v.rule_code for v in check(caption(sample), ctx(language=language))}


@pytest.mark.parametrize(
    "sample",
    [CLEAN, "Prevents leaks in your bag.", "Treats you to cold water all day.", "Cold drinks."],
)
def test_ordinary_copy_is_no_medical_claim(sample):
    assert "medical_claim" not in {v.rule_code for v in check(caption(sample), ctx())}
