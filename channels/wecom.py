"""WeCom (企业微信) self-built app: member messages in, app messages out.

WeCom always encrypts: every callback carries ``msg_signature`` over an AES envelope, and the
URL check (GET) sends an encrypted ``echostr`` whose plaintext we must echo within 1 second.
We acknowledge messages with an empty 200 (WeCom's documented "no passive reply"; "success"
is an Official Account convention) and reply later with ``/cgi-bin/message/send``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto

from .base import Capabilities, ChannelAdapter, ChannelConfig, ChannelEnvironment
from .errors import MalformedPayload, PermanentError, WebhookAuthError
from .models import (
    ChannelRef,
    OutboundMessage,
    SendReceipt,
    WebhookRequest,
    WebhookResponse,
    WebhookResult,
)
from .registry import register
from .wechat_api import ErrorCodes, WeChatAPI, outbound_bodies, upload_linked_media
from .wechat_common import (
    as_bytes,
    crypto_errors,
    normalize,
    open_envelope,
    parse_with,
    require,
)
from .wechat_common import validate_aes_key as _validate_aes_key

DEFAULT_API = "https://qyapi.weixin.qq.com"
# WeCom documents text content as "at most 2048 bytes, truncated beyond".
TEXT_LIMIT_BYTES = 2048

# Our media kinds → WeCom's message (and upload) types.
MEDIA_TYPES = {"image": "image", "audio": "voice", "video": "video", "document": "file"}

ERROR_CODES = ErrorCodes(
    token_invalid=frozenset({40014, 42001}),  # invalid access_token, access_token expired
    # invalid secret (WeCom's 40001 is not a token error), invalid corpid, invalid agentid,
    # caller IP not in the app's trusted IPs, API not permitted for this app
    auth=frozenset({40001, 40013, 40056, 60020, 48002}),
    rate_limited={
        45009: 60.0,  # "api freq out of limit": WeCom's limits are per minute and per hour
        45033: 1.0,  # "api concurrent out of limit": too many calls in flight, not per time
    },
    # Everything else is permanent, e.g. 81013 (no valid recipient), 60111 (userid not found).
)


class WeComConfig(ChannelConfig):
    corp_id: str = Field(min_length=1)
    secret: str = Field(min_length=1, repr=False)  # the app's Secret, not a corp-wide one
    agent_id: int
    token: str = Field(min_length=1, repr=False)  # "Token" of the app's API receive settings
    encoding_aes_key: str = Field(repr=False)

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key(cls, value: str) -> str:
        return _validate_aes_key(value)


@register
class WeComAdapter(ChannelAdapter):
    """One WeCom self-built app (agent) of one corp."""

    name = "wecom"
    config_model = WeComConfig
    capabilities = Capabilities(
        buttons=False,
        # 2048 bytes of UTF-8, counted in characters: 512 x 4 bytes always fits.
        max_text_length=TEXT_LIMIT_BYTES // 4,
        service_window_hours=None,  # an app may message its corp's members at any time
    )

    def __init__(self, ref: ChannelRef, env: ChannelEnvironment) -> None:
        super().__init__(ref, env)
        config: WeComConfig = self.config
        self._crypto = WeChatCrypto(config.token, config.encoding_aes_key, config.corp_id)
        self.api = WeChatAPI(
            env=env,
            base=env.api_base("wecom", DEFAULT_API),
            token_path="/cgi-bin/gettoken",
            token_params={"corpid": config.corp_id, "corpsecret": config.secret},
            # One token per app: WeCom tokens belong to the (corp, app secret) pair.
            cache_key=f"wecom:access_token:{config.corp_id}:{config.agent_id}",
            codes=ERROR_CODES,
            secrets=(config.secret,),
            context=f"channel={ref.id} org={ref.org_id}",
        )

    # --- inbound ---------------------------------------------------------------------------
    def handshake(self, request: WebhookRequest) -> WebhookResponse:
        """The URL check: verify ``msg_signature`` over the encrypted ``echostr`` and answer
        its plaintext. A SHA-1 and one AES block: well inside WeCom's 1 second."""
        signature, timestamp, nonce, echostr = require(
            request.query, "msg_signature", "timestamp", "nonce", "echostr"
        )
        # Base64 has no spaces: a space is a "+" that arrived unescaped and was decoded as
        # form encoding by the web framework.
        echostr = echostr.replace(" ", "+")
        with crypto_errors():
            plaintext = self._crypto.check_signature(signature, timestamp, nonce, echostr)
        return WebhookResponse(body=plaintext, content_type="text/plain")

    def verify(self, request: WebhookRequest) -> None:
        open_envelope(self._crypto, request.query, request.body)

    def parse(self, request: WebhookRequest) -> WebhookResult:
        try:
            xml = open_envelope(self._crypto, request.query, request.body)
        except WebhookAuthError as err:  # verify() passed, so this is not an auth issue
            raise MalformedPayload(f"cannot open the envelope: {err.reason}") from err
        try:
            message = parse_with(parse_message, xml)
            agent = message._data.get("AgentID")
            agent_id = int(agent) if isinstance(agent, str) and agent.isdigit() else agent
            normalized = normalize(message, extra={"agent_id": agent_id})
        except MalformedPayload as err:  # keep what was inside the envelope, not the cipher
            raise MalformedPayload(err.reason, readable=as_bytes(xml)) from err
        return WebhookResult(messages=(normalized,), response=WebhookResponse())

    # --- outbound --------------------------------------------------------------------------
    async def prepare(self, message: OutboundMessage) -> OutboundMessage:
        """A document by link (a quote's signed PDF URL) arrives as a real file: download and
        upload it once, here, so a retried send reuses the ``media_id`` (WeCom keeps temporary
        media 3 days) instead of fetching and uploading the file again."""
        return await upload_linked_media(self.api, message, MEDIA_TYPES)

    async def send(self, message: OutboundMessage) -> SendReceipt:
        message = self.degrade(message)
        # deliver() has prepared it already (then this is a no-op); a direct caller has not.
        message = await self.prepare(message)
        reply: dict[str, Any] = {}
        for body in outbound_bodies(message, MEDIA_TYPES, max_text_bytes=TEXT_LIMIT_BYTES):
            payload = {"touser": message.recipient_id, "agentid": self.config.agent_id, **body}
            reply = await self.api.post("/cgi-bin/message/send", payload)
            if reply.get("invaliduser"):
                # errcode 0 with the recipient listed as invalid (WeCom uses 81013 when *all*
                # recipients are invalid, which for one recipient should be this case).
                raise PermanentError(
                    f"WeCom refused recipient {reply['invaliduser']!r}", code="invaliduser"
                )
        msgid = reply.get("msgid")
        return SendReceipt(external_message_id=str(msgid) if msgid else None, raw=reply)

    async def register_webhook(self) -> str | None:
        return (
            "In the WeCom admin console (App Management → your app → Receive Messages → Set "
            f"API Receive) set URL {self.env.webhook_url(self.ref)}, Token {self.config.token} "
            "and the same EncodingAESKey as this channel; WeCom checks the URL on save."
        )

    async def aclose(self) -> None:
        await self.api.aclose()
