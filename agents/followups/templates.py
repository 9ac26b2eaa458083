"""Built-in follow-up texts per language (the offline engine's; no model involved).

A merchant's ``response_templates`` row with the same name and language overrides the text;
one with an ``external_template_id`` (a WhatsApp Content SID) is what goes out when the
customer's 24-hour window is closed. Fields are filled from our own records only.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

SILENT = "followup_silent"
QUOTE_EXPIRY = "followup_quote_expiry"
REMINDER = "followup_reminder"

BUILTIN: Mapping[str, Mapping[str, str]] = {
    SILENT: {
        "en": "Hello{name_part}, this is {shop}. We wanted to check in: do you have any questions "
        "we can help with, or would you like us to prepare an offer?",
        "es": "Hola{name_part}, le escribimos de {shop}. ¿Tiene alguna pregunta en la que podamos "
        "ayudarle, o desea que le preparemos una oferta?",
        "zh": "您好{name_part}，这里是{shop}。想跟您确认一下：您还有什么问题需要我们解答吗？"
        "需要我们为您准备报价吗？",
        "pt": "Olá{name_part}, aqui é a {shop}. Tem alguma dúvida em que possamos ajudar, ou "
        "quer que preparemos uma proposta?",
        "fr": "Bonjour{name_part}, ici {shop}. Avez-vous des questions, ou souhaitez-vous que "
        "nous vous préparions une offre ?",
    },
    QUOTE_EXPIRY: {
        "en": "Hello{name_part}, a reminder from {shop}: our quotation {number} is valid until "
        "{valid_until}. Let us know if you would like to go ahead or need any changes.",
        "es": "Hola{name_part}, un recordatorio de {shop}: nuestra cotización {number} es válida "
        "hasta el {valid_until}. Díganos si desea continuar o necesita algún cambio.",
        "zh": "您好{name_part}，{shop}温馨提醒：我们的报价单{number}有效期至{valid_until}。"
        "如需下单或调整，请随时告诉我们。",
    },
    REMINDER: {
        "en": "Hello{name_part}, this is {shop} following up on our conversation. "
        "Is there anything we can help you with?",
        "es": "Hola{name_part}, le escribimos de {shop} para dar seguimiento a nuestra "
        "conversación. ¿Podemos ayudarle en algo?",
        "zh": "您好{name_part}，这里是{shop}，跟进一下我们之前的沟通。请问有什么可以帮您的吗？",
    },
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render(
    name: str,
    language: str | None,
    fields: Mapping[str, object],
    overrides: Mapping[tuple[str, str], str] | None = None,
) -> tuple[str, str]:
    """The text of ``name`` in ``language`` (else English), filled; returns (text, language).
    A ``name`` field becomes ``name_part`` in the language's own punctuation."""
    overrides = overrides or {}
    wanted = (language or "en").split("-")[0].lower()
    for lang in (wanted, "en"):
        text = overrides.get((name, lang)) or BUILTIN[name].get(lang)
        if text:
            values = _Blank(fields)
            values["name_part"] = name_part(fields.get("name"), lang)  # type: ignore[arg-type]
            return string.Formatter().vformat(text, (), values), lang
    raise KeyError(f"no follow-up template {name!r}")


def name_part(name: str | None, language: str) -> str:
    if not name:
        return ""
    return f"，{name}" if language == "zh" else f" {name}"
