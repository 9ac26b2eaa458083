"""Opt-outs: a customer who writes STOP, 退订, BAJA (or similar) gets no proactive messages.

Detection is deliberately narrow, because a false positive silences a buyer: the whole
message must be an opt-out keyword ("STOP", "unsubscribe", "退订", "baja"), or contain an
unambiguous opt-out phrase ("please unsubscribe me", "不要再发消息了", "no más mensajes").
"Stop" inside a question ("does the valve stop leaks?") is not an opt-out.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid

from storage.db import Connection
from storage.repositories import audit, opt_outs

log = logging.getLogger(__name__)

# The whole (normalized) message is one of these.
EXACT = frozenset(
    {
        # en (and the carrier-standard SMS words)
        "stop",
        "stopall",
        "stop all",
        "unsubscribe",
        "opt out",
        "optout",
        "opt-out",
        "quit",
        "end",
        "cancel subscription",
        "remove me",
        "no more messages",
        # zh
        "退订",
        "退訂",
        "取消订阅",
        "取消訂閱",
        "td",
        "停止",
        "不要再发了",
        # es
        "baja",
        "darme de baja",
        "alto",
        "parar",
        "cancelar suscripcion",
        "no mas mensajes",
        # pt / fr
        "sair",
        "descadastrar",
        "desinscrever",
        "arret",
        "arreter",
        "desabonner",
        "desinscrire",
    }
)

# Phrases that mean opt-out wherever they appear (already normalized: lower case, no accents).
PHRASES = (
    "unsubscribe",
    "opt me out",
    "opt out of",
    "stop messaging me",
    "stop sending me",
    "stop texting me",
    "stop contacting me",
    "dont message me",
    "do not message me",
    "do not contact me",
    "remove me from your list",
    "退订",
    "退訂",
    "取消订阅",
    "取消訂閱",
    "不要再发",
    "不要再給我發",
    "不要再给我发",
    "别再发",
    "no mas mensajes",
    "no me envien mas",
    "no me manden mas",
    "dejen de enviarme",
    "darme de baja",
    "dar de baja",
    "cancelar la suscripcion",
    "nao quero mais mensagens",
    "ne plus recevoir",
    # Said in a sentence rather than as a keyword (black-box QA found these missed).
    "stop sending me",
    "stop sending messages",
    "stop sending these",
    "stop contacting",
    "stop messaging",
    "dont contact me",
    "dont text me",
    "do not text me",
    "dont send me",
    "do not send me any more",
    "want to opt out",
    "不要再联系",
    "別再聯繫",
    "别再联系",
    "别再给我发",
    "不想再收到",
    "停止发送",
    "停止推送",
    "不要再打扰",
    "别再打扰",
    "no quiero recibir mas",
    "no quiero mas mensajes",
    "no me escriban mas",
    "no me contacten mas",
    "no me contactes mas",
    "no me escribas mas",
    "dejen de escribirme",
    "dejen de contactarme",
    "dejen de mandarme",
    "deja de escribirme",
    "darse de baja",
    "denme de baja",
    "dame de baja",
)
# Courtesy words around a keyword ("STOP please", "BAJA por favor", "请停止"): stripped
# before the whole-message match, so the keyword list needs no polite variants.
COURTESY = re.compile(
    r"^(?:(?:please|pls|plz|por favor|请|麻烦)\s*)+|(?:\s*(?:please|pls|plz|thanks|thank you|"
    r"por favor|gracias|谢谢|謝謝|now|ya))+$"
)

_APOSTROPHES = re.compile(r"['’‘`]")
_PUNCT = re.compile(r"[\s\.\!\?。！？,，;；:：\"“”()（）\[\]【】~～…-]+")


def normalize(text: str) -> str:
    """Lower case, accents stripped (más → mas), full-width folded, punctuation trimmed."""
    folded = unicodedata.normalize("NFKC", text).lower()
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch)
    )
    # NFKD splits some CJK compatibility forms; recompose what remains.
    stripped = unicodedata.normalize("NFKC", stripped)
    return " ".join(_PUNCT.sub(" ", _APOSTROPHES.sub("", stripped)).split())


def opt_out_keyword(text: str | None) -> str | None:
    """The keyword or phrase that makes ``text`` an opt-out, or None."""
    if not text:
        return None
    norm = normalize(text)
    if not norm:
        return None
    for candidate in (norm, COURTESY.sub("", norm).strip()):
        if candidate in EXACT or candidate.replace(" ", "") in EXACT:
            return candidate
    for phrase in PHRASES:
        if phrase.isascii():
            if re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", norm):
                return phrase
        elif phrase in norm:
            return phrase
    return None


def detect_opt_out(text: str | None) -> bool:
    """True when ``text`` asks us to stop messaging (en/zh/es/pt/fr)."""
    return opt_out_keyword(text) is not None


async def record_opt_out(
    conn: Connection,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    text: str | None,
    *,
    channel_id: uuid.UUID | None = None,
) -> bool:
    """Record the opt-out ``text`` expresses (keyword kept); True when newly recorded, False
    when the text is no opt-out or the customer had already opted out."""
    keyword = opt_out_keyword(text)
    if keyword is None:
        return False
    async with conn.transaction():
        recorded = await opt_outs.record(
            conn,
            org_id,
            customer_id,
            keyword=keyword,
            channel_id=channel_id,
            reason=(text or "")[:200],
        )
        if recorded:
            await withdraw_proactive(conn, org_id, customer_id)
            # The trail holds both directions (agents/followups/optin.py lifts it), so a
            # customer's STOP / START history survives the opt_outs row being removed.
            await audit.record(
                conn,
                org_id,
                "customer.opt_out",
                actor_kind="system",
                entity_type="customer",
                entity_id=customer_id,
                before={"opted_out": False},
                after={
                    "opted_out": True,
                    "keyword": keyword,
                    "channel_id": None if channel_id is None else str(channel_id),
                    "message": (text or "")[:200],
                },
            )
    if recorded:
        log.info("org %s customer %s opted out (%r)", org_id, customer_id, keyword)
    return recorded


async def withdraw_proactive(conn: Connection, org_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    """Cancel the customer's planned follow-ups and expire follow-up drafts not yet decided,
    so nothing already in the pipeline reaches someone who said STOP."""
    await conn.execute(
        """
        UPDATE followups SET status = 'cancelled', error = 'customer opted out'
        WHERE org_id = $1 AND customer_id = $2 AND status = 'scheduled'
        """,
        org_id,
        customer_id,
    )
    await conn.execute(
        """
        UPDATE reply_suggestions s SET status = 'expired', reason = 'customer opted out'
        FROM conversations v
        WHERE v.id = s.conversation_id AND v.org_id = $1 AND v.customer_id = $2
          AND s.org_id = $1 AND s.kind = 'followup' AND s.status IN ('pending', 'escalated')
        """,
        org_id,
        customer_id,
    )
