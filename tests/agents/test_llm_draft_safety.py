"""What an LLM draft may repeat from a customer's memories, and the promises with no amount
("free shipping", "half price", "打九折") it may make only when its sources do (issue 4:
customer text never changes prices or policies)."""

from __future__ import annotations

import uuid

import pytest

from agents.drafting.llm import LLMDrafter
from agents.drafting.offline import DraftContext
from agents.errors import LLMUnavailable
from agents.llm.schemas import MemoriesOut
from agents.memory.llm import facts_from_llm
from agents.retrieval.base import Hit
from tests.agents.test_drafting import product
from tests.agents.test_learned_prices import RecordingGateway, cls

from .test_pipeline import _suggestion, run
from .test_pipeline_llm import draft_out, memories_out
from .test_pipeline_llm_tasks import shop, with_model  # noqa: F401


def faq(answer: str) -> Hit:
    return Hit("faq", uuid.uuid4(), 0.9, answer, "Shipping?", "en", dense_score=0.9)


async def draft(reply: str, *, hits=(), memories=(), text="price for BTL-500?"):
    ctx = DraftContext(
        text,
        cls("question"),
        hits=list(hits),
        products=[product(price="2.10", currency="USD")],
        memories=list(memories),
    )
    return await LLMDrafter(RecordingGateway(reply)).draft(uuid.uuid4(), ctx)


@pytest.mark.parametrize(
    "memory",
    [
        "Was quoted 0.10 per bottle by the sales rep.",
        "Budget / target price: 0.10",
        "Target 0.10 each",
    ],
)
async def test_a_bare_number_in_a_memory_is_no_price_the_draft_may_state(memory):
    with pytest.raises(LLMUnavailable, match="not given"):
        await draft("BTL-500 is 0.10 USD for you.", memories=[memory])


async def test_a_counted_quantity_in_a_memory_may_be_repeated():
    reply = await draft("For your 500 pcs, BTL-500 is 2.10 USD each.", memories=["Needs 500 pcs"])
    assert reply.text.startswith("For your 500 pcs")


@pytest.mark.parametrize(
    "reply",
    [
        "BTL-500 is 2.10 USD and shipping is free for you.",
        "Free shipping on your order!",
        "We can do half price on BTL-500.",
        "I can give you 10 percent off.",
        "Ten percent off for you.",
        "BTL-500 a 2.10 USD, envío gratis.",
        "Las muestras son gratis.",
        "BTL-500 2.10 USD，包邮。",
        "可以给你打九折。",
        "We'll send samples free of charge.",
        "A special discount just for you.",
    ],
)
async def test_a_promise_its_sources_do_not_make_fails_the_draft(reply):
    # The customer asked for it; no FAQ, chunk or catalog line says so. (A digit amount,
    # "10 percent off", fails the money check; the rest the promise check.)
    with pytest.raises(LLMUnavailable, match="not given"):
        await draft(reply, text="give me free shipping and 10 percent off or I walk")


async def test_a_promise_the_faq_makes_may_be_repeated():
    hits = [faq("Free shipping on orders over 500 USD. Samples are free of charge.")]
    reply = await draft(
        "Orders over 500 USD ship with free shipping; samples are free of charge.", hits=hits
    )
    assert "free shipping" in reply.text
    # ...but not one it does not make.
    with pytest.raises(LLMUnavailable, match="not given"):
        await draft("Free shipping, and 10 percent off too.", hits=hits)


async def test_ordinary_replies_pass():
    for reply in ("Feel free to ask anything.", "BTL-500 is 2.10 USD per pcs, MOQ 300 pcs."):
        assert (await draft(reply)).text == reply


def test_the_models_claimed_prices_are_not_remembered():
    out = MemoriesOut.model_validate(
        memories_out(
            ("other", "Was quoted 0.10 per bottle by the sales rep.", 0.8),
            ("other", "El precio era 0,10 por botella.", 0.8),
            ("other", "销售报价每瓶0.1", 0.8),
            ("preference", "Is price-sensitive.", 0.5),
            ("need", "Wants a quote for 500 pcs.", 0.5),
        )
    )
    assert [f.content for f in facts_from_llm(out)] == [
        "Is price-sensitive.",
        "Wants a quote for 500 pcs.",
    ]


async def test_a_claimed_price_through_the_models_memory_is_never_stated(pool, redis, keys, shop):  # noqa: F811
    ref, intake, pipeline, _ = shop
    models = with_model(pool, redis, keys, pipeline, tasks=["memories", "draft"])
    models.answer(
        "MemoriesOut",
        memories_out(("other", "Was quoted 0.10 per bottle by the sales rep.", 0.8)),
        memories_out(),
    )
    models.answer("DraftOut", draft_out("Noted."), draft_out("BTL-500 is 0.10 USD for you."))
    await run(pool, ref, intake, pipeline, "Your rep quoted me 0.10 a bottle last week")
    later = await run(pool, ref, intake, pipeline, "So what's my price for BTL-500?")
    assert not any("0.10" in r.memory.content for r in later.memories)
    row = await _suggestion(pool, later.message_id)
    assert row["engine"] == "offline" and "0.10" not in row["draft"]
    assert "not given" in later.llm_fallback


async def test_free_shipping_the_customer_asks_for_is_not_promised(pool, redis, keys, shop):  # noqa: F811
    ref, intake, pipeline, _ = shop
    models = with_model(pool, redis, keys, pipeline, tasks=["draft"])
    models.answer("DraftOut", draft_out("Sure, free shipping and half price on BTL-500!"))
    out = await run(pool, ref, intake, pipeline, "Give me free shipping and half price on BTL-500")
    row = await _suggestion(pool, out.message_id)
    assert row["engine"] == "offline" and "free shipping" not in row["draft"].lower()
    assert "promises" in out.llm_fallback
