"""WeChat Official Account (公众号): callbacks in, customer-service messages out.

Inbound: WeChat calls our URL with a ``signature`` (plaintext mode) or, in safe mode
(``encrypt_type=aes``), an AES envelope signed with ``msg_signature``. We answer "success" at
once (WeChat waits 5 s, then retries three times) and reply later through the
customer-service API, which is open for 48 hours after the user's last interaction.

Outbound: ``POST /cgi-bin/message/custom/send`` with an access token from ``/cgi-bin/token``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import wechatpy
from pydantic import Field, field_validator
from wechatpy.crypto import WeChatCrypto

from .base import Capabilities, ChannelAdapter, ChannelConfig, ChannelEnvironment
from .errors import MalformedPayload, WebhookAuthError
from .models import (
    ChannelRef,
    OutboundMessage,
    SendReceipt,
    WebhookRequest,
    WebhookResponse,
    WebhookResult,
)
from .registry import register
from .wechat_api import ErrorCodes, WeChatAPI, outbound_bodies
from .wechat_common import (
    as_bytes,
    check_plain_signature,
    normalize,
    open_envelope,
    parse_with,
    read_xml,
    require,
    validate_aes_key,
)

DEFAULT_API = "https://api.weixin.qq.com"
_BEIJING = timezone(timedelta(hours=8))  # quotas reset at midnight China time (no DST)


def _until_quota_reset() -> float:
    now = datetime.now(_BEIJING)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max((midnight - now).total_seconds(), 1.0)


ERROR_CODES = ErrorCodes(
    # invalid credential / invalid access_token / access_token expired
    token_invalid=frozenset({40001, 40014, 42001}),
    # invalid appid, invalid appsecret, missing appid, missing secret; caller IP not in the
    # console's whitelist; API not authorized for this account (unverified accounts)
    auth=frozenset({40013, 40125, 41002, 41004, 40164, 48001}),
    rate_limited={
        # "reach max api daily quota limit": a daily quota, so anything sooner than the
        # midnight (Beijing) reset only burns attempts. The pacer may give up instead.
        45009: _until_quota_reset,
        # "api minute-quota reach limit, must slower, retry next minute"
        45011: 60.0,
    },
    # Both are the customer-service window: WindowClosed is permanent (never retried), and
    # the explanation reaches staff on the failed message.
    window_closed=frozenset(
        {
            45015,  # "response out of time limit": no interaction within 48 hours
            # "out of response count limit": the replies this interaction allows are used
            # up; waiting won't help until the user writes again, so it's the window too.
            45047,
        }
    ),
    explain={
        45015: "not sent: the customer has not written to the account for 48 hours, and "
        "WeChat accepts customer-service messages only within 48 hours of their last "
        "interaction; it can go out once they write again",
        45047: "not sent: WeChat's limit on customer-service messages since the customer's "
        "last interaction is used up; more can go out once they write again",
    },
)


class WeChatConfig(ChannelConfig):
    app_id: str = Field(min_length=1)
    app_secret: str = Field(min_length=1, repr=False)
    # The "Token" set on the MP console's server configuration page (3-32 characters).
    token: str = Field(min_length=3, max_length=32, repr=False)
    # Set it (43 characters) to run in safe mode; plaintext requests are then refused.
    encoding_aes_key: str | None = Field(default=None, repr=False)

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key(cls, value: str | None) -> str | None:
        return validate_aes_key(value) if value else None


@register
class WeChatAdapter(ChannelAdapter):
    """A WeChat Official Account (service account with the customer-service API)."""

    name = "wechat"
    config_model = WeChatConfig
    capabilities = Capabilities(
        buttons=False,
        # WeChat documents no length for customer-service text and answers 45002 ("content
        # size out of limit") past it; WeCom documents 2048 bytes. We assume the same 2048
        # UTF-8 bytes here, and the limit is in characters: 512 x 4 bytes always fits.
        max_text_length=512,
        service_window_hours=48,
    )

    def __init__(self, ref: ChannelRef, env: ChannelEnvironment) -> None:
        super().__init__(ref, env)
        config: WeChatConfig = self.config
        self._crypto = (
            WeChatCrypto(config.token, config.encoding_aes_key, config.app_id)
            if config.encoding_aes_key
            else None
        )
        self.api = WeChatAPI(
            env=env,
            base=env.api_base("wechat", DEFAULT_API),
            token_path="/cgi-bin/token",
            token_params={
                "grant_type": "client_credential",
                "appid": config.app_id,
                "secret": config.app_secret,
            },
            cache_key=f"wechat:access_token:{config.app_id}",
            codes=ERROR_CODES,
            secrets=(config.app_secret,),
            context=f"channel={ref.id} org={ref.org_id}",
        )

    # --- inbound ---------------------------------------------------------------------------
    def handshake(self, request: WebhookRequest) -> WebhookResponse:
        """The console's URL check: a plain signature (even in safe mode); echo ``echostr``."""
        (echostr,) = require(request.query, "echostr")
        check_plain_signature(self.config.token, request.query)
        return WebhookResponse(body=echostr, content_type="text/plain")

    def verify(self, request: WebhookRequest) -> None:
        if self._safe_mode(request):
            open_envelope(self._crypto, request.query, request.body)
            return
        # Unsigned is 401 and a wrong signature 403 in either mode, so check it first.
        check_plain_signature(self.config.token, request.query)
        if self._crypto is not None:
            # In plaintext mode the signature covers only token+timestamp+nonce, not the
            # body: one leaked signed URL would let anyone post any message. A channel
            # configured for safe mode therefore refuses the downgrade.
            raise WebhookAuthError("plaintext message to a safe-mode channel (no encrypt_type=aes)")

    def parse(self, request: WebhookRequest) -> WebhookResult:
        if self._safe_mode(request):
            try:
                xml: str | bytes = open_envelope(self._crypto, request.query, request.body)
            except WebhookAuthError as err:  # verify() passed, so this is not an auth issue
                raise MalformedPayload(f"cannot open the envelope: {err.reason}") from err
        else:
            # Plaintext mode; also compatibility mode without a key (fields sent in clear).
            xml = request.body
            if request.query.get("encrypt_type") and "FromUserName" not in read_xml(xml):
                raise MalformedPayload("safe-mode message but the channel has no encoding_aes_key")
        try:
            normalized = normalize(parse_with(wechatpy.parse_message, xml))
        except MalformedPayload as err:
            raise MalformedPayload(err.reason, readable=as_bytes(xml)) from err
        # "success" tells WeChat we got it and won't reply passively; it is sent unencrypted
        # in safe mode too (the documented exception).
        return WebhookResult(messages=(normalized,), response=WebhookResponse("success"))

    def _safe_mode(self, request: WebhookRequest) -> bool:
        # Without a key we can't open the envelope; compatibility mode also sends the fields in
        # clear under the plain signature, so fall back to that.
        # WeChat marks safe mode with encrypt_type=aes; a msg_signature alone (as WeCom sends
        # it, and as hand-written senders do) means an envelope too, which we can check.
        aes = request.query.get("encrypt_type", "").lower() == "aes"
        return (aes or "msg_signature" in request.query) and self._crypto is not None

    # --- outbound --------------------------------------------------------------------------
    async def send(self, message: OutboundMessage) -> SendReceipt:
        message = self.degrade(message)
        # Media without an uploaded id goes as a link in the text: the customer-service API
        # has no file message at all, so a quote's PDF is its signed link here.
        reply: dict = {}
        for body in outbound_bodies(message, {"image": "image", "audio": "voice"}):
            payload = {"touser": message.recipient_id, **body}
            reply = await self.api.post("/cgi-bin/message/custom/send", payload)
        # The customer-service API returns no message id.
        return SendReceipt(external_message_id=None, status="sent", raw=reply)

    async def register_webhook(self) -> str | None:
        mode = "safe mode (安全模式)" if self._crypto else "plaintext mode (明文模式)"
        return (
            "In the WeChat MP console (Settings & Development → Basic configuration → Server "
            f"configuration) set URL {self.env.webhook_url(self.ref)}, Token "
            f"{self.config.token}, message encryption {mode}"
            + (", and the same EncodingAESKey" if self._crypto else "")
            + "."
        )

    async def aclose(self) -> None:
        await self.api.aclose()
