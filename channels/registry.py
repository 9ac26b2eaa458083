"""The platform registry: adapter classes by name. No ``if platform == ...`` anywhere else."""

from __future__ import annotations

from .base import ChannelAdapter, ChannelEnvironment
from .errors import UnknownPlatform
from .models import ChannelRef

CHANNELS: dict[str, type[ChannelAdapter]] = {}


def register(cls: type[ChannelAdapter]) -> type[ChannelAdapter]:
    """Class decorator: make an adapter available under its ``name``."""
    if cls.name in CHANNELS and CHANNELS[cls.name] is not cls:
        raise ValueError(f"two adapters claim platform {cls.name!r}")
    CHANNELS[cls.name] = cls
    return cls


def adapter_class(platform: str) -> type[ChannelAdapter]:
    _load_builtin()
    try:
        return CHANNELS[platform]
    except KeyError:
        known = ", ".join(sorted(CHANNELS)) or "none"
        raise UnknownPlatform(f"unknown platform {platform!r} (known: {known})") from None


def build_adapter(ref: ChannelRef, env: ChannelEnvironment) -> ChannelAdapter:
    return adapter_class(ref.platform)(ref, env)


def platforms() -> list[str]:
    _load_builtin()
    return sorted(CHANNELS)


def _load_builtin() -> None:
    # Importing the modules runs their @register decorators; done lazily so importing the
    # registry doesn't pull every vendor SDK into processes that never touch a channel.
    from . import telegram, wechat, wecom, whatsapp_twilio  # noqa: F401
