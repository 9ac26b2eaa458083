"""Chunking: sizes in characters (CJK alike), sentence and paragraph cuts, overlap, headings."""

from __future__ import annotations

import pytest

from agents.knowledge.chunking import MAX_CHARS, MIN_CHARS, chunk_sections, split_sentences
from agents.knowledge.parsed import Section

ENGLISH = " ".join(
    f"Sentence {i} explains how parcel number {i} travels from Valencia to the customer."
    for i in range(60)
)
CHINESE = "".join(
    f"第{i}条说明：我们的仓库在收到付款后两天内发货，国内订单一般三到五天送达。" for i in range(60)
)


def test_cjk_and_latin_sentence_ends() -> None:
    assert split_sentences("我们支持退货。运费由买家承担！可以开发票吗？好的") == [
        "我们支持退货。",
        "运费由买家承担！",
        "可以开发票吗？",
        "好的",
    ]
    # A decimal point, a domain and an abbreviation-free number are not sentence ends.
    assert split_sentences("It weighs 3.5 kg. See costa.example.com for more! Thanks") == [
        "It weighs 3.5 kg.",
        "See costa.example.com for more!",
        "Thanks",
    ]
    assert split_sentences("He said “fine.” Then left.") == ["He said “fine.”", "Then left."]
    assert split_sentences("价格?100元。") == ["价格?", "100元。"]


@pytest.mark.parametrize("text", [ENGLISH, CHINESE], ids=["english", "chinese"])
def test_chunks_are_500_to_800_characters_and_end_on_sentences(text: str) -> None:
    chunks = chunk_sections([Section(text, "Shipping")])
    assert len(chunks) > 3
    assert all(len(c.text) <= MAX_CHARS for c in chunks)
    assert all(len(c.text) >= MIN_CHARS for c in chunks[:-1])
    assert all(c.text[-1] in ".。" for c in chunks)
    assert [c.ord for c in chunks] == list(range(len(chunks)))
    assert {c.heading for c in chunks} == {"Shipping"}


def test_chinese_is_joined_without_spaces_and_english_with_one() -> None:
    zh = chunk_sections([Section("第一句。第二句。")])[0].text
    en = chunk_sections([Section("First one. Second one.")])[0].text
    assert zh == "第一句。第二句。"
    assert en == "First one. Second one."


@pytest.mark.parametrize("text", [ENGLISH, CHINESE], ids=["english", "chinese"])
def test_consecutive_chunks_overlap_by_whole_sentences(text: str) -> None:
    chunks = chunk_sections([Section(text)])
    for before, after in zip(chunks, chunks[1:], strict=False):
        last_sentence = split_sentences(before.text)[-1]
        carried = after.text[: after.text.index(last_sentence) + len(last_sentence)]
        assert before.text.endswith(carried)  # whole sentences from the end of the last chunk
        assert len(carried) <= 120


def test_no_overlap_when_asked_for_none() -> None:
    chunks = chunk_sections([Section(ENGLISH)], overlap=0)
    joined = " ".join(c.text for c in chunks)
    assert joined == ENGLISH


def test_a_paragraph_that_fits_is_not_cut_once_the_chunk_is_big_enough() -> None:
    first = " ".join(["Our warehouse ships every weekday."] * 16)  # ~560 characters
    second = " ".join(["Returns are accepted within thirty days."] * 7)  # ~290 characters
    chunks = chunk_sections([Section(f"{first}\n\n{second}")], overlap=0)
    assert [c.text for c in chunks] == [first, second]


def test_paragraphs_are_kept_apart_inside_a_chunk() -> None:
    (chunk,) = chunk_sections([Section("Rates.\n\nPackaging.\n\n\nReturns.")])
    assert chunk.text == "Rates.\n\nPackaging.\n\nReturns."


def test_an_over_long_sentence_is_cut_at_a_space_or_comma() -> None:
    words = ", ".join(f"item{i:03d}" for i in range(200))  # 1,600 characters, no sentence end
    chunks = chunk_sections([Section(words)], overlap=0)
    assert all(len(c.text) <= MAX_CHARS for c in chunks)
    assert "".join(c.text.replace(" ", "") for c in chunks) == words.replace(" ", "")
    assert all(c.text.endswith(",") for c in chunks[:-1])  # never inside a word

    cjk = "无标点的长句" * 300  # no marks and no spaces at all: cut at the limit
    assert [len(c.text) for c in chunk_sections([Section(cjk)], overlap=0)] == [800, 800, 200]


def test_chunks_never_span_sections_and_keep_their_metadata() -> None:
    sections = [
        Section("Page one text.", "page 1", {"page": 1}),
        Section("Page two text.", "page 2", {"page": 2}),
    ]
    chunks = chunk_sections(sections)
    assert [(c.ord, c.text, c.heading, c.metadata) for c in chunks] == [
        (0, "Page one text.", "page 1", {"page": 1}),
        (1, "Page two text.", "page 2", {"page": 2}),
    ]


def test_chunking_is_deterministic() -> None:
    sections = [Section(ENGLISH, "A"), Section(CHINESE, "B")]
    assert chunk_sections(sections) == chunk_sections(sections)


def test_impossible_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        chunk_sections([Section("x")], max_chars=100, min_chars=200)
