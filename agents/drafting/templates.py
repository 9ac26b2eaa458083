"""Built-in reply templates of the offline engine, per language.

A merchant's own ``response_templates`` rows (same names) take precedence. Fields are filled
by our code from the catalog, the FAQ or the customer record — never from the customer's
message — so a message cannot talk a template into a price or a promise.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

# name -> language -> text. English is the fallback for languages without a translation.
BUILTIN: Mapping[str, Mapping[str, str]] = {
    "greeting": {
        "en": "Hello{name_part}! Thanks for contacting {shop}. How can we help you today?",
        "es": "¡Hola{name_part}! Gracias por contactar con {shop}. ¿En qué podemos ayudarle?",
        "zh": "您好{name_part}！感谢您联系{shop}。请问有什么可以帮您？",
        "pt": "Olá{name_part}! Obrigado por contactar a {shop}. Como podemos ajudar?",
        "fr": "Bonjour{name_part} ! Merci d'avoir contacté {shop}. Comment pouvons-nous vous "
        "aider ?",
    },
    "thanks": {
        "en": "Thank you so much{name_part}! We're glad you're happy with it. 😊",
        "es": "¡Muchas gracias{name_part}! Nos alegra mucho que esté contento. 😊",
        "zh": "非常感谢您的认可{name_part}！很高兴您满意。😊",
        "pt": "Muito obrigado{name_part}! Ficamos felizes por estar satisfeito. 😊",
        "fr": "Merci beaucoup{name_part} ! Nous sommes ravis que cela vous plaise. 😊",
    },
    "apology": {
        "en": "We're very sorry about this{name_part}. We've passed it to our team, who will "
        "look into it and get back to you as soon as possible.",
        "es": "Lamentamos mucho lo ocurrido{name_part}. Hemos pasado su caso a nuestro equipo, "
        "que lo revisará y le responderá lo antes posible.",
        "zh": "非常抱歉给您带来不便{name_part}。我们已将问题转交团队处理，会尽快回复您。",
    },
    "price": {
        "en": "{product} is {price} {currency} per {unit}{moq_part}.",
        "es": "{product} cuesta {price} {currency} por {unit}{moq_part}.",
        "zh": "{product}的价格是每{unit} {price} {currency}{moq_part}。",
    },
    "moq_part": {
        "en": " (minimum order {moq} {unit})",
        "es": " (pedido mínimo {moq} {unit})",
        "zh": "（起订量{moq}{unit}）",
    },
    "below_moq": {
        "en": "Please note the minimum order for {product} is {moq} {unit}.",
        "es": "Tenga en cuenta que el pedido mínimo de {product} es de {moq} {unit}.",
        "zh": "请注意，{product}的起订量为{moq}{unit}。",
    },
    "quote_offer": {
        "en": "For {quantity} we can prepare a formal quotation with delivery terms. "
        "Shall we send it?",
        "es": "Para {quantity} podemos preparar una cotización formal con las condiciones de "
        "entrega. ¿Se la enviamos?",
        "zh": "如需{quantity}，我们可以为您准备正式报价单（含交货条款）。需要发给您吗？",
    },
    "remembered_total": {
        "en": "For the {quantity} you mentioned earlier, that comes to {total} {currency}.",
        "es": "Para la cantidad que nos indicó ({quantity}), serían {total} {currency}.",
        "zh": "按您之前提到的{quantity}计算，合计{total} {currency}。",
    },
    "quote_offer_remembered": {
        "en": "Based on the {quantity} you mentioned earlier, we can prepare a formal "
        "quotation with delivery terms. Shall we send it?",
        "es": "Según la cantidad que nos indicó ({quantity}), podemos preparar una cotización "
        "formal con las condiciones de entrega. ¿Se la enviamos?",
        "zh": "根据您之前提到的{quantity}，我们可以为您准备正式报价单（含交货条款）。"
        "需要发给您吗？",
    },
    "price_unknown": {
        "en": "Happy to help with pricing! Which product are you interested in, and what "
        "quantity do you need?",
        "es": "¡Con gusto le ayudamos con el precio! ¿Qué producto le interesa y qué cantidad "
        "necesita?",
        "zh": "很乐意为您报价！请问您对哪款产品感兴趣？需要多少数量？",
    },
    "no_price": {
        "en": "Our team will confirm the price of {product} for you shortly.",
        "es": "Nuestro equipo le confirmará en breve el precio de {product}.",
        "zh": "我们的同事会尽快为您确认{product}的价格。",
    },
    "knowledge": {
        "en": "Here is what we can tell you: {excerpt}",
        "es": "Esto es lo que podemos decirle: {excerpt}",
        "zh": "相关信息如下：{excerpt}",
    },
    # After a past reply that states a price (agents/drafting/offline.py, learned_price).
    "earlier_price_note": {
        "en": "(This price was quoted earlier; we will confirm the current price for you.)",
        "es": "(Este precio se indicó anteriormente; le confirmaremos el precio actual.)",
        "zh": "（此价格为之前的报价，我们会为您确认当前价格。）",
    },
    "handoff": {
        "en": "Thanks for your message{name_part}! A member of our team will get back to you "
        "shortly.",
        "es": "¡Gracias por su mensaje{name_part}! Un miembro de nuestro equipo le responderá "
        "en breve.",
        "zh": "感谢您的留言{name_part}！我们的同事会尽快回复您。",
        "pt": "Obrigado pela sua mensagem{name_part}! Alguém da nossa equipa responderá em breve.",
        "fr": "Merci pour votre message{name_part} ! Un membre de notre équipe vous répondra "
        "rapidement.",
    },
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:  # an unknown field renders empty, never "{x}"
        return ""


def render(
    name: str,
    language: str,
    fields: Mapping[str, object],
    overrides: Mapping[tuple[str, str], str] | None = None,
) -> tuple[str, str]:
    """The template ``name`` in ``language`` (else English), filled; returns (text, language
    actually used)."""
    overrides = overrides or {}
    for lang in (language, "en"):
        text = overrides.get((name, lang)) or BUILTIN.get(name, {}).get(lang)
        if text:
            return string.Formatter().vformat(text, (), _Blank(fields)), lang
    raise KeyError(f"no template {name!r}")


def name_part(name: str | None, language: str) -> str:
    if not name:
        return ""
    return f" {name}" if language != "zh" else f"，{name}"
