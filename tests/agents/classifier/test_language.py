"""Language detection on the short texts chat messages are."""

from __future__ import annotations

import pytest

from agents.classifier.language import script_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hola", "es"),
        ("gracias", "es"),
        ("precio?", "es"),
        ("¿Cuánto cuesta?", "es"),
        ("¿Tienen envío a Lima?", "es"),
        ("thanks", "en"),
        ("hello there", "en"),
        ("price?", "en"),
        ("do you ship to Canada", "en"),
        ("你好", "zh"),
        ("好的", "zh"),
        ("多少钱", "zh"),
        ("OK好的", "zh"),
        ("iPhone 15 多少钱？", "zh"),
        ("obrigado!", "pt"),
        ("Vocês entregam em Portugal?", "pt"),
        ("merci beaucoup", "fr"),
        ("Vous livrez en Belgique ?", "fr"),
        ("こんにちは", "ja"),
        ("안녕하세요", "ko"),
        ("Привет", "ru"),
        ("👍", "und"),
        ("12345", "und"),
        ("ok", "und"),
        ("https://bit.ly/x7Gh2", "und"),
    ],
)
def test_short_texts(classifier, text, language):
    assert classifier.languages.detect(text) == language
    assert classifier.classify(text).language == language


def test_pure_chinese_is_not_japanese():
    # Regression: a script rule once matched "no kana among the non-Han letters" as Japanese.
    assert script_language("我想订购五百个") == "zh"
    assert script_language("東京に行きたい") == "ja"


def test_no_letters_has_no_script():
    assert script_language("123 !!! 👍") is None
    assert script_language("hello") == "latin"
