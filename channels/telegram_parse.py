"""Telegram webhook body → aiogram ``Update`` → one normalized :class:`InboundMessage`.

Pure functions, no network: :class:`channels.telegram.TelegramAdapter` calls
:func:`load_update` then :func:`normalize`. Identifiers (the dedupe keys):

- messages and channel posts: ``"{chat_id}:{message_id}"`` (message ids are per chat);
- edits: ``"{chat_id}:{message_id}:edit:{edit_date}"``, so each edit is its own row;
- button presses: ``"cbq:{callback_query.id}"``;
- anything else: ``"update:{update_id}"`` (update ids are unique per bot).

All of them come from the payload, so Telegram's redeliveries of one update map to one key.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from aiogram.types import Chat, Message, TelegramObject, Update, User
from pydantic import ValidationError

from .errors import MalformedPayload
from .models import InboundMessage, Location, Media

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"^(/[A-Za-z0-9_]{1,32})(?:@\w+)?(?=\s|$)")
MESSAGE_KINDS = frozenset({"message", "edited_message", "channel_post", "edited_channel_post"})
EDIT_KINDS = frozenset({"edited_message", "edited_channel_post"})


# --- loading -------------------------------------------------------------------------------
def load_update(body: bytes) -> Update:
    """Decode and validate a webhook body; raise MalformedPayload when it isn't an Update."""
    try:
        data = json.loads(body)
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError both
        raise MalformedPayload(f"body is not JSON: {err}") from err
    if not isinstance(data, dict):
        raise MalformedPayload(f"expected a JSON object, got {type(data).__name__}")
    try:
        return Update.model_validate(data)
    except ValidationError as first:
        error = first
    # Older Bot API versions (and Telegram's own webhook guide) omit fields aiogram now
    # requires. Telegram never sends these shapes today, but refusing one would lose a
    # customer's message, so fill what was added later and validate again.
    for _ in range(3):
        if not _backfill(data, error):
            break
        try:
            update = Update.model_validate(data)
        except ValidationError as again:
            error = again
            continue
        log.debug(
            "telegram update %s validated after backfilling legacy fields", data.get("update_id")
        )
        return update
    raise MalformedPayload(f"not a Telegram Update: {_describe(error)}") from error


def _describe(error: ValidationError) -> str:
    parts = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:5]]
    return "; ".join(parts)


def _backfill(data: dict[str, Any], error: ValidationError) -> bool:
    """Fill or fix, in place, the fields the errors name; True if anything changed."""
    changed = False
    for problem in error.errors():
        *path, field = problem["loc"]
        parent, owner, owner_key = _walk(data, path)
        if not isinstance(parent, dict) or not isinstance(field, str):
            continue
        if owner_key == "forward_from" and "type" in parent and isinstance(owner, dict):
            # The webhook guide puts a channel (a Chat) into forward_from, which holds a
            # User; Bot API 2.0+ carries it in forward_from_chat. The remaining error
            # locations are stale now: revalidate first.
            owner["forward_from_chat"] = owner.pop("forward_from")
            return True
        if problem["type"] == "missing":
            value = _legacy_default(parent, field)
            if value is not None:
                parent[field] = value
                changed = True
        elif problem["type"] == "string_type" and isinstance(parent.get(field), int):
            parent[field] = str(parent[field])  # numeric ids in the old guide (inline_query.id)
            changed = True
    return changed


def _walk(data: Any, path: list[Any]) -> tuple[Any, Any, Any]:
    """Follow an error location; skip steps that aren't keys (pydantic's union tags)."""
    owner: Any = None
    owner_key: Any = None
    node = data
    for step in path:
        in_dict = isinstance(node, dict) and step in node
        if in_dict or (isinstance(node, list) and isinstance(step, int) and step < len(node)):
            owner, owner_key, node = node, step, node[step]
        elif not isinstance(step, str):
            return None, None, None
    return node, owner, owner_key


def _legacy_default(obj: dict[str, Any], field: str) -> Any:
    if "file_id" in obj:  # PhotoSize, Audio, Sticker, Animation, ...
        file_defaults: dict[str, Any] = {
            "file_unique_id": obj["file_id"],  # Bot API 4.5; file_id is stable for one bot
            "type": "regular",  # Sticker.type, 6.2
            "is_animated": False,
            "is_video": False,
            "width": 0,
            "height": 0,
            "duration": 0,
        }
        return file_defaults.get(field)
    if field == "type" and isinstance(obj.get("id"), int):  # Chat.type
        chat_id = obj["id"]
        if chat_id > 0:
            return "private"
        return "supergroup" if str(chat_id).startswith("-100") else "group"
    if field == "emoji" and "value" in obj:  # Dice.emoji, 4.7: only 🎲 existed before
        return "🎲"
    return {"is_bot": False, "chat_instance": ""}.get(field)


# --- normalizing ---------------------------------------------------------------------------
def normalize(update: Update) -> InboundMessage:
    kind, obj = _kind(update)
    if kind in MESSAGE_KINDS and isinstance(obj, Message):
        return _from_message(obj, edited=kind in EDIT_KINDS)
    if kind == "callback_query":
        return _from_callback(obj)
    return _from_event(update, kind, obj)


def _kind(update: Update) -> tuple[str, Any]:
    for name in type(update).model_fields:
        if name != "update_id" and (value := getattr(update, name)) is not None:
            return name, value
    return "unknown", None


def _from_message(msg: Message, *, edited: bool) -> InboundMessage:
    chat_id = str(msg.chat.id)
    external_id = f"{chat_id}:{msg.message_id}"
    sent_at = _utc(msg.date)
    fields = _content(msg)
    extra: dict[str, Any] = fields.pop("extra")
    if edited:
        extra.update(
            edited=True, original_external_id=external_id, original_sent_at=sent_at.isoformat()
        )
        external_id = f"{external_id}:edit:{msg.edit_date or 0}"
        if msg.edit_date:
            sent_at = datetime.fromtimestamp(msg.edit_date, UTC)
    if msg.media_group_id:
        extra["media_group_id"] = msg.media_group_id
    if forward := _forward_info(msg):
        extra["forward"] = forward
    if msg.chat.type:
        extra["chat_type"] = msg.chat.type
    reply = msg.reply_to_message
    return InboundMessage(
        external_message_id=external_id,
        sent_at=sent_at,
        chat_id=chat_id,
        reply_to_external_id=f"{reply.chat.id}:{reply.message_id}" if reply else None,
        extra=extra,
        **_actor(msg.sender_chat or msg.from_user or msg.chat),
        **fields,
    )


def _content(msg: Message) -> dict[str, Any]:
    """content_type, text, media, location, event and extra for one message."""
    text = msg.text or msg.caption
    extra: dict[str, Any] = {}
    if entities := msg.entities or msg.caption_entities:
        extra["entities"] = [_dump(e) for e in entities]
    # Old payloads carry no bot_command entity, so recognise the command by its shape.
    if msg.text and (command := _COMMAND.match(msg.text)):
        extra.update(command=command[1], command_args=msg.text[command.end() :].strip())
    fields: dict[str, Any] = {"text": text, "extra": extra}
    media = _media(msg)
    if media is not None:
        extra.update({k: True for k in ("voice", "video_note", "animation") if getattr(msg, k)})
        return {**fields, "content_type": media.kind, "media": (media,)}
    if msg.text:
        return {**fields, "content_type": "text"}
    if msg.venue:
        venue = msg.venue
        label = ", ".join(filter(None, [venue.title, venue.address]))
        extra["venue"] = _dump(venue)
        loc = Location(venue.location.latitude, venue.location.longitude, label or None)
        return {**fields, "content_type": "location", "location": loc}
    if msg.location:
        if msg.location.live_period:
            extra["live_period"] = msg.location.live_period
        loc = Location(msg.location.latitude, msg.location.longitude)
        return {**fields, "content_type": "location", "location": loc}
    if msg.contact:
        extra["contact"] = _dump(msg.contact)
        return {**fields, "content_type": "contact"}
    # Service messages, dice, games, invoices, payments, polls...: an event named after
    # aiogram's content type, with the object kept for whoever handles it.
    event = str(getattr(msg.content_type, "value", msg.content_type))
    payload = getattr(msg, event, None)
    if payload is not None:
        extra["payload"] = _dump(payload)
    return {**fields, "content_type": "event", "event": event}


def _media(msg: Message) -> Media | None:
    caption = msg.caption
    if msg.photo:
        largest = max(msg.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return Media("image", platform_media_id=largest.file_id, caption=caption)
    # animation before document: Telegram sends a GIF with both fields set.
    for attr, kind in (
        ("animation", "video"),
        ("video", "video"),
        ("video_note", "video"),
        ("audio", "audio"),
        ("voice", "audio"),
        ("document", "document"),
        ("sticker", "sticker"),
    ):
        item = getattr(msg, attr)
        if item is not None:
            return Media(
                kind,
                platform_media_id=item.file_id,
                mime_type=getattr(item, "mime_type", None),
                file_name=getattr(item, "file_name", None),
                caption=caption,
            )
    return None


def _forward_info(msg: Message) -> dict[str, Any] | None:
    if msg.forward_origin is not None:  # Bot API 7.0+
        return _dump(msg.forward_origin)
    if msg.forward_date is None:
        return None
    info: dict[str, Any] = {"date": _utc(msg.forward_date).isoformat()}
    if msg.forward_from:
        info.update(from_user_id=msg.forward_from.id, from_name=msg.forward_from.full_name)
    if msg.forward_from_chat:
        info.update(
            from_chat_id=msg.forward_from_chat.id, from_name=_chat_name(msg.forward_from_chat)
        )
    if msg.forward_from_message_id:
        info["from_message_id"] = msg.forward_from_message_id
    if msg.forward_sender_name:
        info["from_name"] = msg.forward_sender_name
    return info


def _from_callback(query: Any) -> InboundMessage:
    message = query.message  # Message, InaccessibleMessage, or None for inline messages
    chat_id = str(message.chat.id) if message is not None else None
    return InboundMessage(
        external_message_id=f"cbq:{query.id}",
        sent_at=datetime.now(UTC),  # a callback query carries no date of its own
        content_type="button",
        text=_button_label(message, query.data),
        button_payload=query.data,
        chat_id=chat_id,
        reply_to_external_id=f"{chat_id}:{message.message_id}" if message is not None else None,
        extra={
            k: v
            for k, v in {
                "callback_query_id": query.id,
                "chat_instance": query.chat_instance,
                "inline_message_id": query.inline_message_id,
                "game_short_name": query.game_short_name,
            }.items()
            if v
        },
        **_actor(query.from_user),
    )


def _button_label(message: Any, data: str | None) -> str | None:
    """The text of the pressed button, when the message with the keyboard is at hand."""
    markup = getattr(message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", None) or ():
        for button in row:
            if data is not None and button.callback_data == data:
                return button.text
    return None


# Short, useful keys for the events a merchant's bot may act on.
_EVENT_KEYS = {
    "inline_query": lambda o: o.query,
    "chosen_inline_result": lambda o: o.result_id,
    "shipping_query": lambda o: o.invoice_payload,
    "pre_checkout_query": lambda o: o.invoice_payload,
    "my_chat_member": lambda o: o.new_chat_member.status,  # "kicked": the user blocked us
    "chat_member": lambda o: o.new_chat_member.status,
}


def _from_event(update: Update, kind: str, obj: Any) -> InboundMessage:
    extra: dict[str, Any] = {"update_id": update.update_id}
    event_key = None
    if isinstance(obj, TelegramObject):
        extra["payload"] = _dump(obj)
        if kind in _EVENT_KEYS:
            event_key = _EVENT_KEYS[kind](obj)
    elif update.model_extra:  # a kind newer than this aiogram: keep its name and body
        event_key, payload = next(iter(update.model_extra.items()))
        extra["payload"] = payload
    actor = getattr(obj, "from_user", None) or getattr(obj, "user", None)
    chat = getattr(obj, "chat", None)
    date = getattr(obj, "date", None)
    who = _actor(actor or chat) if actor or chat else {"sender_id": ""}
    return InboundMessage(
        external_message_id=f"update:{update.update_id}",
        sent_at=_utc(date) if isinstance(date, datetime) else datetime.now(UTC),
        content_type="event",
        event=kind,
        event_key=event_key,
        chat_id=str(chat.id) if chat is not None else None,
        extra=extra,
        **who,
    )


# --- small helpers -------------------------------------------------------------------------
def _actor(who: User | Chat) -> dict[str, Any]:
    """sender_id, sender_name, language_hint and profile for a user, or a chat posting."""
    if isinstance(who, User):
        return {
            "sender_id": str(who.id),
            "sender_name": who.full_name,
            "language_hint": who.language_code,
            "profile": {
                "username": who.username,
                "first_name": who.first_name,
                "last_name": who.last_name,
                "is_bot": who.is_bot,
            },
        }
    return {
        "sender_id": str(who.id),
        "sender_name": _chat_name(who),
        "profile": {"username": who.username, "title": who.title, "chat_type": who.type},
    }


def _chat_name(chat: Chat) -> str | None:
    name = " ".join(filter(None, [chat.first_name, chat.last_name]))
    return chat.title or name or (f"@{chat.username}" if chat.username else None)


def _dump(obj: Any) -> Any:
    if isinstance(obj, TelegramObject):
        return obj.model_dump(mode="json", exclude_none=True, by_alias=True)
    if isinstance(obj, list):
        return [_dump(item) for item in obj]
    return obj


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
