"""Regressions of three classifier rules on real traffic (review of 8734d40..HEAD): negation
that reached across a comma turned praise into complaints, any website next to a trade word
turned a supplier's pitch into a hot lead, and any "if" with a question turned a reported
breakage into a calm question."""

from __future__ import annotations

import pytest

from agents.classifier.rules import (
    LIFTED_LEAD_CONFIDENCE,
    asks_about_a_condition,
    business_lead,
    category,
    lifted_confidence,
)
from agents.classifier.signals import URL, signals

# --- negation ends at the clause ------------------------------------------------------------
PRAISE_AFTER_A_NEGATED_WORD = [
    "No problem, great service as always!",
    "No complaints, excellent quality and fast delivery",
    "We had no issues, great product",
    "No regrets, great purchase",
    "Sin problemas, excelente servicio",
]


@pytest.mark.parametrize("text", PRAISE_AFTER_A_NEGATED_WORD)
def test_a_negator_does_not_reach_past_a_comma(text):
    found = signals(text)
    assert found.count("negative") == 0
    assert found.count("positive") == 1  # "great"/"excelente"; "no problem" is no praise


@pytest.mark.parametrize("text", PRAISE_AFTER_A_NEGATED_WORD)
def test_praise_after_no_problem_is_praise(classifier, text):
    result = classifier.classify(text)
    assert (result.category, result.sentiment) == ("praise", "positive")


@pytest.mark.parametrize(
    "text", ["No problem", "no complaints", "no issues at all", "sin problemas", "没问题"]
)
def test_nothing_went_wrong_is_neutral(text):
    """An acknowledgement: its negator cancels the negative word, and that is all."""
    found = signals(text)
    assert (found.count("positive"), found.count("negative")) == (0, 0)


@pytest.mark.parametrize(
    ("text", "negative"),
    [
        ("not great", 1),
        ("no, not great", 1),  # the second negator is in the cue's own clause
        ("it's not great but it works", 1),
        ("no but great price", 0),  # "but" ends the negator's reach
        ("not bad. great price", 0),  # a negated negative counts nothing
    ],
)
def test_negation_within_a_clause_still_counts(text, negative):
    assert signals(text).count("negative") == negative


# --- a trade lead must want this shop's goods -----------------------------------------------
SELLER_PITCHES = [
    "诚招代理，一件代发，无需囤货，详情见 www.daifa168.com",
    "Wholesale Nike shoes, distributor price, check www.kicks-wholesale.net",
    "Wholesale CBD gummies distributor, check www.cbd-best.store for trade terms",
    "We are a leading distributor of LED panel lights, visit www.led-pro-lights.com for our "
    "wholesale catalog",
    "我们是专业批发商，代理各种品牌，详见 www.pifa88.com",
]


@pytest.mark.parametrize("text", SELLER_PITCHES)
def test_a_supplier_pitching_its_own_goods_stays_spam(classifier, text):
    found = signals(text)
    assert not business_lead(found)
    assert category("spam", found, text) == "spam"
    assert classifier.classify(text).category == "spam"


BUYER_LEADS = [
    "We distribute in Mexico, see www.example-distrib.mx, interested in wholesale of your products",
    "Hello! We are a retailer looking to carry your bottles, our shop is www.greenhome.de",
    "Hello, we are a distributor in Mexico interested in your bottles, our site is www.distmex.mx",
    "我们想代理你们的保温杯，我们是杭州的经销商，官网 www.hz-trade.cn",
    "Somos importadores en Colombia (www.bogota-import.co), nos interesa distribuir sus termos",
]


@pytest.mark.parametrize("text", BUYER_LEADS)
def test_a_trader_asking_for_this_shops_goods_is_a_lead(classifier, text):
    found = signals(text)
    assert business_lead(found)
    assert category("spam", found, text) == "purchase_intent"
    result = classifier.classify(text)
    assert result.category == "purchase_intent"
    assert result.sub_intent != "manipulation"
    if max(result.scores, key=result.scores.__getitem__) == "spam":
        # Lifted by the rule against a model sure of spam: shown for a person to review.
        assert result.confidence <= LIFTED_LEAD_CONFIDENCE


def test_a_lead_lifted_out_of_spam_is_capped_for_review():
    text = "Hello! We are a retailer looking to carry your bottles, our shop is www.greenhome.de"
    found = signals(text)
    assert lifted_confidence("spam", "purchase_intent", found, 0.99) == LIFTED_LEAD_CONFIDENCE
    assert lifted_confidence("spam", "purchase_intent", found, 0.4) == 0.4
    # Other lifts keep the model's share.
    question = "If it arrives broken, can I return it?"
    assert lifted_confidence("complaint", "question", signals(question), 0.99) == 0.99


def test_a_link_ends_where_chinese_text_begins():
    text = "我们在越南做分销，官网 www.vn-distri.com，想采购一批保温杯"
    assert URL.findall(text) == ["www.vn-distri.com"]
    assert signals(text).has("buyer_intent")  # "想采购" is the customer's, not the link's


# --- a condition after a reported breakage is a complaint ------------------------------------
REPORTED_THEN_CONDITION = [
    "The bottle I received is cracked and leaking. If I send you photos, can you replace it?",
    "My order arrived damaged, half the cups are broken. What do I do if I want a refund?",
    "收到的杯子坏了三个，如果我拍照片可以换吗？",
    "El pedido llegó roto y falta una caja. Si les mando fotos, ¿me lo cambian?",
]


@pytest.mark.parametrize("text", REPORTED_THEN_CONDITION)
def test_a_reported_breakage_with_an_if_stays_a_complaint(classifier, text):
    found = signals(text)
    assert not asks_about_a_condition(found, text)
    assert category("complaint", found, text) == "complaint"
    assert classifier.classify(text).category == "complaint"


@pytest.mark.parametrize(
    "text",
    [
        "如果收到的时候坏了，可以换新的吗",  # "收到"/"坏了" are the hypothesis itself
        "If it arrives broken, can I return it?",
        "What if the order I received is the wrong size, can I exchange it?",
        "Si la lámpara llega rota, ¿cómo funciona la garantía?",
    ],
)
def test_a_hypothetical_breakage_is_a_question(classifier, text):
    found = signals(text)
    assert asks_about_a_condition(found, text)
    assert category("complaint", found, text) == "question"


def test_a_report_after_the_condition_is_a_complaint_too():
    text = "If I send you photos, can you replace it? It arrived with the lid cracked."
    assert not asks_about_a_condition(signals(text), text)
