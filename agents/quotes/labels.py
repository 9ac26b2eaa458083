"""What a quotation says, in the customer's language (en, zh, es; English otherwise)."""

from __future__ import annotations

import re
from decimal import Decimal

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "QUOTATION",
        "number": "Quotation no.",
        "date": "Date",
        "valid_until": "Valid until",
        "to": "To",
        "item": "Item",
        "qty": "Qty",
        "unit_price": "Unit price",
        "amount": "Amount",
        "moq": "MOQ",
        "subtotal": "Subtotal",
        "total": "Total",
        "terms": "Terms",
        "payment": "Payment",
        "delivery": "Delivery",
        "lead_time": "Lead time",
        "rate": "Exchange rate",
        "not_quoted": "Not quoted (we will get back to you)",
        "not_in_catalog": "not in our catalog",
        "no_price": "price on request",
        "no_rate": "price on request",
        "message": "Hello {customer}, please find attached our quotation {number}: total "
        "{total}, valid until {valid_until}.",
    },
    "zh": {
        "title": "报价单",
        "number": "报价单号",
        "date": "日期",
        "valid_until": "有效期至",
        "to": "客户",
        "item": "产品",
        "qty": "数量",
        "unit_price": "单价",
        "amount": "金额",
        "moq": "起订量",
        "subtotal": "小计",
        "total": "合计",
        "terms": "条款",
        "payment": "付款方式",
        "delivery": "交货条件",
        "lead_time": "交货期",
        "rate": "汇率",
        "not_quoted": "未报价项目（我们会尽快回复）",
        "not_in_catalog": "不在产品目录中",
        "no_price": "价格另议",
        "no_rate": "价格另议",
        "message": "{customer}您好，附件是我们的报价单 {number}：合计 {total}，"
        "有效期至 {valid_until}。",
    },
    "es": {
        "title": "COTIZACIÓN",
        "number": "Cotización n.º",
        "date": "Fecha",
        "valid_until": "Válida hasta",
        "to": "Para",
        "item": "Artículo",
        "qty": "Cant.",
        "unit_price": "Precio unit.",
        "amount": "Importe",
        "moq": "Pedido mín.",
        "subtotal": "Subtotal",
        "total": "Total",
        "terms": "Condiciones",
        "payment": "Pago",
        "delivery": "Entrega",
        "lead_time": "Plazo de entrega",
        "rate": "Tipo de cambio",
        "not_quoted": "Sin cotizar (le responderemos pronto)",
        "not_in_catalog": "no está en nuestro catálogo",
        "no_price": "precio a consultar",
        "no_rate": "precio a consultar",
        "message": "Hola {customer}, le adjuntamos nuestra cotización {number}: total {total}, "
        "válida hasta {valid_until}.",
    },
}


def language_of(code: str | None) -> str:
    """Our label set for a language code ("zh-CN" → "zh"; unknown → "en")."""
    base = (code or "en").split("-")[0].split("_")[0].lower()
    return base if base in LABELS else "en"


def labels(code: str | None) -> dict[str, str]:
    return LABELS[language_of(code)]


def rounded(value: Decimal, places: int = 2) -> Decimal:
    """An amount as quotes show it: 2 decimals; unit prices (``places`` 4) keep up to 4 and
    at least 2 ("2.10", "0.035")."""
    value = value.quantize(Decimal(1).scaleb(-places))
    if places != 2:
        value = value.normalize()
        if -value.as_tuple().exponent < 2:
            value = value.quantize(Decimal("0.01"))
    return value


def amount(value: Decimal, places: int = 2) -> str:
    """The plain number, no separators and no currency (JSON, data): "1234.50"."""
    return f"{rounded(value, places):f}"


def money(value: Decimal, currency: str, language: str, *, places: int = 2) -> str:
    """1,234.50 USD (en, zh) or 1.234,50 USD (es); unit prices may keep 4 places."""
    text = f"{rounded(value, places):,f}"
    if language_of(language) == "es":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return f"{text} {currency}"


def quantity(value: Decimal) -> str:
    """A quantity without trailing zeros: "500", "2.5"."""
    return format(value.normalize(), "f")


# The shipped default terms (config.yaml quotes.payment_terms, lead_time) and their usual
# variants, in the customer's language: a Spanish or Chinese PDF printed them in English.
# A merchant's own wording matches none of these and is printed as they wrote it.
_TERMS: tuple[tuple[re.Pattern[str], dict[str, str]], ...] = (
    (
        re.compile(r"(\d+)\s?% deposit, (\d+)\s?% (?:before shipment|balance before shipment)"
                   r"(?: \(T/T\))?", re.I),
        {"es": "{0} % de anticipo, {1} % antes del embarque (T/T)",
         "zh": "{0}%定金，{1}%发货前付清（电汇 T/T）"},
    ),
    (
        re.compile(r"(\d+(?:\s?-\s?\d+)?) (?:calendar )?days after deposit", re.I),
        {"es": "{0} días tras recibir el anticipo", "zh": "收到定金后{0}天"},
    ),
    (
        re.compile(r"(\d+(?:\s?-\s?\d+)?) (?:working|business) days", re.I),
        {"es": "{0} días hábiles", "zh": "{0}个工作日"},
    ),
)  # fmt: skip


def term_text(value: str | None, code: str | None) -> str | None:
    """A payment or lead-time term in the customer's language when it is one of the usual
    English forms; otherwise as written."""
    lang = language_of(code)
    if not value or lang == "en":
        return value
    for pattern, texts in _TERMS:
        if (found := pattern.fullmatch(value.strip())) and lang in texts:
            return texts[lang].format(*(g.replace(" ", "") for g in found.groups()))
    return value
