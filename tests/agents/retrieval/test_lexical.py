"""The lexical encoder: tokenization per script, stable hashing, and the sparse weights."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from agents.retrieval.lexical import LexicalEncoder, fold_accents, term_index

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = [
    "How long does SHIPPING to Mexico take?",
    "¿Cuánto tarda el envío a México?",
    "我的卡还没有到，怎么查快递？",
    "PIN码 blocked after 3 tries",
]


def test_english_is_lowercased_stopword_filtered_and_plural_stripped() -> None:
    tokens = LexicalEncoder().tokens("How do I track the SHIPPING of my Orders?")
    assert tokens == ["track", "shipping", "order"]


def test_spanish_is_accent_folded() -> None:
    tokens = LexicalEncoder().tokens("¿Cuánto tarda el envío de las tarjetas?")
    assert tokens == ["cuanto", "tarda", "envio", "tarjeta"]
    assert fold_accents("transferência") == "transferencia"


def test_chinese_gets_jieba_words_and_character_bigrams() -> None:
    tokens = LexicalEncoder().tokens("我的快递还没有到")
    words = [t for t in tokens if not t.startswith("\u2016")]
    bigrams = [t[1:] for t in tokens if t.startswith("\u2016")]
    assert "快递" in words and "没有" in words
    assert "的" not in words and "我" not in words  # stop words
    assert bigrams == ["我的", "的快", "快递", "递还", "还没", "没有", "有到"]


def test_mixed_scripts_split_at_the_script_boundary() -> None:
    tokens = LexicalEncoder().tokens("PIN码")
    assert tokens == ["pin", "码"]


def test_switches_change_the_chinese_terms() -> None:
    text = "退款多久到账"
    assert not any(t.startswith("\u2016") for t in LexicalEncoder(han_bigrams=False).tokens(text))
    no_words = LexicalEncoder(han_words=False).tokens(text)
    assert no_words and all(t.startswith("\u2016") for t in no_words)


def test_encoding_is_deterministic_and_sorted() -> None:
    encoder = LexicalEncoder()
    for text in SAMPLES:
        first, second = encoder.encode_document(text), LexicalEncoder().encode_document(text)
        assert first == second
        assert first.indices == sorted(set(first.indices))
        assert all(0 <= i < 2**31 for i in first.indices)


def test_query_weights_are_binary_and_document_weights_saturate() -> None:
    encoder = LexicalEncoder()
    query = encoder.encode_query("refund refund refund policy")
    assert query.values == [1.0, 1.0]
    document = encoder.encode_document("refund refund refund policy")
    weights = dict(zip(document.indices, document.values, strict=True))
    refund, policy = weights[term_index("refund")], weights[term_index("policy")]
    assert policy < refund < 3 * policy  # more occurrences count, with diminishing returns
    raw = LexicalEncoder(k1=None).encode_document("refund refund refund policy")
    assert sorted(raw.values) == [1.0, 3.0]


def test_stop_words_only_give_an_empty_vector() -> None:
    assert LexicalEncoder().encode_query("the of and 的 吗").indices == []
    assert LexicalEncoder().encode_document("").indices == []


def test_hashing_is_identical_in_another_process_with_another_hash_seed() -> None:
    """The index is built by one process and queried by another: hash() would differ."""
    encoder = LexicalEncoder()
    here = [encoder.encode_document(text).indices for text in SAMPLES]
    script = (
        "import json, sys\n"
        "from agents.retrieval.lexical import LexicalEncoder\n"
        "e = LexicalEncoder()\n"
        "print(json.dumps([e.encode_document(t).indices for t in json.loads(sys.argv[1])]))\n"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", script, json.dumps(SAMPLES)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
        assert json.loads(out.stdout) == here
