"""Does a reply carry the customer it was written for? Then it must not be learned.

A learned reply (``corpus_entries``) is reused for other customers: the offline drafter sends a
close match word for word (kind "knowledge", which autopilot may send). A model's draft is
written for one customer, from their name and their memories ("Hi Lucía, for your hotel in
Lisbon, returns are 30 days"); learned, the next customer asking about returns would be told
about Lucía's hotel. So a reply naming the customer, or repeating a distinctive word of their
memories, is sent but not learned (bot/approvals.py, ``_learn``).

Words the customer's own question or the cited knowledge (FAQ, chunk, past reply) also use are
not the customer's private detail: "Shipping to Spain takes 7 to 10 days" answers "do you ship
to Spain?" for anyone, whatever the asker's memories say about Spain.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from storage.db import Connection

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Memory wording that says nothing about who the customer is: the offline rules' labels
# ("Needs 500 pcs", "Budget / target price: 0.10 USD", "Based in Madrid") and common words of
# the languages we serve. Shorter words than 4 letters are never distinctive.
_COMMON_WORDS = """
    needs need needed wants want wanted prefers prefer preferred likes based budget target
    price prices quantity order orders ordered ordering asked asks about with from that this
    they their them have has had will would could should also only very more most some
    into over under than then when where which what while your yours ours customer customers
    company business product products item items pieces units boxes bottles bottle
    delivery shipping ship ships deliver send sent soon next last week weeks month months
    year years days time plans planning planned looking interested uses using used
    wholesale retail sample samples color colour colors black white blue green matte steel
    para como pero esta este estos estas necesita quiere prefiere precio cantidad pedido
    envio envios cliente empresa producto productos unidades cajas semana semanas dias
    pour avec dans leur besoin veut prix commande precisa quer preco pedido
"""
_COMMON = frozenset(_COMMON_WORDS.split())


@dataclass(frozen=True)
class Customer:
    """What would identify the customer in a reply."""

    names: frozenset[str]  # normalised name words ("lucia", "garcia", "王芳")
    memory_words: frozenset[str]  # normalised distinctive words of their memories


async def customer_of(conn: Connection, org_id: uuid.UUID, conversation_id: Any) -> Customer:
    """The names and memory words of the customer a conversation is with."""
    names = await conn.fetch(
        """
        SELECT c.display_name, c.company FROM customers c
        JOIN conversations v ON v.customer_id = c.id AND v.org_id = c.org_id
        WHERE v.org_id = $1 AND v.id = $2
        """,
        org_id,
        conversation_id,
    )
    identities = await conn.fetch(
        """
        SELECT i.display_name, i.profile->>'username' AS username,
               i.profile->>'first_name' AS first_name, i.profile->>'last_name' AS last_name
        FROM customer_identities i
        JOIN conversations v ON v.customer_id = i.customer_id AND v.org_id = i.org_id
        WHERE v.org_id = $1 AND v.id = $2
        """,
        org_id,
        conversation_id,
    )
    memories = await conn.fetch(
        """
        SELECT m.content FROM memories m
        JOIN conversations v ON v.customer_id = m.customer_id AND v.org_id = m.org_id
        WHERE v.org_id = $1 AND v.id = $2
        """,
        org_id,
        conversation_id,
    )
    raw_names = [value for row in [*names, *identities] for value in row.values() if value]
    return Customer(
        names=frozenset(w for name in raw_names for w in _name_words(name)),
        memory_words=frozenset(
            w for row in memories for w in _words(row["content"]) if _distinctive(w)
        ),
    )


async def cited_texts(conn: Connection, org_id: uuid.UUID, sources: Iterable[Any]) -> list[str]:
    """The text of the FAQs, chunks and past replies a draft cites (``hit_source`` entries)."""
    ids: dict[str, list[uuid.UUID]] = {"faq": [], "chunk": [], "corpus": []}
    for source in sources:
        if isinstance(source, dict) and source.get("kind") in ids:
            try:
                ids[source["kind"]].append(uuid.UUID(str(source.get("id"))))
            except ValueError:
                continue  # not a row id: nothing to read
    rows = await conn.fetch(
        """
        SELECT question || ' ' || answer AS text FROM faqs WHERE org_id = $1 AND id = ANY($2)
        UNION ALL
        SELECT coalesce(heading, '') || ' ' || text FROM document_chunks
        WHERE org_id = $1 AND id = ANY($3)
        UNION ALL
        SELECT question || ' ' || answer FROM corpus_entries WHERE org_id = $1 AND id = ANY($4)
        """,
        org_id,
        ids["faq"],
        ids["chunk"],
        ids["corpus"],
    )
    return [row["text"] for row in rows]


def private_details(reply: str, customer: Customer, *, public: Iterable[str] = ()) -> set[str]:
    """The customer's names and memory words in ``reply``; words of ``public`` texts (their
    question, the cited knowledge) do not count as memory words."""
    shared = {w for text in public for w in _words(text)}
    return names(reply, customer) | ((customer.memory_words & set(_words(reply))) - shared)


def names(reply: str, customer: Customer) -> set[str]:
    """The customer's names in ``reply``."""
    words = set(_words(reply))
    return {n for n in customer.names if _contains(reply, words, n)}


def _contains(reply: str, words: set[str], name: str) -> bool:
    # Chinese names are not space-separated: "王芳您好" names 王芳.
    if _CJK.search(name):
        return name in _normalise(reply)
    return name in words


def _name_words(name: str) -> list[str]:
    """Name words worth matching: "Lucía García" → lucia, garcia; "王芳" → 王芳. Initials,
    "Mr" and the like are too short to tell anyone apart."""
    found = []
    for word in _words(name):
        if _CJK.search(word):
            if len(word) >= 2:
                found.append(word)
        elif len(word) >= 3 and not word.isdigit():
            found.append(word)
    return found


def _distinctive(word: str) -> bool:
    if _CJK.search(word):
        return len(word) >= 2
    if word.isdigit():
        return len(word) >= 3  # a quantity or a size: "for your 500 pcs"
    return len(word) >= 4 and word not in _COMMON


def _words(text: str) -> list[str]:
    return _WORD.findall(_normalise(text))


def _normalise(text: str) -> str:
    """Lower case without accents: a model writes "Lucia" for "Lucía"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
