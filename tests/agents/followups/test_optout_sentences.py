"""Opt-outs written as buyers write them: with courtesy words, or as a sentence.

Regression: "STOP please", "BAJA por favor", "请不要再联系我", "no quiero recibir más mensajes",
"Stop sending messages", "don't contact me again" were not recorded, so those customers kept
getting proactive follow-ups.
"""

from __future__ import annotations

import pytest

from agents.followups.optout import detect_opt_out


@pytest.mark.parametrize(
    "text",
    [
        "STOP please", "Please stop", "请停止", "退订 谢谢", "BAJA por favor",
        "Alto por favor", "no more messages, thanks",
        "Stop sending messages", "I want to opt out", "don't contact me again",
        "Dont text me", "请不要再联系我", "别再给我发消息了", "我不想再收到消息", "停止发送",
        "no quiero recibir más mensajes", "por favor no me escriban más",
        "dejen de escribirme", "no me contacten más", "Darse de baja",
    ],
)  # fmt: skip
def test_opt_outs_in_sentences_and_with_courtesy_words(text):
    assert detect_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "does the valve stop leaks?", "stop the order",
        "please stop the production of the red ones",
        "bolsa de baja calidad", "can you end the call", "停止生产红色的那款吗？",
        "no more messages? we need the invoice",
    ],
)  # fmt: skip
def test_ordinary_messages_are_not_opt_outs(text):
    assert not detect_opt_out(text)
