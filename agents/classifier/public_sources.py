"""Readers that map the public datasets in ``../shared/data/datasets`` onto our six
categories, following ``CATEGORY_HINTS.md`` there. Used only by ``build_corpus``: the
product never reads these files at run time.

The mappings are weak labels, so every reader keeps to the confident part of its dataset
and drops the ambiguous rest (noted per reader). Each reader yields ``Row``s with its own
``source`` name, so per-source bias can be measured.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from .corpus import Row

MAX_CHARS = 400

# Banking77 intents that report a problem (complaint) rather than ask something (question).
_BANKING_PROBLEMS = {
    "card_not_working",
    "card_swallowed",
    "cash_withdrawal_not_recognised",
    "card_payment_not_recognised",
    "compromised_card",
    "contactless_not_working",
    "declined_card_payment",
    "declined_cash_withdrawal",
    "declined_transfer",
    "direct_debit_payment_not_recognised",
    "extra_charge_on_statement",
    "failed_transfer",
    "lost_or_stolen_card",
    "lost_or_stolen_phone",
    "transaction_charged_twice",
    "virtual_card_not_working",
    "wrong_amount_of_cash_received",
    "wrong_exchange_rate_for_cash_withdrawal",
    "card_payment_wrong_exchange_rate",
    "top_up_failed",
}
_BANKING_SUB_INTENTS = {
    "request_refund": "refund",
    "Refund_not_showing_up": "refund",
    "card_arrival": "order_status",
    "card_delivery_estimate": "shipping",
    "transaction_charged_twice": "payment",
    "declined_card_payment": "payment",
    "extra_charge_on_statement": "payment",
}
# Bitext intents that are plain questions, with our sub-intent for them.
_BITEXT_QUESTIONS = {
    "cancel_order": "order_status",
    "change_order": "order_status",
    "track_order": "order_status",
    "delivery_options": "shipping",
    "delivery_period": "shipping",
    "change_shipping_address": "shipping",
    "set_up_shipping_address": "shipping",
    "check_payment_methods": "payment",
    "check_refund_policy": "refund",
    "track_refund": "refund",
    "get_refund": "refund",
    "check_invoice": None,
    "check_invoices": None,
    "get_invoice": None,
    "check_cancellation_fee": None,
    "contact_customer_service": None,
    "contact_human_agent": None,
    "create_account": None,
    "delete_account": None,
    "edit_account": None,
    "recover_password": None,
    "switch_account": None,
    "newsletter_subscription": None,
}
# A first-person problem statement turns payment/registration intents into complaints.
_PROBLEM = re.compile(
    r"\b(i (have|had|got|am having|'m having)|there is|there's|my card was charged|charged)\b.*"
    r"\b(issue|problem|error|charged|trouble)",
    re.IGNORECASE,
)
_BOOKING = re.compile(r"\b(book|reserve|reservation|table for)\b", re.IGNORECASE)
_CHANGE = re.compile(r"\b(cancel|change|reschedule|move|modify|update|add one)\b", re.IGNORECASE)
# YouTube "ham" that praises something; as a merchant comment, "love this!" is praise.
_POSITIVE = re.compile(
    r"\b(love|loved|awesome|amazing|beautiful|best|great|gorgeous|perfect|fantastic)\b",
    re.IGNORECASE,
)
_ASKS = re.compile(
    r"\s*(how|what|when|where|which|why|who|can|could|do|does|did|is|are|will|would|should)\b",
    re.IGNORECASE,
)
_CHATTERBOT_SMALL_TALK = {
    "ai", "botprofile", "perfilbot", "ia", "conversations", "emotion", "emociones",
    "food", "gossip", "greetings", "history", "humor", "literature", "money", "dinero",
    "movies", "politics", "psychology", "psicologia", "science", "sports", "trivia", "origen",
}  # fmt: skip
_CHATTERBOT_LANGUAGES = {"english": "en", "spanish": "es", "chinese": "zh"}


def clean(text: str) -> str:
    """Unescape HTML, drop BOMs / zero-width characters, collapse whitespace."""
    text = html.unescape(text).replace("\ufeff", "").replace("\u200b", "")
    text = re.sub(r"<br\s*/?>", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _row(text: str, category: str, language: str, source: str, sub_intent=None) -> Row | None:
    text = clean(text)
    if not text or len(text) > MAX_CHARS:
        return None
    sentiment = {"praise": "positive", "complaint": "negative"}.get(category, "neutral")
    return Row(text, category, language, source, sub_intent=sub_intent, sentiment=sentiment)


def _keep(rows: Iterator[Row | None]) -> Iterator[Row]:
    return (row for row in rows if row is not None)


def youtube(root: Path) -> Iterator[Row]:
    """CLASS 1 → spam. Ham → praise when it praises, other otherwise; ham questions about
    the video ("is that megan fox?") are neither merchant questions nor small talk: dropped."""
    for path in sorted((root / "youtube_spam_collection").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                text = record["CONTENT"]
                if record["CLASS"] == "1":
                    yield from _keep([_row(text, "spam", "en", "youtube_spam")])
                elif "?" not in text and "http" not in text and "youtu" not in text:
                    # Ham with a link points at a video: it looks exactly like spam.
                    category = "praise" if _POSITIVE.search(text) else "other"
                    yield from _keep([_row(text, category, "en", "youtube_ham")])


def chatterbot(root: Path) -> Iterator[Row]:
    """The first line of each small-talk conversation → other (tech/coding dropped)."""
    for folder, language in _CHATTERBOT_LANGUAGES.items():
        for path in sorted((root / "chatterbot_corpus" / folder).glob("*.yml")):
            if path.stem.lower() not in _CHATTERBOT_SMALL_TALK:
                continue
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for conversation in data.get("conversations") or []:
                if conversation and isinstance(conversation[0], str):
                    yield from _keep([_row(conversation[0], "other", language, "chatterbot")])


def crosswoz(root: Path) -> Iterator[Row]:
    """Request → question; thanks-only General turns → praise; greet/bye only → other.
    Inform/Select without Request (constraints close to a booking) is dropped as ambiguous."""
    path = root / "crosswoz" / "user_turns.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle, delimiter="\t"):
            intents = set(record["intents"].split("|")) - {""}
            domains = set(record["domains"].split("|"))
            if "Request" in intents:
                category = "question"
            elif intents == {"General"}:
                category = "praise" if "thank" in domains else "other"
            else:
                continue
            yield from _keep([_row(record["text"], category, "zh", "crosswoz")])


def restaurant8k(root: Path) -> Iterator[Row]:
    """Turns that ask to book → purchase_intent; changes and cancellations (order
    management) and bare slot answers ("13", "7th of July") are dropped."""
    for name in ("train_0.json", "test.json"):
        for item in json.loads((root / "restaurant8k" / name).read_text(encoding="utf-8")):
            text = item["userInput"]["text"]
            if _BOOKING.search(text) and not _CHANGE.search(text) and len(text.split()) > 4:
                yield from _keep([_row(text, "purchase_intent", "en", "restaurant8k", "booking")])


def hetpqa(root: Path) -> Iterator[Row]:
    """Customer product questions → question (answers/evidence are merchant text: unused)."""
    folder = root / "amazon_hetpqa_product_questions"
    for name in ("train.tsv", "dev.tsv", "test.tsv"):
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                yield from _keep([_row(record["question"], "question", "en", "hetpqa")])


def bitext(root: Path) -> Iterator[Row]:
    """place_order → purchase_intent; complaint → complaint; payment/registration problems
    stated in the first person → complaint; the plain-question intents → question.
    review ("I want to leave a review") is not itself evaluative: dropped."""
    folder = root / "bitext_customer_support"
    for path in sorted(folder.glob("*/*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for record in csv.DictReader(handle):
                text, intent = record["utterance"], record["intent"]
                if intent == "place_order":
                    row = _row(text, "purchase_intent", "en", "bitext", "order")
                elif intent == "complaint":
                    row = _row(text, "complaint", "en", "bitext", "service")
                elif intent in {"payment_issue", "registration_problems"}:
                    if not _PROBLEM.search(text):
                        continue
                    sub = "payment" if intent == "payment_issue" else None
                    row = _row(text, "complaint", "en", "bitext", sub)
                elif intent in _BITEXT_QUESTIONS:
                    row = _row(text, "question", "en", "bitext", _BITEXT_QUESTIONS[intent])
                else:
                    continue
                yield from _keep([row])


def banking77(root: Path) -> Iterator[Row]:
    """Problem intents → complaint, the rest → question (banking domain only). The intent
    says what the topic is, not how it is said: "Are you able to locate my card?" sits in a
    problem intent and "My card payments have stopped." in a question one. So a problem
    intent keeps only statements, and a question intent only questions."""
    for name in ("train.csv", "test.csv"):
        with (root / "banking77" / name).open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                intent, text = record["category"], record["text"]
                category = "complaint" if intent in _BANKING_PROBLEMS else "question"
                if bool("?" in text or _ASKS.match(text)) != (category == "question"):
                    continue
                sub = _BANKING_SUB_INTENTS.get(intent)
                yield from _keep([_row(text, category, "en", "banking77", sub)])


READERS = {
    "youtube": youtube,
    "chatterbot": chatterbot,
    "crosswoz": crosswoz,
    "restaurant8k": restaurant8k,
    "hetpqa": hetpqa,
    "bitext": bitext,
    "banking77": banking77,
}
