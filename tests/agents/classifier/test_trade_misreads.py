"""Misreads found by black-box QA (issue 4): terse trade questions read as small talk, orders
that name goods outside the unit list read as "other", and non-words given a language.

The texts here are not training examples (see data/examples.yaml): they check that each class
of error is fixed in general, not that one sentence was memorised.
"""

from __future__ import annotations

import pytest

from agents.classifier import rules
from agents.classifier.language import UNDETERMINED
from agents.classifier.signals import signals


@pytest.mark.parametrize(
    ("text", "sub_intent"),
    [
        ("What's your MOQ?", "moq"),
        ("MOQ?", "moq"),
        ("MOQ", "moq"),
        ("what is the minimum order", "moq"),
        ("whats ur moq", "moq"),
        ("最低起订量?", "moq"),
        ("¿cuál es el pedido mínimo?", "moq"),
        ("Do you ship to Canada?", "shipping"),
        ("price?", "price_inquiry"),
        ("FOB price?", "price_inquiry"),
        ("CIF Hamburg?", "price_inquiry"),
        ("lead time?", "lead_time"),
        ("Can I get a sample?", "sample_request"),
        ("OEM?", "customization"),
        ("Who pays customs?", "trade_terms"),
        ("What is the HS code?", "trade_terms"),
        ("Which Incoterms do you use?", "trade_terms"),
    ],
)
def test_terse_trade_questions_are_questions(classifier, text, sub_intent):
    result = classifier.classify(text)
    assert (result.category, result.sub_intent) == ("question", sub_intent)


@pytest.mark.parametrize(
    "text",
    [
        "We are in Berlin and need 200 vacuum flasks",
        "need 500 units by March",
        "looking for a supplier of 300 mugs",
        "we want 1000 pcs with our logo",
        "Hello, we are a bakery in Paris, we need 400 paper boxes",
        "we're a school in Kenya looking for 200 desks",
    ],
)
def test_orders_naming_any_goods_are_purchase_intent(classifier, text):
    result = classifier.classify(text)
    assert result.category == "purchase_intent"
    assert result.sub_intent == "order"
    assert result.is_hot_lead


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Hi how are you?", "other"),
        ("What's your name?", "other"),
        ("haha ok", "other"),
        ("Buy 10,000 real followers for $19, order now at boost.shop", "spam"),
    ],
)
def test_chat_and_spam_keep_their_class(classifier, text, category):
    assert classifier.classify(text).category == category


def test_a_trade_word_lifts_small_talk_only_when_asked():
    assert rules.category("other", signals("MOQ?"), "MOQ?") == "question"
    assert rules.category("other", signals("HS code"), "HS code") == "question"
    told = "We sent you the HS code yesterday"
    assert rules.category("other", signals(told), told) == "other"
    # Not a question that a link to click makes spam.
    text = "free samples for everyone? get yours at freebies-now.xyz"
    assert rules.category("other", signals(text), text) == "other"


@pytest.mark.parametrize(
    ("text", "ordered"),
    [
        ("We are in Berlin and need 200 vacuum flasks", True),
        ("Necesitamos 150 termos para la tienda", True),
        ("Nous avons besoin de 500 tasses", True),
        ("Precisamos de 250 garrafas térmicas", True),
        ("I want 500", True),
        ("I need 15 minutes, brb", False),
        ("we need 30 days to pay", False),
        ("I want 50% off", False),
        ("I need 2 of them", False),  # one digit: "2 of them" is not a trade quantity
    ],
)
def test_a_buying_verb_and_a_count_is_an_ordered_quantity(text, ordered):
    assert signals(text).has("ordered") is ordered


def test_an_ordered_quantity_lifts_other_but_not_a_question_or_spam():
    lift = "We are in Berlin and need 200 vacuum flasks"
    assert rules.category("other", signals(lift), lift) == "purchase_intent"
    assert rules.sub_intent("purchase_intent", signals(lift), lifted=True) == "order"
    for text in ("Do you need 200?", "buy 5000 followers at growfast.top"):
        assert rules.category("other", signals(text), text) == "other"


@pytest.mark.parametrize(
    "text",
    [
        "x" * 20_000,
        "xxxxx",
        "aaaa bbbb cccc",
        "zzzz zzzz",
        "hhhhhhhhhhhhh!!!",
        "12345 67890",
        "+34 600 111 222",
        "https://example.com/a https://example.org/b",
        "asdfghjkl",
    ],
)
def test_text_without_real_words_has_no_language(classifier, text):
    assert classifier.languages.detect(text) == UNDETERMINED
    assert classifier.classify(text).language == UNDETERMINED


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("x" * 20_000 + " hola, ¿cuánto cuesta el envío?", "es"),
        ("holaaaaaa, ¿cómo estás?", "es"),
        ("wowwwwwwwwwwwwwww thank you so much", "en"),
        ("merci beaucoup !!!!!!!!", "fr"),
        ("你好 xxxxxxxx", "zh"),
    ],
)
def test_non_words_do_not_outvote_real_ones(classifier, text, language):
    assert classifier.languages.detect(text) == language
