"""The registry of staff commands and button callbacks.

A command is an async function ``(ctx: CommandContext) -> Reply | list[Reply]`` registered
under its name (``/inbox`` → ``"inbox"``) with the lowest role allowed to run it. A callback
(an inline button press) is registered under a short prefix: the button's ``callback_data``
is ``"<prefix>:<payload>"`` and the handler receives the payload in ``ctx.args``. Front ends
never ``if name == ...``: they look the name up here, check ``allowed(role)`` and render.

Feature modules register on import; :func:`load_all` imports them so the registry is full.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.repositories.users import User

    from ..services import Services

# Higher rank = more rights. ``readonly`` staff can look but not decide.
ROLE_RANK = {"readonly": 0, "agent": 1, "admin": 2, "owner": 3}

# Feature modules that register commands; a module that does not exist yet is skipped, so
# features can land one at a time.
FEATURE_MODULES = (
    "bot.staff.help",
    "bot.staff.inbox",
    "bot.staff.customers",
    "bot.staff.quotes",
    "bot.staff.followups",
    "bot.staff.content",
)


@dataclass(frozen=True)
class Button:
    text: str
    # "<prefix>:<payload>", at most 64 bytes (Telegram's limit for callback_data).
    callback_data: str


@dataclass
class Document:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass
class Reply:
    """What a command answers: text (plain, no markup), optional button rows, optional file."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    document: Document | None = None
    # A short acknowledgement of a button press ("Approved, sent"): front ends may show it
    # transiently (Telegram: the toast on the pressed button) instead of a new message.
    notice: bool = False


@dataclass
class CommandContext:
    services: Services
    org_id: uuid.UUID
    user: User
    # The text after the command name (or the callback payload), stripped.
    args: str = ""
    # Front-end details a handler may need (e.g. the Telegram chat id); never required.
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[CommandContext], Awaitable["Reply | list[Reply]"]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    help: str
    min_role: str = "agent"
    # Shown in /help when True; callbacks and internal commands are hidden.
    listed: bool = True

    def allowed(self, role: str) -> bool:
        return ROLE_RANK.get(role, -1) >= ROLE_RANK[self.min_role]


COMMANDS: dict[str, Command] = {}
CALLBACKS: dict[str, Command] = {}


def command(name: str, *, help: str, min_role: str = "agent", listed: bool = True):
    """Register ``/name``. ``help`` is one line: ``"/quote CUSTOMER 500 x SKU — draft a quote"``."""

    def register(handler: Handler) -> Handler:
        if name in COMMANDS:
            raise ValueError(f"staff command /{name} registered twice")
        COMMANDS[name] = Command(name, handler, help, min_role, listed)
        return handler

    return register


def callback(prefix: str, *, min_role: str = "agent"):
    """Register the handler for buttons whose callback_data starts with ``prefix:``."""

    def register(handler: Handler) -> Handler:
        if prefix in CALLBACKS:
            raise ValueError(f"staff callback {prefix!r} registered twice")
        CALLBACKS[prefix] = Command(prefix, handler, "", min_role, listed=False)
        return handler

    return register


def load_all() -> None:
    for module in FEATURE_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise


def as_list(result: Reply | list[Reply]) -> list[Reply]:
    return result if isinstance(result, list) else [result]
