"""Offline hook templates, per language and hook type.

Slots are filled from catalog facts only: {name}, {point} (a selling point), {spec_key} and
{spec_value} (one spec), {price}, {category}, {moq}. A template whose slots the product can't
fill is skipped, so a product without a price never gets a price hook. No template states a
fact of its own (no "best", "limited stock", "guaranteed"): every claim comes from a slot.
Languages keep the same templates in the same order (tests check it), so one seed picks the
same idea in every language.
"""

from __future__ import annotations

HOOKS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "question": (
            "Need a {category}? {name}: {point}.",
            "What does {price} get you? {name}.",
            "Does your {category} have {spec_key}: {spec_value}?",
        ),
        "threat": (
            "Don't buy another {category} before you see this.",
            "Don't order until you've checked the {spec_key}: {spec_value}.",
            "Skip this and you miss {name}: {point}.",
        ),
        "fact": (
            "{name}: {spec_key} {spec_value}.",
            "{name} — {point}.",
            "{name}, {price}.",
        ),
        "curiosity": (
            "Here's why {name} is worth a look: {point}.",
            "The detail most people miss on {name}: {spec_key}.",
            "One thing about {name} you'll notice first: {point}.",
        ),
        "urgency": (
            "New in the shop: {name}. Order now.",
            "{name} at {price}: message us today.",
            "Ready to order? {name}, from {moq}.",
        ),
    },
    "es": {
        "question": (
            "¿Necesitas un {category}? {name}: {point}.",
            "¿Qué obtienes por {price}? {name}.",
            "¿Tu {category} tiene {spec_key}: {spec_value}?",
        ),
        "threat": (
            "No compres otro {category} sin ver esto.",
            "No hagas tu pedido sin revisar {spec_key}: {spec_value}.",
            "Si lo pasas por alto, te pierdes {name}: {point}.",
        ),
        "fact": (
            "{name}: {spec_key} {spec_value}.",
            "{name} — {point}.",
            "{name}, {price}.",
        ),
        "curiosity": (
            "Por esto vale la pena mirar {name}: {point}.",
            "El detalle de {name} que casi nadie mira: {spec_key}.",
            "Lo primero que notarás de {name}: {point}.",
        ),
        "urgency": (
            "Nuevo en la tienda: {name}. Pídelo ya.",
            "{name} a {price}: escríbenos hoy.",
            "¿Listo para pedir? {name}, desde {moq}.",
        ),
    },
    "pt": {
        "question": (
            "Precisa de um {category}? {name}: {point}.",
            "O que {price} te oferece? {name}.",
            "Seu {category} tem {spec_key}: {spec_value}?",
        ),
        "threat": (
            "Não compre outro {category} antes de ver isto.",
            "Não faça o pedido sem conferir {spec_key}: {spec_value}.",
            "Se passar batido, você perde {name}: {point}.",
        ),
        "fact": (
            "{name}: {spec_key} {spec_value}.",
            "{name} — {point}.",
            "{name}, {price}.",
        ),
        "curiosity": (
            "Veja por que vale a pena conhecer {name}: {point}.",
            "O detalhe do {name} que quase ninguém repara: {spec_key}.",
            "A primeira coisa que você nota no {name}: {point}.",
        ),
        "urgency": (
            "Novidade na loja: {name}. Peça já.",
            "{name} por {price}: fale com a gente hoje.",
            "Pronto para pedir? {name}, a partir de {moq}.",
        ),
    },
    "de": {
        "question": (
            "Brauchst du {category}? {name}: {point}.",
            "Was bekommst du für {price}? {name}.",
            "Hat dein {category} {spec_key}: {spec_value}?",
        ),
        "threat": (
            "Kauf kein weiteres {category}, bevor du das gesehen hast.",
            "Bestell nicht, bevor du {spec_key} geprüft hast: {spec_value}.",
            "Wer das überspringt, verpasst {name}: {point}.",
        ),
        "fact": (
            "{name}: {spec_key} {spec_value}.",
            "{name} — {point}.",
            "{name}, {price}.",
        ),
        "curiosity": (
            "Darum lohnt sich ein Blick auf {name}: {point}.",
            "Das Detail an {name}, das fast alle übersehen: {spec_key}.",
            "Das fällt dir an {name} zuerst auf: {point}.",
        ),
        "urgency": (
            "Neu im Shop: {name}. Jetzt bestellen.",
            "{name} für {price}: schreib uns heute.",
            "Bereit zu bestellen? {name}, ab {moq}.",
        ),
    },
    "zh": {
        "question": (
            "需要{category}吗？{name}：{point}。",
            "{price}能买到什么？{name}。",
            "你的{category}有这个吗——{spec_key}：{spec_value}？",
        ),
        "threat": (
            "先别买别的{category}，看完这个再说。",
            "下单前先看清{spec_key}：{spec_value}。",
            "跳过这条，你就错过了{name}：{point}。",
        ),
        "fact": (
            "{name}：{spec_key} {spec_value}。",
            "{name}——{point}。",
            "{name}，{price}。",
        ),
        "curiosity": (
            "{name}值得一看的理由：{point}。",
            "{name}最容易被忽略的细节：{spec_key}。",
            "拿到{name}，你第一眼会注意到：{point}。",
        ),
        "urgency": (
            "新品上架：{name}，现在就下单。",
            "{name}，{price}：今天就联系我们。",
            "准备下单了吗？{name}，{moq}起订。",
        ),
    },
}
