"""What each platform allows: caption length, hashtags, hook length, video duration.

Every limit says where it comes from. Platforms change these; when one does, change the
number here and its source line, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ContentError


@dataclass(frozen=True)
class Platform:
    name: str
    # Hard limits: a piece over one of these is blocked.
    caption_max_chars: int
    max_hashtags: int
    video_max_seconds: int
    # Soft targets our generators aim for (not platform rules).
    hook_max_chars: int
    hashtags_target: int
    default_video_seconds: int


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform(
            "instagram",
            # Instagram Help Center: captions up to 2,200 characters, at most 30 hashtags per
            # post. Reels recorded in the app: up to 90 seconds.
            caption_max_chars=2200,
            max_hashtags=30,
            video_max_seconds=90,
            # The feed shows about 125 characters before "more": a hook must fit there.
            hook_max_chars=125,
            hashtags_target=5,
            default_video_seconds=30,
        ),
        Platform(
            "tiktok",
            # TikTok raised video captions to 4,000 characters (2023); hashtags count towards
            # that and have no separate cap, so we hold them to Instagram's 30 to stay sane.
            # Videos may be minutes long; a *short* script is capped at 60 seconds.
            caption_max_chars=4000,
            max_hashtags=30,
            video_max_seconds=60,
            # On-screen hook: what is readable in the first two seconds.
            hook_max_chars=100,
            hashtags_target=4,
            default_video_seconds=30,
        ),
        Platform(
            "youtube",
            # YouTube Help: descriptions up to 5,000 characters; with more than 60 hashtags
            # YouTube ignores all of them. Shorts: up to 60 seconds (3 minutes since Oct 2024,
            # but the Shorts shelf still favours under a minute, so we cap scripts at 60).
            caption_max_chars=5000,
            max_hashtags=60,
            video_max_seconds=60,
            # Titles are cut at 100 characters (YouTube Help: title limit).
            hook_max_chars=100,
            hashtags_target=3,
            default_video_seconds=30,
        ),
        Platform(
            "whatsapp_status",
            # WhatsApp text statuses take about 700 characters; video statuses up to 60
            # seconds (WhatsApp Help, 2024). Status has no hashtags.
            caption_max_chars=700,
            max_hashtags=0,
            video_max_seconds=60,
            hook_max_chars=80,
            hashtags_target=0,
            default_video_seconds=30,
        ),
    )
}

LANGUAGES = ("en", "es", "zh", "pt", "de")


def platform(name: str) -> Platform:
    try:
        return PLATFORMS[name]
    except KeyError:
        raise ContentError(
            f"unknown platform {name!r} (one of {', '.join(sorted(PLATFORMS))})"
        ) from None


def check_language(language: str) -> str:
    """The template language for ``language``: "es", "ES", "es-MX", "zh_CN", "pt-BR" all
    name a language we write (the region is the market's business: --market)."""
    code = language.strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGUAGES:
        raise ContentError(
            f"no templates for language {language!r} (one of {', '.join(LANGUAGES)})"
        )
    return code
