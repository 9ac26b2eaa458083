"""Opt-outs: a customer who writes STOP, 退订, BAJA (or similar) gets no proactive messages.

Detection is deliberately narrow, because a false positive silences a buyer. Two kinds of match
(agents/followups/keywords.py):

- the whole message is an opt-out keyword ("STOP", "unsubscribe", "退订", "baja", courtesy words
  aside): recorded, and the message needs no reply;
- a short message contains a phrase whose object is *our messages* or *contacting the customer*
  ("please stop sending me messages", "不要再发消息了", "dejen de escribirme"): recorded, and the
  message still goes to a person, because it may mean something else.

"Stop" or "don't send" about goods is no opt-out: "don't send me the blue ones", "停止发送样品",
"不想再收到破损的货了", "stop sending these cartons by sea". Nor is asking for another channel
("no quiero más mensajes de voz, mejor escríbeme"), nor "stop messaging my assistant".
"""

from __future__ import annotations

import logging
import re
import uuid

from storage.db import Connection
from storage.repositories import audit, opt_outs

from .keywords import Match, find, normalize, phrases

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
        "停止发送",
        "停止推送",
        # es
        "baja",
        "darme de baja",
        # not "alto": alone it is as often "tall" (an answer about a product) as "stop"
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

# What a phrase must be about: our messages (en / es / zh).
_MSG = (
    r"(?:messages?|msgs?|texts?|sms|whatsapps?|notifications?|promotions?|promos?|offers?|ads"
    r"|adverts?|advertising|newsletters?|marketing|spam|updates?|follow ?ups?|reminders?"
    r"|broadcasts?)"
    # "stop the promotion code, it does not work" is about the code, not our messages.
    r"(?! (?:codes?|coupons?|vouchers?|prices?|discounts?|items?|products?))"
)
_DET = r"(?:(?:any|these|those|your|the|all|such|more|anymore|so many|further)\s+)*"
_ES_MSG = (
    r"(?:mensajes?|msjs?|whatsapps?|sms|notificaciones|promociones|ofertas|publicidad|spam"
    r"|informacion)(?! de (?:voz|audio))"
)
_ES_DET = r"(?:(?:sus|tus|los|las|estos|esos|mas|ningun|ninguna|ningunos)\s+)*"
_ZH_MSG = r"(?:消息|信息|讯息|訊息|短信|简讯|簡訊|广告|廣告|推送|推广|推廣|通知|营销|促销)"
_ZH_GAP = r"[^ ]{0,6}?"  # "不想再收到 你们的 消息": a few characters between verb and object
_END = r"$"

# Phrases that mean opt-out in a short message (normalized: lower case, no accents).
PHRASES = phrases(
    # en: verbs that are about contacting the customer need only "me" ...
    r"(?:stop|quit|cease) (?:texting|messaging|contacting|spamming|bothering|calling|pinging"
    r"|whatsapping|writing to) me",
    r"(?:dont|do not|never) (?:ever )?(?:text|message|contact|spam|bother|call|whatsapp"
    r"|write to) me",
    # ... "send" needs our messages as its object ("stop sending these cartons" is about goods).
    rf"(?:stop|quit|cease) sending (?:me )?{_DET}{_MSG}",
    rf"(?:stop|quit|cease) sending me{_END}",
    rf"(?:dont|do not|never) send me {_DET}{_MSG}",
    rf"stop {_DET}{_MSG}",
    rf"(?:dont|do not) want (?:to (?:receive|get) )?{_DET}{_MSG}",
    r"(?:dont|do not) want to be contacted",
    r"unsubscribe me",
    r"unsubscribe from",
    r"(?:want|like|wish|need|how) to unsubscribe",
    r"opt me out",
    rf"opt out of {_DET}(?:{_MSG}|list|mailing list|whatsapp)",
    rf"(?:want|like|wish|need) to opt out{_END}",
    # "remove me from the waiting list" (an order, a restock) is no messaging list.
    r"remove me from (?:your |the |this |our )?"
    r"(?:(?!waiting |wait |order |shopping |guest |priority |pre ?order |back ?order )[a-z]+ )?"
    r"(?:list|contacts)",
    # zh
    r"(?<!取消)退[订訂](?![单單金货貨])",
    r"取消[订訂][阅閱]",
    rf"(?:不要|别|別|不用|请勿|請勿|勿)再?(?:给我|給我|向我)?(?:发送|發送|推送|发|發|传|傳)"
    rf"{_ZH_GAP}{_ZH_MSG}",
    rf"(?:不要|别|別)再(?:给我|給我)?(?:发|發)了?{_END}",
    rf"不想再?(?:收到|接收|接到|看到){_ZH_GAP}{_ZH_MSG}",
    rf"停止(?:给我|給我|向我)?(?:发送|發送|推送|发|發)(?:{_ZH_GAP}{_ZH_MSG}|了?{_END})",
    r"(?:不要|别|別|请勿|請勿|勿)再?(?:联系|聯繫|联络|聯絡|打扰|打擾|骚扰|騷擾)我",
    r"(?:不要|别|別|请勿|請勿|勿)再(?:打扰|打擾|骚扰|騷擾)",
    # es ("alto" only when it cannot be "tall": "alto por favor", "alto a los mensajes")
    r"^alto (?:por favor|ya)$",
    rf"alto a {_ES_DET}{_ES_MSG}",
    rf"no mas {_ES_MSG}",
    rf"no (?:quiero|deseo) (?:recibir |que me (?:envien|manden) )?(?:mas )?{_ES_DET}{_ES_MSG}",
    rf"no (?:quiero|deseo) recibir mas{_END}",
    r"no quiero que me (?:contacten|contactes|escriban|escribas)",
    rf"no me (?:escriban|escribas|contacten|contactes|molesten|molestes)"
    rf"(?: mas| nunca mas| de nuevo| otra vez|{_END})",
    rf"no me (?:envien|manden|envies|mandes) (?:mas )?{_ES_DET}{_ES_MSG}",
    rf"no me (?:envien|manden|envies|mandes) mas{_END}",
    r"dej(?:en|a|e) de (?:escribirme|contactarme|molestarme|llamarme)",
    rf"dej(?:en|a|e) de (?:enviarme|mandarme)(?: {_ES_DET}{_ES_MSG}|{_END})",
    r"no (?:vuelvan|vuelvas) a (?:contactarme|escribirme)",
    r"(?:darme|dame|denme|darse) de baja",
    rf"dar de baja(?: de {_ES_DET}(?:lista|{_ES_MSG}|suscripcion|whatsapp)|{_END})",
    r"cancelar (?:la|mi) suscripcion",
    # pt / fr
    r"nao quero (?:receber )?mais mensagens",
    r"ne (?:plus|pas) (?:me )?(?:recevoir|envoyer) (?:de |vos |ces |des )?"
    r"(?:messages|sms|notifications|offres)",
)
# Asking for another channel or kind of message is no opt-out: "don't text me, call me instead",
# "no quiero más mensajes de voz, mejor escríbeme", "别发消息了，改打电话".
_OTHER_CHANNEL = re.compile(
    r"(?<![a-z])(?:instead|rather|prefer|mejor|prefiero|en vez|en lugar)(?![a-z])"
    r"|改用|改成|换成|換成"
)

# ... and so is a later clause asking to be reached another way: "dont call me, text me",
# "stop texting me the tracking number, just email it", "no me llamen, por correo".
_CLAUSES = re.compile(r"[,，;；、]|\s-\s")
_CHANNEL_REQUEST = re.compile(
    r"^(?:(?:but|just|only|please|pls|and|then|pero|solo|mejor|por favor|y)\s+)*"
    r"(?:text|txt|sms|email|e mail|mail|call|ring|phone|whatsapp|wechat|message|write to|write)"
    r" (?:me|it|us|them|him|her)(?![a-z])"
    r"|(?<![a-z])(?:just (?:email|mail|text|call|whatsapp|write)"
    r"|by (?:email|e mail|mail|phone|whatsapp|wechat)"
    r"|por (?:correo|email|mail|telefono|whatsapp|wechat)|llamame|escribeme|mandame un correo)"
    r"(?![a-z])"
    r"|发邮件|發郵件|发电邮|用邮件|邮件发|打电话|打電話|微信联系|微信聯繫"
)


# A negated clause refuses that channel too ("别发广告了，打电话也不要", "…, and dont call me").
_NEGATED = re.compile(r"(?<![a-z])(?:dont|do not|never|not|no|nor)(?![a-z])|不|别|別|勿")


def _asks_for_another_channel(text: str) -> bool:
    """A clause after the first asks to be reached another way ("…, email me")."""
    clauses = (normalize(c) for c in _CLAUSES.split(text)[1:])
    return any(_CHANNEL_REQUEST.search(c) and not _NEGATED.search(c) for c in clauses)


def opt_out_match(text: str | None) -> Match | None:
    """How ``text`` asks to opt out (a whole-message keyword, or a phrase), or None."""
    match = find(text, EXACT, PHRASES, unless=_OTHER_CHANNEL)
    if match is not None and not match.whole_message and _asks_for_another_channel(text or ""):
        return None
    return match


def opt_out_keyword(text: str | None) -> str | None:
    """The keyword or phrase that makes ``text`` an opt-out, or None."""
    match = opt_out_match(text)
    return None if match is None else match.keyword


def detect_opt_out(text: str | None) -> bool:
    """True when ``text`` asks us to stop messaging (en/zh/es/pt/fr)."""
    return opt_out_match(text) is not None


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
