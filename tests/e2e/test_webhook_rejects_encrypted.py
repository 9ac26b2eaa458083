"""A WeCom or WeChat safe-mode callback whose envelope is genuine but whose content can't be
read: 400, and webhook_rejects keeps the decrypted content (the cipher alone, which was kept
before, can't be inspected without the channel's key)."""

from __future__ import annotations

from tests.fakes.wechat_api import encrypt_inbound, encrypt_wecom_inbound

WECOM = {
    "corp_id": "ww0123456789abcdef",
    "secret": "app-secret",
    "agent_id": 1000002,
    "token": "wecom-token",
    "encoding_aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
}
WECHAT_SAFE = {
    "app_id": "wx0123456789abcdef",
    "app_secret": "oa-secret",
    "token": "wechat-token",
    "encoding_aes_key": WECOM["encoding_aes_key"],
}
INSIDE = "<xml><MsgType>text</MsgType><Content>no sender, no time</Content></xml>"


async def _kept_body(stack, ref, query, body) -> bytes:
    async with stack.http.post(stack.url(ref), params=query, data=body) as response:
        assert response.status == 400
    [kept] = await stack.fetch(
        "SELECT status_code, body FROM webhook_rejects WHERE channel_id = $1", ref.id
    )
    assert kept["status_code"] == 400
    return bytes(kept["body"])


async def test_wecom_malformed_content_is_kept_decrypted(stack):
    ref = await stack.add_channel("wecom", WECOM)
    query, body = encrypt_wecom_inbound(
        INSIDE, WECOM["token"], WECOM["encoding_aes_key"], WECOM["corp_id"]
    )
    assert await _kept_body(stack, ref, query, body) == INSIDE.encode()


async def test_wechat_safe_mode_malformed_content_is_kept_decrypted(stack):
    ref = await stack.add_channel("wechat", WECHAT_SAFE)
    query, body = encrypt_inbound(
        INSIDE, WECHAT_SAFE["token"], WECHAT_SAFE["encoding_aes_key"], WECHAT_SAFE["app_id"]
    )
    assert await _kept_body(stack, ref, query, body) == INSIDE.encode()
