"""Offline caption and script phrases, per language (same keys in every language).

Like the hook templates, phrases state nothing of their own: product facts arrive through
the slots {name}, {point}, {spec_key}, {spec_value}, {price}, {unit}, {moq}, {category}.
"""

from __future__ import annotations

CALLS_TO_ACTION: dict[str, tuple[str, ...]] = {
    "en": (
        "Message us to order.",
        "Tap the link to order.",
        "Send us a message for details.",
        "Ask us for a quote today.",
    ),
    "es": (
        "Escríbenos para pedir.",
        "Toca el enlace para pedir.",
        "Envíanos un mensaje para más detalles.",
        "Pídenos una cotización hoy.",
    ),
    "pt": (
        "Chame a gente para pedir.",
        "Toque no link para pedir.",
        "Mande uma mensagem para saber mais.",
        "Peça seu orçamento hoje.",
    ),
    "de": (
        "Schreib uns, um zu bestellen.",
        "Tippe auf den Link, um zu bestellen.",
        "Schick uns eine Nachricht für Details.",
        "Frag heute dein Angebot an.",
    ),
    "zh": ("私信我们下单。", "点击链接下单。", "发消息了解详情。", "今天就来询价吧。"),
}

# Caption lines; {bullet} lists selling points.
CAPTION: dict[str, dict[str, str]] = {
    "en": {
        "point": "✓ {point}",
        "spec": "{spec_key}: {spec_value}",
        "price": "Price: {price} per {unit}",
        "moq": "Minimum order: {moq}",
    },
    "es": {
        "point": "✓ {point}",
        "spec": "{spec_key}: {spec_value}",
        "price": "Precio: {price} por {unit}",
        "moq": "Pedido mínimo: {moq}",
    },
    "pt": {
        "point": "✓ {point}",
        "spec": "{spec_key}: {spec_value}",
        "price": "Preço: {price} por {unit}",
        "moq": "Pedido mínimo: {moq}",
    },
    "de": {
        "point": "✓ {point}",
        "spec": "{spec_key}: {spec_value}",
        "price": "Preis: {price} pro {unit}",
        "moq": "Mindestbestellmenge: {moq}",
    },
    "zh": {
        "point": "✓ {point}",
        "spec": "{spec_key}：{spec_value}",
        "price": "价格：{price}/{unit}",
        "moq": "起订量：{moq}",
    },
}

# Script phrases: on-screen text (os), voice-over (vo) and visual notes (v_*).
SCRIPT: dict[str, dict[str, str]] = {
    "en": {
        "problem_vo": "Choosing a {category}? The details decide.",
        "agitate_os": "{spec_key}: {spec_value}",
        "agitate_vo": "Check the {spec_key} before you order: {spec_value}.",
        "solution_os": "{name}",
        "solution_vo": "{name}: {point}.",
        "interest_vo": "Meet {name}.",
        "desire_os": "{point}",
        "desire_vo": "{point}.",
        "specific_os": "{price} / {unit}",
        "specific_vo": "{name}, {price} per {unit}.",
        "v_closeup": "Close-up of {name}, turning slowly",
        "v_detail": "Detail shot of the {spec_key}",
        "v_use": "{name} in use, natural light",
        "v_price": "{name} next to an on-screen price card",
        "v_cta": "Shop name and how to message us",
    },
    "es": {
        "problem_vo": "¿Eliges un {category}? Los detalles deciden.",
        "agitate_os": "{spec_key}: {spec_value}",
        "agitate_vo": "Revisa {spec_key} antes de pedir: {spec_value}.",
        "solution_os": "{name}",
        "solution_vo": "{name}: {point}.",
        "interest_vo": "Te presentamos {name}.",
        "desire_os": "{point}",
        "desire_vo": "{point}.",
        "specific_os": "{price} / {unit}",
        "specific_vo": "{name}, {price} por {unit}.",
        "v_closeup": "Primer plano de {name}, girando despacio",
        "v_detail": "Plano detalle de {spec_key}",
        "v_use": "{name} en uso, luz natural",
        "v_price": "{name} junto a un cartel con el precio",
        "v_cta": "Nombre de la tienda y cómo escribirnos",
    },
    "pt": {
        "problem_vo": "Escolhendo um {category}? Os detalhes decidem.",
        "agitate_os": "{spec_key}: {spec_value}",
        "agitate_vo": "Confira {spec_key} antes de pedir: {spec_value}.",
        "solution_os": "{name}",
        "solution_vo": "{name}: {point}.",
        "interest_vo": "Conheça {name}.",
        "desire_os": "{point}",
        "desire_vo": "{point}.",
        "specific_os": "{price} / {unit}",
        "specific_vo": "{name}, {price} por {unit}.",
        "v_closeup": "Close do {name}, girando devagar",
        "v_detail": "Detalhe de {spec_key}",
        "v_use": "{name} em uso, luz natural",
        "v_price": "{name} ao lado de um cartão com o preço",
        "v_cta": "Nome da loja e como falar com a gente",
    },
    "de": {
        "problem_vo": "Du suchst {category}? Die Details entscheiden.",
        "agitate_os": "{spec_key}: {spec_value}",
        "agitate_vo": "Prüf vor der Bestellung {spec_key}: {spec_value}.",
        "solution_os": "{name}",
        "solution_vo": "{name}: {point}.",
        "interest_vo": "Das ist {name}.",
        "desire_os": "{point}",
        "desire_vo": "{point}.",
        "specific_os": "{price} / {unit}",
        "specific_vo": "{name}, {price} pro {unit}.",
        "v_closeup": "Nahaufnahme von {name}, langsam drehend",
        "v_detail": "Detailaufnahme: {spec_key}",
        "v_use": "{name} im Einsatz, Tageslicht",
        "v_price": "{name} neben einer Preiskarte",
        "v_cta": "Shopname und wie man uns schreibt",
    },
    "zh": {
        "problem_vo": "选{category}？细节决定一切。",
        "agitate_os": "{spec_key}：{spec_value}",
        "agitate_vo": "下单前先看{spec_key}：{spec_value}。",
        "solution_os": "{name}",
        "solution_vo": "{name}：{point}。",
        "interest_vo": "认识一下{name}。",
        "desire_os": "{point}",
        "desire_vo": "{point}。",
        "specific_os": "{price}/{unit}",
        "specific_vo": "{name}，每{unit} {price}。",
        "v_closeup": "{name}特写，缓慢旋转",
        "v_detail": "{spec_key}细节镜头",
        "v_use": "{name}使用场景，自然光",
        "v_price": "{name}旁边显示价格卡",
        "v_cta": "店铺名称和联系方式",
    },
}
