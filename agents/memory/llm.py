"""Memory extraction with an LLM, when one is configured, merged with the offline rules.

The rules (:mod:`.rules`) catch what customers say plainly, in the wording the offline drafter
reads back ("Needs 500 pcs", "Based in Madrid"); the model also catches what they say in
passing ("it's for our new hotel in Lisbon"). :func:`merge` keeps every rule fact and adds the
model's facts that say something new; :meth:`MemoryService.remember` stores both (the
model's with ``source`` "llm") through the same dedupe and single-value rules.

The model's facts are checked, not trusted: a fact must be a short sentence, and one that
states a price or a discount — with a currency, or as a price they say they were quoted ("Was
quoted 0.10 per bottle") — is dropped unless it is the customer's own budget. Memories
are shown to the LLM drafter as facts it may repeat, so "Was promised 90% off" must never
become one because a customer said so.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .rules import SINGLE_VALUED, Fact

if TYPE_CHECKING:
    from storage.repositories.memories import Memory

    from ..llm.schemas import MemoriesOut

# At most this many facts from one message: a model listing a dozen is summarising, not noting.
MAX_FACTS = 6
MAX_CHARS = 200
# Money and discounts (as the LLM drafter's check reads them, agents/drafting/llm.py) and
# things given away: terms only the merchant's catalog and policies set.
_MONEY = re.compile(
    r"[$€¥£]\s?\d|\d[\d.,]*\s?(?:%|usd|eur|rmb|cny|gbp|元|美元|欧元|dollars?|euros?|"
    r"d[oó]lares|off\b|de descuento)|\b(?:discount|descuento|free (?:of charge|shipping|delivery)|"
    r"gratis)\b|折扣|免费|包邮",
    re.IGNORECASE,
)
# A price the customer says they were given ("Was quoted 0.10 per bottle by the sales rep",
# "El precio era 0,10"): a claimed deal, with no currency for the money filter to see. Words
# of an offer always; price words when the fact has a number ("Is price-sensitive" is a fact).
_PRICE_CLAIM = re.compile(
    r"\bquoted\b|\bquotation\b|\boffered\b|\bpromised\b|报价|\bcotiz\w*", re.IGNORECASE
)
_PRICE_WORD = re.compile(
    r"\bpric(?:e|es|ed|ing)\b|\bper (?:bottle|unit|piece|pc|item|box|carton|case|pair|set|"
    r"dozen|kg|kilo|ton|meter|metre)\b|\bprecios?\b|\bpor (?:unidad|botella|pieza|caja)\b"
    r"|\bprix\b|\bpreços?\b|单价|价格|价钱|每个|每件|每瓶|每箱",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


class LLMMemoryExtractor:
    """Wraps an ``agents.llm.LLMGateway`` (anything with ``run``)."""

    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway

    async def extract(
        self,
        org_id: uuid.UUID,
        text: str,
        *,
        known: Sequence[Memory] = (),
        recent_turns: Sequence[str] = (),
        message_id: uuid.UUID | None = None,
    ) -> list[Fact]:
        """The model's facts from the latest message, checked; raises ``LLMUnavailable``."""
        from ..llm.schemas import MemoriesOut  # langchain loads only when used

        result = await self.gateway.run(
            org_id,
            "extract_memories",
            {
                "known_memories": "\n".join(f"- {m.content} ({m.category})" for m in known),
                "recent_turns": "\n".join(recent_turns),
                "customer_message": text,
            },
            purpose="memory",
            schema=MemoriesOut,
            entity_type=None if message_id is None else "message",
            entity_id=message_id,
        )
        return facts_from_llm(result.value)


def facts_from_llm(out: MemoriesOut) -> list[Fact]:
    """The model's memories as facts, without the ones it should not have written."""
    facts: list[Fact] = []
    for memory in out.memories:
        content = " ".join(memory.content.split())
        if not content or len(content) > MAX_CHARS:
            continue
        if memory.category != "budget" and _states_price(content):
            continue  # a price or discount "promised" is the catalog's business, not a fact
        facts.append(Fact(memory.category, content, round(float(memory.importance), 3)))
    return facts[:MAX_FACTS]


def _states_price(content: str) -> bool:
    if _MONEY.search(content) or _PRICE_CLAIM.search(content):
        return True
    return bool(_PRICE_WORD.search(content)) and bool(
        re.search(r"\d|[一二三四五六七八九十]", content)
    )


def merge(rules: Sequence[Fact], llm: Sequence[Fact]) -> list[Fact]:
    """The model's facts that add to the rules' facts of the same message.

    A rule fact wins over the model's fact of the same single-valued kind (one location,
    in the rules' wording), over the same sentence, and over a fact of its kind with the same
    numbers ("Needs 500 pcs" and "Needs 500 pieces of the steel bottle.")."""
    kept: list[Fact] = []
    seen = {_norm(f.content) for f in rules}
    for fact in llm:
        same_kind = [f for f in rules if f.category == fact.category]
        if _norm(fact.content) in seen:
            continue
        if same_kind and fact.category in SINGLE_VALUED:
            continue
        numbers = _numbers(fact.content)
        if numbers and any(numbers == _numbers(f.content) for f in same_kind):
            continue
        seen.add(_norm(fact.content))
        kept.append(fact)
    return kept


def _norm(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".!。")


def _numbers(text: str) -> frozenset[str]:
    return frozenset(n.replace(",", "") for n in _DIGITS.findall(text))
