"""Regressions from the second review: "no problem"-style acknowledgements read as praise
(and autopilot thanked customers for complaints and orders), a span of time after "we need"
read as an ordered quantity (a hot lead), a statement of an HS code read as spam, and a
trade acronym alone detected as Portuguese."""

from __future__ import annotations

import pytest

from agents.classifier.language import UNDETERMINED
from agents.classifier.rules import asks_for_time, orders_a_quantity
from agents.classifier.signals import signals

# --- an acknowledgement is not praise --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("No problem with the order but the box was crushed", "complaint"),
        ("No complaints about price but shipping took 6 weeks", "complaint"),
        ("no problem, send me the invoice", "purchase_intent"),
        ("Sin problema, mándame la factura", "purchase_intent"),
        ("没问题，发货吧", "purchase_intent"),
    ],
)
def test_an_acknowledgement_before_something_else_is_not_praise(classifier, text, category):
    result = classifier.classify(text)
    assert result.category == category
    assert result.sentiment != "positive"


@pytest.mark.parametrize(
    "text",
    [
        "No problem with the order but the box was crushed",
        "no problem, send me the invoice",
        "Sin problema, mándame la factura",
        "没问题，发货吧",
    ],
)
def test_no_problem_adds_no_positive_cue(text):
    assert signals(text).count("positive") == 0


@pytest.mark.parametrize(
    "text",
    [
        "No problem, great service as always!",
        "No complaints, excellent quality and fast delivery",
        "We had no issues, great product",
        "Sin problemas, excelente servicio",
    ],
)
def test_praise_said_after_an_acknowledgement_stays_praise(classifier, text):
    result = classifier.classify(text)
    assert (result.category, result.sentiment) == ("praise", "positive")


@pytest.mark.parametrize("text", ["No problem", "no complaints", "没问题"])
def test_a_bare_acknowledgement_is_neutral_small_talk(classifier, text):
    result = classifier.classify(text)
    assert (result.category, result.sentiment) == ("other", "neutral")


# --- a span of time is not an ordered quantity -------------------------------------------------

ASKING_FOR_TIME = [
    "we need 10 more days to pay",
    "hi, we need 20 extra days",
    "We need 15 working days",
    "I'd need 30 more minutes",
    "necesitamos 10 días hábiles más",
    "我们需要10个工作日",
]


@pytest.mark.parametrize("text", ASKING_FOR_TIME)
def test_time_after_a_count_is_no_quantity(text):
    found = signals(text)
    assert not found.has("ordered", "quantity")
    assert asks_for_time(found)
    assert not orders_a_quantity(found)


@pytest.mark.parametrize("text", ASKING_FOR_TIME)
def test_asking_for_time_is_no_order_and_no_hot_lead(classifier, text):
    result = classifier.classify(text)
    assert result.category in {"question", "other"}
    assert not result.is_hot_lead


def test_asking_for_time_to_pay_is_a_payment_question(classifier):
    result = classifier.classify("we need 10 more days to pay")
    assert (result.category, result.sub_intent) == ("question", "payment")


@pytest.mark.parametrize(
    "text",
    [
        "we need 500 pcs in 10 days",
        "we need 300 more mugs",
        "need 200 vacuum flasks",
        "我要10个",
    ],
)
def test_goods_with_a_deadline_are_still_counted(text):
    found = signals(text)
    assert found.has("ordered", "quantity")
    assert not asks_for_time(found)


# --- trade terms ---------------------------------------------------------------------------------


def test_an_hs_code_statement_is_not_spam(classifier):
    result = classifier.classify("My HS code is 3924")
    assert result.category in {"question", "other"}


@pytest.mark.parametrize("text", ["OEM", "OEM?", "MOQ FOB", "ODM/OEM?"])
def test_a_trade_acronym_alone_has_no_language(classifier, text):
    assert classifier.languages.detect(text) == UNDETERMINED


@pytest.mark.parametrize(
    ("text", "language"),
    [("SI", "es"), ("OUI", "fr"), ("YES", "en"), ("HOLA", "es"), ("OEM available?", "en")],
)
def test_capitalised_words_keep_their_language(classifier, text, language):
    assert classifier.languages.detect(text) == language
