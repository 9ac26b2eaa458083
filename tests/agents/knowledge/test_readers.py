"""Every reader on a real small file of its format, FAQ header detection in en/zh/es, and the
errors a merchant sees for files we can't read."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.errors import IngestError
from agents.knowledge.parsed import decode_text, guess_language, normalize_language
from agents.knowledge.readers import READERS, read_file
from agents.knowledge.tables import CsvReader, faq_columns

from .conftest import FIXTURES, make_docx, make_xlsx
from .pdfgen import minimal_pdf


def read(path: Path):
    return read_file(str(path), path.read_bytes())


def test_the_registry_covers_every_promised_format() -> None:
    assert {".md", ".txt", ".pdf", ".docx", ".csv", ".xlsx"} <= READERS.keys()
    for suffix, reader in READERS.items():
        assert suffix in reader.suffixes and reader.mime_type


def test_markdown_sections_carry_their_heading_path() -> None:
    parsed = read(FIXTURES / "guide.md")
    assert parsed.title == "Store guide"
    assert parsed.mime_type == "text/markdown"
    headings = [s.heading for s in parsed.sections]
    assert headings == [None, "Shipping > Rates", "Shipping > Packaging", "Returns"]
    assert parsed.sections[1].text.startswith("Standard shipping costs 6 EUR")
    # A '#' line inside a fenced code block is code, not a heading.
    assert "# this is not a heading" in parsed.sections[-1].text


def test_text_files_in_gb18030_utf8_bom_and_utf16_are_decoded(tmp_path: Path) -> None:
    text = "退货政策：收到商品后七天内可以退货。"
    for encoding in ("gb18030", "utf-8-sig", "utf-16", "utf-8"):
        path = tmp_path / f"policy-{encoding}.txt"
        path.write_bytes(text.encode(encoding))
        parsed = read(path)
        assert parsed.sections[0].text == text, encoding
        assert parsed.title == f"policy-{encoding}"


def test_bytes_no_encoding_fits_are_an_ingest_error() -> None:
    with pytest.raises(IngestError, match="not valid text"):
        decode_text(b"\x80\xff\xfe\x00abc\xff")


def test_pdf_pages_become_sections_with_page_numbers() -> None:
    parsed = read(FIXTURES / "shipping.pdf")
    assert parsed.title == "Shipping policy"  # from the PDF's Info dictionary
    assert [s.heading for s in parsed.sections] == ["page 1", "page 2"]
    assert [s.metadata["page"] for s in parsed.sections] == [1, 2]
    assert "3 to 5 business days" in parsed.sections[0].text
    assert "import duties" in parsed.sections[1].text
    assert parsed.metadata == {"pages": 2}


def test_pdf_blank_pages_are_skipped_and_a_textless_pdf_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "mixed.pdf"
    path.write_bytes(minimal_pdf([["Page one text."], [], ["Page three text."]]))
    parsed = read(path)
    assert [s.metadata["page"] for s in parsed.sections] == [1, 3]
    assert parsed.title == "mixed"  # no Info title: the file name

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(minimal_pdf([[]]))
    with pytest.raises(IngestError, match=r"scan\.pdf: .*no extractable text"):
        read(scan)


def test_docx_headings_paragraphs_and_tables(tmp_path: Path) -> None:
    parsed = read(make_docx(tmp_path / "terms.docx"))
    assert parsed.title == "Wholesale terms"
    assert [s.heading for s in parsed.sections] == ["Ordering", "Ordering > Payment"]
    payment = parsed.sections[1].text
    assert "We accept bank transfer and PayPal." in payment
    assert "Plan: Basic; Price: 10 EUR" in payment
    assert "Plan: Pro; Price: 25 EUR" in payment


def test_faq_csv_rows_become_faqs_with_language_and_category() -> None:
    parsed = read(FIXTURES / "faq.csv")
    assert parsed.sections == ()
    assert [(f.language, f.category) for f in parsed.faqs] == [
        ("en", "shipping"),
        ("en", "returns"),
        ("zh", "shipping"),
        ("es", "shipping"),
    ]
    assert parsed.faqs[1].answer.startswith("Yes, unused items")  # a quoted comma stays
    assert parsed.faqs[2].question == "运费多少？"


def test_gb18030_chinese_faq_csv() -> None:
    parsed = read(FIXTURES / "faq_zh_gb18030.csv")
    assert [f.question for f in parsed.faqs] == ["你们发货到上海吗？", "可以开发票吗？"]
    assert {f.language for f in parsed.faqs} == {"zh"}  # no language column: guessed


def test_spanish_faq_csv_with_semicolons() -> None:
    parsed = read(FIXTURES / "faq_es.csv")
    assert [f.answer for f in parsed.faqs] == [
        "El envío estándar cuesta 6 EUR.",
        "Sí, tienes 30 días para devolverlo.",
    ]
    assert {f.language for f in parsed.faqs} == {"es"}


def test_a_table_without_faq_columns_becomes_text_rows() -> None:
    parsed = read(FIXTURES / "price_list.csv")
    assert parsed.faqs == ()
    (section,) = parsed.sections
    assert section.text.split("\n\n") == [
        "product: Extra virgin olive oil 5 L; price: 42.50; unit: tin",
        "product: Manchego cheese; price: 18.00; unit: kg",
        "product: Saffron 1 g; price: 7.90; unit: jar",
    ]


def test_xlsx_faq_sheet_and_price_sheet(tmp_path: Path) -> None:
    parsed = read(make_xlsx(tmp_path / "catalog.xlsx"))
    assert [(f.question, f.language, f.category) for f in parsed.faqs] == [
        ("¿Cuál es el pedido mínimo?", "es", "pedidos"),
        ("What is the minimum order?", "en", None),
    ]
    assert parsed.faqs[0].metadata == {"sheet": "FAQ", "row": 3}
    assert parsed.metadata == {"faq_rows_skipped": 1}  # the question without an answer
    (prices,) = parsed.sections  # the hidden sheet is left out
    assert prices.heading == "Prices"
    assert "product: Olive oil 5 L; price: 42.5" in prices.text
    assert "product: Cheese; price: 18" in prices.text  # not "18.0"


@pytest.mark.parametrize(
    "header",
    [
        ["Question", "Answer"],
        ["Q", "A"],
        ["q:", "a:"],
        ["Questions", "Answers"],
        ["Pregunta", "Respuesta"],
        ["PREGUNTA:", "Respuesta"],
        ["问题", "答案"],
        ["问", "答"],
        ["问题：", "回答"],
        ["id", "Category", "Question", "Answer", "Language"],
        # Longer names merchants write: a role's word inside the header.
        ["Customer question", "Our answer"],
        ["Frequently asked question", "Answer text"],
        ["Preguntas frecuentes", "Respuestas"],
        ["客户问题描述", "标准回复"],
        ["Question (EN)", "Answer (EN)"],
        ["Question ID", "Question text", "Answer"],
        ["问题编号", "问题", "答案"],
    ],
)
def test_faq_headers_are_recognised_in_english_chinese_and_spanish(header: list[str]) -> None:
    columns = faq_columns(header)
    assert columns is not None
    question, answer = header[columns["question"]], header[columns["answer"]]
    assert question and answer
    assert not any(mark in question.lower() for mark in ("id", "编号"))  # the text, not its id


@pytest.mark.parametrize(
    "header",
    [
        ["name", "price"],
        ["Question", "Notes"],
        ["问题", "备注"],
        ["Q&A", "Notes"],
        ["Questions and answers about our shop", ""],  # a title row names neither role
        ["Answered by", "Question"],
    ],
)
def test_tables_without_both_columns_are_not_faqs(header: list[str]) -> None:
    assert faq_columns(header) is None


def test_a_csv_with_worded_headers_and_extra_columns_becomes_faqs() -> None:
    data = (
        "\ufeffNo.;Customer question;Our answer;Internal notes\n"
        "1;Do you ship to Australia?;Yes, in 8-12 days.;check\n"
        ";;;\n"
        "2;Can I get a sample?;Samples cost 20 USD.;\n"
    ).encode()
    parsed = CsvReader().read(data, "faq.csv")
    assert [(f.question, f.answer) for f in parsed.faqs] == [
        ("Do you ship to Australia?", "Yes, in 8-12 days."),
        ("Can I get a sample?", "Samples cost 20 USD."),
    ]
    assert not parsed.sections


def test_optional_faq_columns_are_found() -> None:
    columns = faq_columns(["Categoría", "Pregunta", "Respuesta", "Idioma"])
    assert columns == {"category": 0, "question": 1, "answer": 2, "language": 3}


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("notes.rtf", b"{\\rtf1 hello}", "unsupported file type '.rtf'"),
        ("README", b"hello", "unsupported file type '(none)'"),
        ("empty.txt", b"   \n\n", "no text found"),
        ("broken.pdf", b"%PDF-1.4 this is not a pdf", "not a readable PDF"),
        ("broken.docx", b"PK\x03\x04 not a zip", "not a readable .docx"),
        ("broken.xlsx", b"not a workbook", "not a readable Excel workbook"),
        ("header_only.csv", b"question,answer\n", "no text found"),
    ],
)
def test_unreadable_files_raise_ingest_error_naming_the_file(
    name: str, data: bytes, reason: str
) -> None:
    with pytest.raises(IngestError) as caught:
        read_file(f"/shop/{name}", data)
    assert str(caught.value).startswith(f"/shop/{name}: ")
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("zh-CN", "zh"),
        ("Español", "es"),
        ("English", "en"),
        ("中文", "zh"),
        ("", None),
        ("pt_BR", "pt"),
    ],
)
def test_language_values_are_normalised(value: str, code: str | None) -> None:
    assert normalize_language(value) == code


def test_language_guess_is_conservative() -> None:
    assert guess_language("运费多少？") == "zh"
    assert guess_language("¿Hacen envíos?") == "es"
    assert guess_language("Shipping to Los Angeles") is None
    assert guess_language("配送料はいくらですか") is None  # Japanese is not called Chinese
